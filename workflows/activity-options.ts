/** Timeouts and retry policies of every activity a workflow calls. */
import type { ActivityOptions } from '@temporalio/workflow';
import { FAILURE_TYPES } from '../shared/errors';

/**
 * LLM calls: rate limits, 5xx and timeouts retry with backoff (the activity passes a
 * provider's `retry-after` as the next delay); bad requests and auth errors do not.
 */
export const LLM_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  // The activity heartbeats while it waits for the model, so a lost worker is noticed in
  // seconds, not at the end of the five minutes.
  heartbeatTimeout: '20 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [FAILURE_TYPES.llmBadRequest, FAILURE_TYPES.llmAuth],
  },
};

/** Tool calls report their own failures as observations; retries cover lost workers. */
export const TOOL_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
};

/**
 * MCP calls: an unreachable server is retried for about half a minute (each attempt
 * reconnects), long enough for a restart; then the step fails.
 */
export const MCP_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '10 seconds',
    maximumAttempts: 6,
    nonRetryableErrorTypes: [FAILURE_TYPES.toolUnavailable],
  },
};

/** Database writes: idempotent, so they retry until the database is back. */
export const PERSISTENCE_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};

/** Webhook deliveries: retried with backoff for about ten minutes, then given up. */
export const WEBHOOK_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '2 minutes',
    maximumAttempts: 8,
  },
};
