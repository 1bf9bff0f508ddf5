/**
 * The activities workflows call, as a contract: workflows depend on these signatures and
 * `createActivities` implements them. Activity names are recorded in history: never rename.
 */
import type { McpAttachment } from '../compiler/tool-resolution';
import type {
  LlmRequest,
  LlmResponse,
  McpToolRequest,
  SummarizeRequest,
  SummarizeResponse,
  TokenUsage,
  ToolRequest,
  ToolResult,
} from '../llm/chat';
import type { PlannedTool } from '../tools/tool-descriptor';
import type { CrewPlan } from '../plan/crew-plan';
import type { ExecutionStatus, HistoryLimits, TaskState } from '../plan/execution-state';
import type { FlowPlan } from '../plan/flow-plan';

export interface FinishExecution {
  executionId: string;
  status: Extract<ExecutionStatus, 'COMPLETED' | 'FAILED' | 'STOPPED' | 'CANCELLED' | 'REJECTED'>;
  output?: string;
  output_json?: unknown;
  error?: string;
  usage: TokenUsage;
}

export interface KasalActivities {
  /** One chat completion (one LLM step). */
  callLlm(request: LlmRequest): Promise<LlmResponse>;
  /** A stored conversation too long for its model, summarised (one LLM call) into a new one. */
  summarizeConversation(request: SummarizeRequest): Promise<SummarizeResponse>;
  /** One built-in tool call. */
  runTool(request: ToolRequest): Promise<ToolResult>;
  /** The tools of each attached MCP server, in order, when a run starts. */
  listMcpTools(request: { groupId: string; servers: McpAttachment[] }): Promise<PlannedTool[][]>;
  /** One MCP tool call. */
  callMcpTool(request: McpToolRequest): Promise<ToolResult>;
  markExecutionRunning(request: { executionId: string }): Promise<void>;
  recordTaskState(request: { executionId: string; task: TaskState }): Promise<void>;
  finishExecution(request: FinishExecution): Promise<void>;
}

/** An approval a workflow waits for: a gate between flow steps or a task's human input. */
export interface ApprovalRequest {
  id: string;
  executionId: string;
  groupId: string;
  workflowId: string;
  kind: 'gate' | 'task';
  gate_from?: string;
  gate_to?: string;
  task_key?: string;
  message: string;
  subject?: string;
  allowed_approvers: string[];
  require_comment: boolean;
  timeout_action?: 'auto_reject' | 'fail';
  /** ISO time when the approval times out, if it does. */
  expires_at?: string;
}

export interface ApprovalClosure {
  id: string;
  executionId: string;
  status: 'APPROVED' | 'REJECTED' | 'TIMED_OUT' | 'CANCELLED';
  action?: 'approve' | 'reject' | 'retry';
  decided_by?: { id: string; email: string };
  comment?: string;
}

export type WebhookEvent =
  'gate_reached' | 'gate_approved' | 'gate_rejected' | 'gate_timeout' | 'execution_terminated';

export interface StepExecution {
  id: string;
  parentExecutionId: string;
  groupId: string;
  stepId: string;
  name: string;
  crewId?: string;
  workflowId: string;
  plan: Record<string, unknown>;
}

export interface KasalHitlActivities {
  /** Records a pending approval and marks the execution WAITING_FOR_APPROVAL. */
  openApproval(request: ApprovalRequest): Promise<void>;
  /** Records the decision (or the timeout) and marks the execution RUNNING again. */
  closeApproval(closure: ApprovalClosure): Promise<void>;
  /** Ids of the group's enabled webhooks subscribed to the event (no secrets). */
  webhookTargets(request: { groupId: string; event: WebhookEvent }): Promise<string[]>;
  /** One signed delivery; throws on failure so Temporal retries it with backoff. */
  deliverWebhook(request: {
    webhookId: string;
    event: WebhookEvent;
    payload: Record<string, unknown>;
  }): Promise<void>;
}

/** An event of the flow itself (not of a step's crew), recorded with its progress. */
export interface FlowEvent {
  /** Unique within the execution: a retried write with the same key changes nothing. */
  key: string;
  type: string;
  title: string;
  data: Record<string, unknown>;
}

export interface KasalFlowActivities {
  /** Creates the execution row of a crew that runs as a flow step. */
  createStepExecution(step: StepExecution): Promise<void>;
  /** Keeps the flow execution's state and step progress in its row, with events if any. */
  recordFlowProgress(request: {
    executionId: string;
    progress: Record<string, unknown>;
    events?: FlowEvent[];
  }): Promise<void>;
}

/** What a scheduled run needs to start its crew or flow; the execution row is written already. */
export type PreparedScheduledRun =
  | ({
      ok: true;
      executionId: string;
      workflowId: string;
      name: string;
      crewId?: string;
      flowId?: string;
      /** When the run continues as new (absent in runs prepared before it existed). */
      history_limits?: HistoryLimits;
    } & ({ kind: 'crew'; plan: CrewPlan } | { kind: 'flow'; plan: FlowPlan }))
  | {
      ok: false;
      /** Why the run cannot start, in words (also the execution row's error, if one was written). */
      error: string;
      executionId?: string;
    };

export interface KasalScheduleActivities {
  /**
   * Loads the schedule and its crew or flow, compiles it (or takes the pinned snapshot) and
   * writes the execution row (trigger `scheduled`) with the id the workflow chose, so a retry
   * writes nothing twice. A schedule, crew or flow that is gone or invalid gives `ok: false`
   * and, when the schedule still exists, a FAILED execution row that says why.
   */
  prepareScheduledRun(request: {
    scheduleId: string;
    groupId: string;
    executionId: string;
  }): Promise<PreparedScheduledRun>;
}
