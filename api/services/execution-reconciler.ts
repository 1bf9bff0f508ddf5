/**
 * Keeps unfinished executions true to their workflows. A workflow that Temporal ended on its
 * own or at an operator's hand (terminated, timed out, past the history limit) never runs its
 * own ending, so its row would say RUNNING for ever: the reconciler ends the row with the
 * reason and writes the event streams show. A workflow task that keeps failing (say, a
 * non-determinism error after a bad deploy) shows as the execution's warning instead of silence.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import {
  webhookNotificationWorkflow,
  type WebhookNotification,
} from '../../workflows/webhook-notification.workflow';
import {
  FINAL_STATUSES,
  type ExecutionStatus,
  type HistoryLimits,
} from '../../shared/plan/execution-state';
import {
  ExecutionEntity,
  ExecutionTaskEntity,
  type Execution,
} from '../../shared/node/db/entities';
import { recordEvents } from '../../shared/node/db/execution-events';
import type { EntityManager, Orm } from '../../shared/node/db/orm';
import type { Logger } from '../../shared/node/logger';

const { WorkflowExecutionStatus, EventType, HistoryEventFilterType } = temporal.api.enums.v1;

/** A workflow task that failed this many times in a row is shown as a warning. */
export const FAILING_TASK_ATTEMPTS = 3;
/** A row this young may belong to a workflow that is being started right now. */
const START_GRACE_MS = 120_000;
const TEMPORAL_TIMEOUT_MS = 5000;
/** Rows checked per sweep; a cursor walks through all of them over successive sweeps. */
const SWEEP_BATCH = 50;
const SWEEP_CONCURRENCY = 4;
/** Past this share of the server's history limits a step may already have been refused. */
const LIMIT_MARGIN = 0.9;

const UNFINISHED: ExecutionStatus[] = ['PENDING', 'RUNNING', 'WAITING_FOR_APPROVAL'];

export type Reconciliation =
  | { kind: 'running' }
  | { kind: 'warning'; warning: string | null }
  | { kind: 'ended'; status: 'FAILED' | 'CANCELLED' | 'COMPLETED'; reason: string };

export class ExecutionReconciler {
  private cursor = '';

  constructor(
    private readonly deps: {
      temporal: Client;
      orm: Orm;
      logger: Logger;
      namespace: string;
      /** The server's history limits: a run close to them can record no more steps. */
      serverLimits: HistoryLimits;
      /** Where the webhook notification of a reconciled execution runs. */
      taskQueue: string;
    },
  ) {}

  /** Checks the next batch of unfinished executions; returns how many rows it changed. */
  async sweep(): Promise<number> {
    const em = this.deps.orm.em.fork();
    const rows = await em.find(
      ExecutionEntity,
      { status: { $in: UNFINISHED }, ...(this.cursor && { id: { $gt: this.cursor } }) },
      { orderBy: { id: 'asc' }, limit: SWEEP_BATCH },
    );
    this.cursor = rows.length < SWEEP_BATCH ? '' : (rows[rows.length - 1]?.id ?? '');
    let changed = 0;
    for (let index = 0; index < rows.length; index += SWEEP_CONCURRENCY) {
      const batch = rows.slice(index, index + SWEEP_CONCURRENCY);
      const results = await Promise.all(batch.map((row) => this.check(em, row)));
      changed += results.filter(Boolean).length;
    }
    return changed;
  }

  /** Compares one unfinished execution with its workflow and repairs its row; true if changed. */
  async check(em: EntityManager, row: Execution): Promise<boolean> {
    if (FINAL_STATUSES.includes(row.status)) return false;
    let found: Reconciliation;
    try {
      found = await this.inspect(row);
    } catch (error) {
      this.deps.logger.debug({ err: error, executionId: row.id }, 'could not inspect workflow');
      return false;
    }
    if (found.kind === 'running') return false;
    if (found.kind === 'warning') {
      if ((row.warning ?? null) === found.warning) return false;
      await em.nativeUpdate(ExecutionEntity, { id: row.id }, { warning: found.warning });
      if (found.warning) {
        await recordEvents(em, [
          {
            key: `${row.id}:warning:${Date.now()}`,
            executionId: row.id,
            groupId: row.groupId,
            type: 'execution_warning',
            title: `Warning: ${row.name}`,
            data: { warning: found.warning },
          },
        ]);
      }
      return true;
    }
    return this.end(em, row, found.status, found.reason);
  }

  private async inspect(row: Execution): Promise<Reconciliation> {
    const handle = this.deps.temporal.workflow.getHandle(row.workflowId);
    let description;
    try {
      description = await this.withDeadline(() => handle.describe());
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      if (Date.now() - row.createdAt.getTime() < START_GRACE_MS) return { kind: 'running' };
      return {
        kind: 'ended',
        status: 'FAILED',
        reason: 'Its workflow was never started or no longer exists in Temporal',
      };
    }
    const info = description.raw.workflowExecutionInfo;
    const status = info?.status;
    if (status === WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      const full = this.historyAtLimit(
        Number(info?.historyLength ?? 0),
        Number(info?.historySizeBytes ?? 0),
      );
      if (full) {
        // The server refuses the run's next step and would wait for ever: end it visibly.
        await this.withDeadline(() => handle.terminate(full));
        return { kind: 'ended', status: 'FAILED', reason: full };
      }
      const attempt = description.raw.pendingWorkflowTask?.attempt ?? 0;
      if (attempt < FAILING_TASK_ATTEMPTS) return { kind: 'warning', warning: null };
      const failure = await this.lastTaskFailure(row.workflowId);
      return {
        kind: 'warning',
        warning: `The workflow task has failed ${attempt} times in a row; the run makes no progress until a worker can run it${failure ? `: ${failure}` : ''}`,
      };
    }
    const reason = await this.closeReason(row.workflowId, description.runId);
    switch (status) {
      case WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED:
        return { kind: 'ended', status: 'COMPLETED', reason };
      case WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED:
        return { kind: 'ended', status: 'CANCELLED', reason };
      default:
        return { kind: 'ended', status: 'FAILED', reason };
    }
  }

