/** The live picture of a flow execution, as the flow workflow reports it. */
import type { TokenUsage } from '../llm/chat';
import type { ExecutionStatus } from './execution-state';

/** SKIPPED: the step can no longer run, because no route that leads to it was taken. */
export const FLOW_STEP_STATUSES = [
  'PENDING',
  'WAITING_FOR_APPROVAL',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'STOPPED',
  'SKIPPED',
] as const;
export type FlowStepStatus = (typeof FLOW_STEP_STATUSES)[number];

export interface FlowStepState {
  id: string;
  name: string;
  status: FlowStepStatus;
  /** The execution of the crew run for this step (the latest, when it ran again). */
  execution_id?: string;
  runs: number;
  output?: string;
  error?: string;
}

export interface FlowProgress {
  status: ExecutionStatus;
  state: Record<string, unknown>;
  steps: FlowStepState[];
  routes: { router: string; route: string | null }[];
  approvals: { id: string; kind: string; message: string }[];
  usage: TokenUsage;
  stop_requested: boolean;
}
