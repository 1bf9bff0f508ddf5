/** Chat messages and LLM call shapes exchanged between the crew workflow and its activities. */
import type { ModelSettings } from '../plan/crew-plan';
import type { ToolDescriptor } from '../tools/tool-descriptor';

export interface ToolCall {
  id: string;
  name: string;
  /** JSON text, exactly as the model produced it. */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export const NO_USAGE: TokenUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
  };
}

export interface LlmRequest {
  executionId: string;
  groupId: string;
  /** The task this step works on and a label for it, for the execution's events. */
  taskKey?: string;
  step?: string;
  model: ModelSettings;
  messages: ChatMessage[];
  tools: ToolDescriptor[];
  /** Ask for a JSON object answer (`response_format: json_object`). */
  json?: boolean;
}

export interface LlmResponse {
  content: string | null;
  tool_calls: ToolCall[];
  usage: TokenUsage;
  /** The model that answered, as the provider reports it. */
  model: string;
  finish_reason: string;
  latency_ms: number;
}

export interface ToolRequest {
  executionId: string;
  groupId: string;
  taskKey?: string;
  name: string;
  arguments: string;
}

/** A failing tool is an observation for the agent, not a crash of the run. */
export type ToolResult = { ok: true; output: string } | { ok: false; error: string };