  /** Why a run can record no more steps, when its history is at the server's limits. */
  private historyAtLimit(events: number, bytes: number): string | undefined {
    const limits = this.deps.serverLimits;
    if (events < limits.max_events * LIMIT_MARGIN && bytes < limits.max_bytes * LIMIT_MARGIN) {
      return undefined;
    }
    return `The run's history reached Temporal's limit (${events} events, ${bytes} bytes of ${limits.max_events} events or ${limits.max_bytes} bytes): it could record no more steps`;
  }

  /** Why a closed workflow ended, in words, from its closing event alone. */
  private async closeReason(workflowId: string, runId: string): Promise<string> {
    const response = await this.withDeadline(() =>
      this.deps.temporal.workflowService.getWorkflowExecutionHistory({
        namespace: this.deps.namespace,
        execution: { workflowId, runId },
        historyEventFilterType: HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      }),
    );
    const event = response.history?.events?.[0];
    const terminated = event?.workflowExecutionTerminatedEventAttributes;
    if (terminated) {
      return `The workflow was terminated${terminated.identity ? ` by ${terminated.identity}` : ''}: ${terminated.reason || 'no reason given'}`;
    }
    if (event?.workflowExecutionTimedOutEventAttributes) return 'The workflow timed out';
    const failed = event?.workflowExecutionFailedEventAttributes?.failure?.message;
    if (failed) return `The workflow failed: ${failed}`;
    if (event?.workflowExecutionCanceledEventAttributes) return 'The workflow was cancelled';
    return 'The workflow ended without recording the result';
  }

  /** The message of the latest workflow task failure, read from the end of the history. */
  private async lastTaskFailure(workflowId: string): Promise<string | undefined> {
    const response = await this.withDeadline(() =>
      this.deps.temporal.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: this.deps.namespace,
        execution: { workflowId },
        maximumPageSize: 20,
      }),
    );
    const failed = response.history?.events?.find(
      (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    );
    const message = failed?.workflowTaskFailedEventAttributes?.failure?.message;
    return message ? message.slice(0, 500) : undefined;
  }

  /** Ends the row (only if it is still unfinished), its running tasks, and says why. */
  private async end(
    em: EntityManager,
    row: Execution,
    status: 'FAILED' | 'CANCELLED' | 'COMPLETED',
    reason: string,
  ): Promise<boolean> {
    const finishedAt = new Date();
    // A workflow that completed without writing its row: its result is unknown here.
    const final = status === 'COMPLETED' ? 'FAILED' : status;
    const updated = await em.nativeUpdate(
      ExecutionEntity,
      { id: row.id, status: { $in: UNFINISHED } },
      { status: final, error: reason, finishedAt, warning: null },
    );
    if (updated === 0) return false;
    await em.nativeUpdate(
      ExecutionTaskEntity,
      { executionId: row.id, status: 'RUNNING' },
      { status: final === 'CANCELLED' ? 'STOPPED' : 'FAILED', error: reason, finishedAt },
    );
    await recordEvents(em, [
      {
        key: `${row.id}:finished:${final}`,
        executionId: row.id,
        groupId: row.groupId,
        type: final === 'FAILED' ? `${row.kind}_failed` : `execution_${final.toLowerCase()}`,
        title: `${row.kind === 'flow' ? 'Flow' : 'Crew'} ${final.toLowerCase()}: ${row.name}`,
        data: { status: final, error: reason, reconciled: true },
        occurredAt: finishedAt,
      },
    ]);
    this.deps.logger.warn({ executionId: row.id, status: final, reason }, 'execution reconciled');
    await this.notify(row, final, reason, finishedAt);
    return true;
  }

  /** Webhooks subscribed to `execution_terminated` hear of it, durably (a workflow of its own). */
  private async notify(row: Execution, status: string, reason: string, at: Date): Promise<void> {
    const notification: WebhookNotification = {
      groupId: row.groupId,
      event: 'execution_terminated',
      payload: {
        event: 'execution_terminated',
        timestamp: at.toISOString(),
        execution_id: row.id,
        kind: row.kind,
        name: row.name,
        status,
        reason,
      },
    };
    try {
      await this.withDeadline(() =>
        this.deps.temporal.workflow.start(webhookNotificationWorkflow, {
          taskQueue: this.deps.taskQueue,
          // One notification per execution, whichever API found it first.
          workflowId: `kasal-webhooks-${row.id}-terminated`,
          args: [notification],
          staticSummary: `Webhooks · ${row.name} ended without finishing`,
        }),
      );
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return;
      this.deps.logger.warn({ err: error, executionId: row.id }, 'could not notify webhooks');
    }
  }

  private withDeadline<T>(fn: () => Promise<T>): Promise<T> {
    return this.deps.temporal.connection.withDeadline(Date.now() + TEMPORAL_TIMEOUT_MS, fn);
  }
}

/** Runs `sweep` every `intervalMs`, one at a time; the returned function stops it. */
export function startExecutionReconciler(
  reconciler: ExecutionReconciler,
  logger: Logger,
  intervalMs: number,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweep = () => {
    running ??= reconciler
      .sweep()
      .then((changed) => {
        if (changed > 0) logger.info({ changed }, 'executions reconciled with Temporal');
      })
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'execution sweep failed; the next one tries again');
      })
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(sweep, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
