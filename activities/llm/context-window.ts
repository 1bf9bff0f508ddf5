/**
 * Conversations and the model's context window (CrewAI's `respect_context_window`): a rough
 * token estimate, the failure a too-long conversation is, and how a long conversation is cut
 * into the messages a summary replaces and the ones that stay.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE_TYPES } from '../../shared/errors';
import type { ChatMessage } from '../../shared/llm/chat';
import type { ToolDescriptor } from '../../shared/tools/tool-descriptor';

/** Share of the window a request may fill, leaving room for the answer (CrewAI's ratio). */
const USABLE_SHARE = 0.85;
/** Share of the usable window the kept recent messages may take after a summary. */
const KEPT_SHARE = 0.4;

/** About four characters a token: no tokenizer needed to stay on the safe side of the window. */
export function estimateTokens(messages: ChatMessage[], tools: ToolDescriptor[] = []): number {
  let chars = JSON.stringify(tools).length;
  for (const message of messages) {
    chars += (message.content ?? '').length + 8;
    if (message.role === 'assistant') chars += JSON.stringify(message.tool_calls ?? []).length;
  }
  return Math.ceil(chars / 4);
}

/** Tokens a request may use: the usable share of the window, less the answer's own budget. */
export function requestBudget(contextWindow: number, maxTokens: number | undefined): number {
  return Math.floor(contextWindow * USABLE_SHARE) - (maxTokens ?? 0);
}

export function contextWindowFailure(model: string, estimated: number, budget: number) {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.llmContextWindow,
    nonRetryable: true,
    message: `The conversation (about ${estimated} tokens) no longer fits the context window of '${model}' (${budget} tokens for the request)`,
  });
}

/**
 * Splits a conversation into what stays as it is (the system prompt and task, and the most
 * recent exchange when it is small enough) and the older messages a summary replaces.
 */
export function splitForSummary(
  messages: ChatMessage[],
  budget: number,
): { head: ChatMessage[]; older: ChatMessage[]; tail: ChatMessage[] } {
  const firstAnswer = messages.findIndex((message) => message.role === 'assistant');
  const headLength = firstAnswer < 0 ? messages.length : firstAnswer;
  const head = messages.slice(0, headLength);
  const rest = messages.slice(headLength);
  // The latest assistant message and its tool results stay together, or go together.
  const lastAnswer = rest.findLastIndex((message) => message.role === 'assistant');
  const candidate = lastAnswer < 0 ? [] : rest.slice(lastAnswer);
  const tail = estimateTokens(candidate) <= budget * KEPT_SHARE ? candidate : [];
  return { head, older: rest.slice(0, rest.length - tail.length), tail };
}

/** The older messages as a transcript for the summary, cut to fit the budget's characters. */
export function transcript(messages: ChatMessage[], budget: number): string {
  const room = Math.max(1000, Math.floor(budget * 4 * 0.8));
  const each = Math.max(200, Math.floor(room / Math.max(1, messages.length)));
  return messages
    .map((message) => {
      const calls =
        message.role === 'assistant' && message.tool_calls?.length
          ? ` [calls ${message.tool_calls.map((call) => `${call.name}(${call.arguments})`).join(', ')}]`
          : '';
      const text = message.content ?? '';
      const clipped = text.length > each ? `${text.slice(0, each)}… [cut]` : text;
      return `${message.role.toUpperCase()}${calls}: ${clipped}`;
    })
    .join('\n\n')
    .slice(0, room);
}

export const SUMMARY_SYSTEM_PROMPT =
  'You summarise the work of an AI agent so it can go on without the full conversation. Keep every fact, number, source and decision it found, what it has tried, and what is left to do. Reply with the summary only.';

export const summaryRequest = (text: string) =>
  `Summarise this part of the agent's conversation:\n\n${text}`;

export const summaryMessage = (summary: string) =>
  `Summary of your work so far (older messages were summarised to fit the context window):\n${summary}`;
