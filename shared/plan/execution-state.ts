/** The state of a running or finished execution, as workflows report it and the API shows it. */
import type { TokenUsage } from '../llm/chat';

export const EXECUTION_STATUSES = [
  'PENDING',
  'RUNNING',
  'WAITING_FOR_APPROVAL',
  'COMPLETED',
  'FAILED',
  'STOPPED',
  'CANCELLED',
  'REJECTED',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export const FINAL_STATUSES: readonly ExecutionStatus[] = [
  'COMPLETED',
  'FAILED',
  'STOPPED',
  'CANCELLED',
  'REJECTED',
];

export type TaskStatus = 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'STOPPED';

export interface LlmCallRecord {
  step: string;
  model: string;
  usage: TokenUsage;
  latency_ms: number;
}

export interface TaskState {
  key: string;
  name?: string;
  agent?: string;
  status: TaskStatus;
  output?: string;
  output_json?: unknown;
  error?: string;
  usage: TokenUsage;
  llm_calls: LlmCallRecord[];
  tool_calls: number;
  delegations: number;
  started_at?: string;
  finished_at?: string;
}

export interface ExecutionProgress {
  status: ExecutionStatus;
  tasks: TaskState[];
  usage: TokenUsage;
  current_step?: string;
  stop_requested: boolean;
  /** Approvals the execution is waiting for. */
  approvals?: { id: string; kind: string; message: string }[];
}

export interface CrewResult {
  status: Extract<ExecutionStatus, 'COMPLETED' | 'STOPPED'>;
  /** The last task's output (a stopped crew: the last completed task's, if any). */
  output?: string;
  output_json?: unknown;
  tasks: Record<string, string>;
  usage: TokenUsage;
}

/**
 * When a run continues as new: past either figure of its history (and whenever Temporal
 * suggests it), at the next point where its state is small. Chosen by whoever starts the run.
 */
export interface HistoryLimits {
  max_events: number;
  max_bytes: number;
}
