/**
 * One LLM step = one activity: an OpenAI chat completion (any OpenAI-compatible endpoint) with
 * function calling. Errors are classified for Temporal's retry policy: rate limits, 5xx,
 * timeouts and connection errors retry (honouring `retry-after`); 4xx do not. A failed call is
 * described by its status alone: the endpoint's answer never reaches errors, events or logs,
 * since the endpoint may be anything a group configured.
 */
import { STATUS_CODES } from 'node:http';
import { ApplicationFailure, Context } from '@temporalio/activity';
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { FAILURE_TYPES } from '../shared/errors';
import {
  priceUsage,
  type ChatMessage,
  type LlmRequest,
  type LlmResponse,
  type SummarizeRequest,
  type SummarizeResponse,
} from '../shared/llm/chat';
import {
  jsonSchemaResponseFormat,
  requestedOutputSchema,
  type JsonSchemaResponseFormat,
} from '../shared/llm/structured-output';
import { taskEventKey, type NewEvent } from '../shared/node/db/execution-events';
import { publicOnlyFetch } from '../shared/node/net/pinned-fetch';
import { PrivateAddressError } from '../shared/node/net/private-addresses';
import { stepKey } from './events';
import {
  contextWindowFailure,
  estimateTokens,
  requestBudget,
  splitForSummary,
  SUMMARY_SYSTEM_PROMPT,
  summaryMessage,
  summaryRequest,
  transcript,
} from './llm/context-window';
import type { ModelResolver, ResolvedModel } from './llm/model-resolver';
import type { ExecutionStore } from '../shared/node/store/execution-store';

const HEARTBEAT_INTERVAL_MS = 5000;
/** How often streamed text is written as an event. */
const TOKEN_FLUSH_MS = 100;
/** How much of each message an `llm_call` event keeps. */
const EVENT_MESSAGE_CHARS = 20_000;

