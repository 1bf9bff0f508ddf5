/**
 * Activities are built by a factory from injected dependencies, so the worker wires real
 * clients and tests wire local servers. The result implements the workflows' contract.
 */
import type {
  KasalActivities,
  KasalFlowActivities,
  KasalHitlActivities,
  KasalScheduleActivities,
} from '../shared/contracts/activities';
import type { HistoryLimits } from '../shared/plan/execution-state';
import type { SecretBox } from '../shared/node/crypto/secret-box';
import type { Orm } from '../shared/node/db/orm';
import type { Logger } from '../shared/node/logger';
import { recordEvents, type NewEvent } from '../shared/node/db/execution-events';
import { createExecutionActivities } from './executions.activities';
import { createFlowActivities } from './flows.activities';
import { createHitlActivities } from './hitl.activities';
import { createModelResolver } from './llm/model-resolver';
import { createLlmActivities } from './llm.activities';
import { createMcpActivities } from './mcp.activities';
import type { McpConnections } from './mcp/mcp-connections';
import { createScheduleActivities } from './schedules.activities';
import { ExecutionStore } from '../shared/node/store/execution-store';
import type { ObjectStore } from '../shared/node/store/object-store';
import { createToolActivities } from './tools.activities';
import { builtinToolImplementations, type ToolEnvironment } from './tools/builtin-implementations';

export interface ActivityDeps {
  orm: Orm;
  logger: Logger;
  secrets: SecretBox;
  llm: {
    baseUrl?: string;
    apiKey?: string;
    timeoutMs: number;
    stream: boolean;
    /** Whether group model configs may reach private networks (KASAL_MODELS_ALLOW_PRIVATE_NETWORKS). */
    modelsAllowPrivateNetworks: boolean;
    /** The model of agents that name none, for the plans of scheduled runs. */
    defaultModel: string;
  };
  tools: ToolEnvironment;
  /** The worker's MCP sessions (closed when the worker stops). */
  mcp: McpConnections;
  webhooks: { allowPrivateNetworks: boolean };
  /** When runs continue as new, for the runs the worker starts itself (scheduled ones). */
  historyLimits: HistoryLimits;
  /** The largest start of a scheduled run (see KASAL_MAX_START_PAYLOAD_BYTES). */
  maxStartPayloadBytes: number;
  /** The object store for the largest stored texts, if one is configured. */
  objects?: ObjectStore | undefined;
}

export function createActivities(
  deps: ActivityDeps,
): KasalActivities & KasalHitlActivities & KasalFlowActivities & KasalScheduleActivities {
  const store = new ExecutionStore(deps.orm, deps.objects);
  const resolveModel = createModelResolver({
    orm: deps.orm,
    secrets: deps.secrets,
    defaults: deps.llm,
    modelsAllowPrivateNetworks: deps.llm.modelsAllowPrivateNetworks,
  });
  // Events are best effort: failing to record one must never repeat (and re-bill) the step.
  const events = (batch: NewEvent[]) =>
    recordEvents(deps.orm.em.fork(), batch).catch((error: unknown) => {
      deps.logger.error({ err: error }, 'could not record execution events');
    });
  return {
    ...createLlmActivities({
      resolveModel,
      timeoutMs: deps.llm.timeoutMs,
      streamTokens: deps.llm.stream,
      events,
      store,
    }),
    ...createToolActivities({
      orm: deps.orm,
      secrets: deps.secrets,
      tools: builtinToolImplementations(deps.tools),
      environment: deps.tools,
      logger: deps.logger,
      events,
      store,
    }),
    ...createMcpActivities({
      orm: deps.orm,
      secrets: deps.secrets,
      connections: deps.mcp,
      events,
      store,
    }),
    ...createExecutionActivities({ orm: deps.orm }),
    ...createFlowActivities({ orm: deps.orm }),
    ...createScheduleActivities({
      orm: deps.orm,
      defaultModel: deps.llm.defaultModel,
      historyLimits: deps.historyLimits,
      maxStartPayloadBytes: deps.maxStartPayloadBytes,
    }),
    ...createHitlActivities({
      orm: deps.orm,
      secrets: deps.secrets,
      allowPrivateNetworks: deps.webhooks.allowPrivateNetworks,
    }),
  };
}
