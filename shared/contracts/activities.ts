/**
 * The activities workflows call, as a contract: workflows depend on these signatures and
 * `createActivities` implements them. Activity names are recorded in history: never rename.
 */
import type { LlmRequest, LlmResponse, TokenUsage, ToolRequest, ToolResult } from '../llm/chat';
import type { ExecutionStatus, TaskState } from '../plan/execution-state';

export interface FinishExecution {
  executionId: string;
  status: Extract<ExecutionStatus, 'COMPLETED' | 'FAILED' | 'STOPPED' | 'CANCELLED'>;
  output?: string;
  output_json?: unknown;
  error?: string;
  usage: TokenUsage;
}

export interface KasalActivities {
  /** One chat completion (one LLM step). */
  callLlm(request: LlmRequest): Promise<LlmResponse>;
  /** One tool call. */
  runTool(request: ToolRequest): Promise<ToolResult>;
  markExecutionRunning(request: { executionId: string }): Promise<void>;
  recordTaskState(request: { executionId: string; task: TaskState }): Promise<void>;
  finishExecution(request: FinishExecution): Promise<void>;
}