export function createLlmActivities(deps: {
  resolveModel: ModelResolver;
  timeoutMs: number;
  /** Stream completions and record the text as it arrives (`llm_token` events). */
  streamTokens: boolean;
  events: (events: NewEvent[]) => Promise<void>;
  store: ExecutionStore;
}) {
  const clients = new Map<string, OpenAI>();
  // Connects only to public addresses, pinned to the one it checked.
  const publicFetch = publicOnlyFetch();
  const client = ({ baseURL, apiKey, allowPrivateNetworks }: ResolvedModel) => {
    const cacheKey = `${baseURL ?? ''}\u0000${apiKey}\u0000${allowPrivateNetworks}`;
    let client = clients.get(cacheKey);
    if (!client) {
      client = new OpenAI({
        baseURL,
        apiKey,
        // Temporal owns retries; the client must not retry behind its back.
        maxRetries: 0,
        timeout: deps.timeoutMs,
        ...(!allowPrivateNetworks && { fetch: publicFetch }),
      });
      clients.set(cacheKey, client);
    }
    return client;
  };

  /** The request's whole conversation: stored messages, then what this step adds. */
  async function conversationOf(request: LlmRequest) {
    const added = await deps.store.resolveMessages(request.groupId, request.messages);
    const cursor = request.conversation;
    if (!cursor) return { added, messages: added };
    const stored = await deps.store.conversation(
      request.groupId,
      cursor.id,
      cursor.length,
      cursor.length + added.length,
    );
    return {
      added,
      messages: [...stored.messages, ...added],
      ...(stored.answer && { answer: stored.answer }),
    };
  }

  return {
    async summarizeConversation(request: SummarizeRequest): Promise<SummarizeResponse> {
      const { messages } = await conversationOf(request);
      const target = await deps.resolveModel(request.groupId, request.model);
      const budget = requestBudget(target.contextWindow, request.model.max_tokens);
      const { head, older, tail } = splitForSummary(messages, budget);
      if (older.length === 0) {
        throw contextWindowFailure(target.model, estimateTokens(messages, request.tools), budget);
      }
      const heartbeat = setInterval(() => Context.current().heartbeat(), HEARTBEAT_INTERVAL_MS);
      const completion = await client(target)
        .chat.completions.create(
          {
            model: target.model,
            messages: [
              { role: 'system', content: SUMMARY_SYSTEM_PROMPT },
              { role: 'user', content: summaryRequest(transcript(older, budget)) },
            ],
          },
          { signal: Context.current().cancellationSignal },
        )
        .catch((error: unknown) => {
          throw classifyLlmError(error, target.model);
        })
        .finally(() => clearInterval(heartbeat));
      const answer = toAnswer(completion);
      const usage = target.prices ? priceUsage(answer.usage, target.prices) : answer.usage;
      const summarized: ChatMessage[] = [
        ...head,
        { role: 'user', content: summaryMessage(answer.content ?? '') },
        ...tail,
      ];
      await deps.store.append(
        request,
        request.into,
        0,
        summarized.map((message) => ({ message })),
      );
      await deps.events([
        {
          ...eventBase(request),
          key: stepKey('llm_context_summarized'),
          type: 'llm_context_summarized',
          title: `Conversation summarised to fit the context window: ${request.step ?? target.model}`,
          data: {
            model: target.model,
            summarized_messages: older.length,
            kept_messages: head.length + tail.length,
            tokens_before: estimateTokens(messages, request.tools),
            tokens_after: estimateTokens(summarized, request.tools),
            usage,
          },
        },
      ]);
      return {
        conversation: { id: request.into, length: summarized.length },
        summarized: older.length,
        usage,
      };
    },

    async callLlm(request: LlmRequest): Promise<LlmResponse> {
      const cursor = request.conversation;
      const { added, messages, answer: earlier } = await conversationOf(request);
      // An earlier attempt got its answer and then lost its worker: never pay for it twice.
      if (earlier) return earlier;
      const target = await deps.resolveModel(request.groupId, request.model);
      const budget = requestBudget(target.contextWindow, request.model.max_tokens);
      const estimated = estimateTokens(messages, request.tools);
      if (estimated > budget) {
        const failure = contextWindowFailure(target.model, estimated, budget);
        await deps.events([
          {
            ...eventBase(request),
            key: stepKey('llm_context_exceeded'),
            type: 'llm_context_exceeded',
            title: `Context window exceeded: ${request.step ?? target.model}`,
            data: { model: target.model, estimated_tokens: estimated, budget_tokens: budget },
          },
        ]);
        throw failure;
      }
      const structured = target.structuredOutput ? outputFormat(request, messages) : undefined;
      const openai = client(target);
      const started = performance.now();
      const heartbeat = setInterval(() => Context.current().heartbeat(), HEARTBEAT_INTERVAL_MS);
      const title = request.step ?? target.model;
      await deps.events([
        {
          ...eventBase(request),
          key: stepKey('llm_call'),
          type: 'llm_call',
          title: `LLM call: ${title}`,
          data: {
            model: target.model,
            // A stored conversation's event shows what this step added to it.
            messages: added.map(clipped),
            ...(cursor && { conversation: { id: cursor.id, earlier_messages: cursor.length } }),
            tools: request.tools.map((tool) => tool.name),
            ...(structured && {
              structured_output: {
                name: structured.json_schema.name,
                strict: structured.json_schema.strict,
              },
            }),
          },
        },
      ]);
      const body = {
        model: target.model,
        messages: messages.map(toOpenAiMessage),
        ...(request.tools.length > 0 && { tools: request.tools.map(toOpenAiTool) }),
        ...(request.model.temperature !== undefined && { temperature: request.model.temperature }),
        ...(request.model.max_tokens !== undefined && { max_tokens: request.model.max_tokens }),
        ...(structured
          ? { response_format: structured }
          : request.json && { response_format: { type: 'json_object' as const } }),
      };
      const signal = Context.current().cancellationSignal;
      try {
        const answer = deps.streamTokens
          ? await streamedCompletion(openai, body, signal, (text, batch) =>
              deps.events([
                {
                  ...eventBase(request),
                  key: stepKey(`llm_token:${batch}`),
                  type: 'llm_token',
                  title: `Tokens: ${title}`,
                  data: { text },
                },
              ]),
            )
          : toAnswer(await openai.chat.completions.create(body, { signal }));
        const response: LlmResponse = {
          ...answer,
          usage: target.prices ? priceUsage(answer.usage, target.prices) : answer.usage,
          model: answer.model || target.model,
          latency_ms: Math.round(performance.now() - started),
        };
        if (cursor) {
          const answer = assistantMessage(response, request.tools.length > 0);
          await deps.store.append(request, cursor.id, cursor.length, [
            ...added.map((message) => ({ message })),
            { message: answer, response },
          ]);
        }
        await deps.events([
          {
            ...eventBase(request),
            key: stepKey('llm_response'),
            type: 'llm_response',
            title: `LLM response: ${title}`,
            data: {
              model: response.model,
              content: response.content,
              tool_calls: response.tool_calls,
              usage: response.usage,
              finish_reason: response.finish_reason,
            },
            durationMs: response.latency_ms,
          },
        ]);
        return response;
      } catch (error) {
        const failure = classifyLlmError(error, target.model);
        await deps.events([
          {
            ...eventBase(request),
            key: stepKey(`llm_call_failed:${Context.current().info.attempt}`),
            type: 'llm_call_failed',
            title: `LLM call to ${target.model} failed`,
            data: { model: target.model, error: (failure as Error).message },
          },
        ]);
        throw failure;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

/**
 * A task's `output_json` as a response format, when the agent's task prompt (its first user
 * message) asks for a JSON Schema; delegated work, guardrail checks and planning ask for none.
 */
function outputFormat(
  request: LlmRequest,
  messages: ChatMessage[],
): JsonSchemaResponseFormat | undefined {
  const prompt = messages.find((message) => message.role === 'user')?.content;
  const schema = prompt === undefined ? undefined : requestedOutputSchema(prompt);
  return schema && jsonSchemaResponseFormat(request.taskKey ?? 'output', schema);
}

/** The answer as the conversation keeps it; tool calls only when tools were offered. */
function assistantMessage(response: LlmResponse, toolsOffered: boolean): ChatMessage {
  return {
    role: 'assistant',
    content: response.content,
    ...(toolsOffered && response.tool_calls.length > 0 && { tool_calls: response.tool_calls }),
  };
}

function clipped(message: ChatMessage): ChatMessage {
  if (typeof message.content !== 'string' || message.content.length <= EVENT_MESSAGE_CHARS) {
    return message;
  }
  return {
    ...message,
    content: `${message.content.slice(0, EVENT_MESSAGE_CHARS)}… [${message.content.length} characters]`,
  };
}

function eventBase(request: {
  executionId: string;
  groupId: string;
  taskKey?: string | undefined;
}) {
  return {
    executionId: request.executionId,
    groupId: request.groupId,
    taskKey: request.taskKey,
    ...(request.taskKey !== undefined && {
      parentKey: taskEventKey(request.executionId, request.taskKey),
    }),
  };
}

type Answer = Omit<LlmResponse, 'latency_ms'>;

function toAnswer(completion: ChatCompletion): Answer {
  const choice = completion.choices[0];
  return {
    content: choice?.message.content ?? null,
    tool_calls: (choice?.message.tool_calls ?? []).flatMap((call) =>
      call.type === 'function'
        ? [{ id: call.id, name: call.function.name, arguments: call.function.arguments }]
        : [],
    ),
    usage: {
      prompt_tokens: completion.usage?.prompt_tokens ?? 0,
      completion_tokens: completion.usage?.completion_tokens ?? 0,
      total_tokens: completion.usage?.total_tokens ?? 0,
    },
    model: completion.model,
    finish_reason: choice?.finish_reason ?? 'unknown',
  };
}

/**
 * A streamed completion, assembled as it arrives; the text is handed on in small batches
 * (`llm_token` events) so people watching a run see the answer being written.
 */
async function streamedCompletion(
  client: OpenAI,
  body: ChatCompletionCreateParamsNonStreaming,
  signal: AbortSignal,
  onText: (text: string, batch: number) => Promise<void>,
): Promise<Answer> {
  const stream = await client.chat.completions.create(
    { ...body, stream: true, stream_options: { include_usage: true } },
    { signal },
  );
  const answer: Answer = {
    content: null,
    tool_calls: [],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    model: '',
    finish_reason: 'unknown',
  };
  let pending = '';
  let batch = 0;
  let flushedAt = performance.now();
  const flush = async () => {
    if (!pending) return;
    const text = pending;
    pending = '';
    flushedAt = performance.now();
    await onText(text, batch++);
  };
  for await (const chunk of stream) {
    answer.model ||= chunk.model;
    if (chunk.usage) {
      answer.usage = {
        prompt_tokens: chunk.usage.prompt_tokens,
        completion_tokens: chunk.usage.completion_tokens,
        total_tokens: chunk.usage.total_tokens,
      };
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.content) {
      answer.content = (answer.content ?? '') + choice.delta.content;
      pending += choice.delta.content;
    }
    for (const call of choice.delta.tool_calls ?? []) {
      const slot = (answer.tool_calls[call.index] ??= { id: '', name: '', arguments: '' });
      if (call.id) slot.id = call.id;
      if (call.function?.name) slot.name += call.function.name;
      if (call.function?.arguments) slot.arguments += call.function.arguments;
    }
    if (choice.finish_reason) answer.finish_reason = choice.finish_reason;
    if (performance.now() - flushedAt >= TOKEN_FLUSH_MS) await flush();
  }
  await flush();
  return answer;
}

export function classifyLlmError(error: unknown, model: string): unknown {
  if (error instanceof OpenAI.APIConnectionError) {
    if (error.cause instanceof PrivateAddressError) {
      return ApplicationFailure.create({
        type: FAILURE_TYPES.llmBadRequest,
        nonRetryable: true,
        message: `Refused to call the LLM endpoint for '${model}': ${error.cause.message}, and private networks are not allowed for this model config (a system administrator can allow them)`,
      });
    }
    return ApplicationFailure.create({
      type: FAILURE_TYPES.llmServer,
      message: `Could not reach the LLM endpoint for '${model}': ${connectionProblem(error)}`,
    });
  }
  if (!(error instanceof OpenAI.APIError)) return error;
  const status = typeof error.status === 'number' ? error.status : 0;
  const contextLength = status === 400 && isContextLengthError(error);
  const reason = contextLength
    ? "the request is longer than the model's context window"
    : (STATUS_CODES[status] ?? 'unknown status');
  const detail = `LLM call to '${model}' failed with HTTP ${status} (${reason}); the endpoint's answer is not shown`;
  if (status === 429) {
    const delay = retryAfterMs(error.headers as Headers | undefined);
    return ApplicationFailure.create({
      type: FAILURE_TYPES.llmRateLimit,
      message: detail,
      ...(delay !== undefined && { nextRetryDelay: delay }),
    });
  }
  if (contextLength) {
    return ApplicationFailure.create({
      type: FAILURE_TYPES.llmContextWindow,
      message: detail,
      nonRetryable: true,
    });
  }
  if (status === 401 || status === 403) {
    return ApplicationFailure.create({
      type: FAILURE_TYPES.llmAuth,
      message: detail,
      nonRetryable: true,
    });
  }
  if (status >= 400 && status < 500 && status !== 408 && status !== 409) {
    return ApplicationFailure.create({
      type: FAILURE_TYPES.llmBadRequest,
      message: detail,
      nonRetryable: true,
    });
  }
  return ApplicationFailure.create({ type: FAILURE_TYPES.llmServer, message: detail });
}

/** Why a connection failed, from its system error code (ECONNREFUSED, ENOTFOUND, …) only. */
function connectionProblem(error: Error): string {
  for (let cause: unknown = error.cause; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
  }
  return error instanceof OpenAI.APIConnectionTimeoutError ? 'timed out' : 'connection failed';
}

/** The provider says the request is longer than the model's context (OpenAI's code, or words). */
function isContextLengthError(error: { code?: string | null; message: string }): boolean {
  return (
    error.code === 'context_length_exceeded' ||
    /context (length|window)|maximum context|too many tokens/i.test(error.message)
  );
}

/** `retry-after-ms`, or `retry-after` in seconds or as an HTTP date. */
function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function toOpenAiMessage(message: ChatMessage): ChatCompletionMessageParam {
  if (message.role === 'assistant') {
    return {
      role: 'assistant',
      content: message.content,
      ...(message.tool_calls?.length && {
        tool_calls: message.tool_calls.map((call) => ({
          id: call.id,
          type: 'function' as const,
          function: { name: call.name, arguments: call.arguments },
        })),
      }),
    };
  }
  return message;
}

function toOpenAiTool(tool: {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}): ChatCompletionTool {
  return {
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}
