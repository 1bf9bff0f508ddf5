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

/** A text kept in the platform's store (a tool result, a task output), in history as its key. */
export interface StoredText {
  stored: string;
  chars?: number;
}

/** A completed task's output (its execution task row), by reference: later tasks' context. */
export const TASK_OUTPUT_PREFIX = 'task-output:';
export const taskOutputKey = (executionId: string, taskKey: string): string =>
  `${TASK_OUTPUT_PREFIX}${executionId}:${taskKey}`;

/** Message text as a workflow writes it: plain, or parts of which some are stored texts. */
export type MessageText = string | (string | StoredText)[];

/** A message a workflow adds to a conversation: its texts may be stored ones. */
export type NewChatMessage =
  | { role: 'system' | 'user'; content: MessageText }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: MessageText };

/** A conversation kept in the platform's store, and how many messages it had when sent. */
export interface ConversationCursor {
  id: string;
  length: number;
}

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** USD; known only when every call counted was to a model with prices in its config. */
  cost_usd?: number;
}

export const NO_USAGE: TokenUsage = {
  prompt_tokens: 0,
  completion_tokens: 0,
  total_tokens: 0,
  cost_usd: 0,
};

/** Prices of a model config, in USD per million tokens. */
export interface ModelPrices {
  input_per_million: number;
  output_per_million: number;
}

/** Sums two usages; the cost stays known only while both sides know theirs. */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    prompt_tokens: a.prompt_tokens + b.prompt_tokens,
    completion_tokens: a.completion_tokens + b.completion_tokens,
    total_tokens: a.total_tokens + b.total_tokens,
    ...(a.cost_usd !== undefined &&
      b.cost_usd !== undefined && { cost_usd: roundUsd(a.cost_usd + b.cost_usd) }),
  };
}

/** What a call's tokens cost at the given prices. */
export function priceUsage(usage: TokenUsage, prices: ModelPrices): TokenUsage {
  const cost =
    (usage.prompt_tokens * prices.input_per_million +
      usage.completion_tokens * prices.output_per_million) /
    1_000_000;
  return { ...usage, cost_usd: roundUsd(cost) };
}

/** Costs are kept to a billionth of a dollar, so sums do not collect floating-point noise. */
const roundUsd = (value: number) => Math.round(value * 1e9) / 1e9;

export interface LlmRequest {
  executionId: string;
  groupId: string;
  /** The task this step works on and a label for it, for the execution's events. */
  taskKey?: string;
  step?: string;
  model: ModelSettings;
  /**
   * Without `conversation`: the whole conversation. With it: the messages to add to the stored
   * conversation (at `conversation.length`) before the call; the answer is stored after them.
   */
  messages: NewChatMessage[];
  conversation?: ConversationCursor;
  tools: ToolDescriptor[];
  /** Ask for a JSON object answer (`response_format: json_object`). */
  json?: boolean;
}

/** Older messages of a stored conversation summarised into a new one that fits the model. */
export interface SummarizeRequest extends LlmRequest {
  conversation: ConversationCursor;
  /** The id of the new conversation (chosen by the workflow, so a retry writes the same). */
  into: string;
}

export interface SummarizeResponse {
  conversation: ConversationCursor;
  /** How many messages the summary replaced. */
  summarized: number;
  usage: TokenUsage;
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
  /** The tool's settings pinned in the plan (no secrets). */
  config?: Record<string, unknown>;
  /** Store a long result and return a preview with its key, instead of the whole text. */
  by_reference?: boolean;
}

/** One call of an MCP server's tool. */
export interface McpToolRequest extends ToolRequest {
  server_id: string;
  /** The server's name, for events and messages. */
  server: string;
  /** The tool's name on the server (`name` is what the LLM saw). */
  tool: string;
}

/**
 * A failing tool is an observation for the agent, not a crash of the run. A long output asked
 * for by reference is stored: `output` is then its beginning, `stored` the whole.
 */
export type ToolResult =
  { ok: true; output: string; stored?: StoredText } | { ok: false; error: string };

/** What the agent reads of a tool's result. */
export function toolResultText(result: ToolResult): MessageText {
  if (!result.ok) return `Error: ${result.error}`;
  return result.stored ? [result.stored] : result.output;
}
