/** A local OpenAI-compatible Chat Completions server whose answers tests script in advance. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: string;
  content?: string | Array<{ type: string; text?: string; [key: string]: unknown }> | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ChatTool {
  type: string;
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

/** The parsed JSON body of a chat completion request. */
export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  tools?: ChatTool[];
  tool_choice?: unknown;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  response_format?: unknown;
  stream?: boolean;
  [key: string]: unknown;
}

export interface RecordedRequest {
  /** 1-based, in arrival order. */
  id: number;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: ChatRequestBody;
  /** Date.now() when the request body had been read. */
  receivedAt: number;
}

export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
  id?: string;
}

export interface ScriptedError {
  message: string;
  type?: string;
  code?: string;
}

export type ScriptedReply =
  /** A final text answer. */
  | { content: string; usage?: Partial<Usage> }
  /** The model asks for tools to be called. */
  | { toolCalls: ScriptedToolCall[]; content?: string; usage?: Partial<Usage> }
  /** An HTTP error, e.g. 429 with a `retry-after` header, 500 or 401. */
  | { status: number; error?: ScriptedError; headers?: Record<string, string> }
  /** Never answers; the socket stays open until the server closes. */
  | { hang: true };

export type Responder = (request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>;

export interface ScriptedLlmServer {
  /** e.g. http://127.0.0.1:12345; clients use `${url}/v1` as baseURL. */
  url: string;
  /** Every chat completion request received, in order (recorded before it is answered). */
  requests: RecordedRequest[];
  /**
   * Queue replies answered in order; when the queue is empty the fallback responder answers
   * (default: HTTP 500 "no scripted reply left").
   */
  enqueue(...replies: ScriptedReply[]): void;
  /** Replaces the fallback responder. */
  respondWith(responder: Responder): void;
  /** Fixed delay before each chat completion answer. */
  setLatency(ms: number): void;
  /** Ends in-flight (including hanging) requests and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

export const SCRIPTED_MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'] as const;

const noScriptedReply: Responder = (request) => {
  throw new Error(
    `no scripted reply left for chat completion request #${request.id}: ` +
      'enqueue() more replies or set a fallback with respondWith()',
  );
};

type Outcome = { ok: true; reply: ScriptedReply } | { ok: false; error: unknown };

export async function startScriptedLlmServer(
  options: { port?: number; latencyMs?: number } = {},
): Promise<ScriptedLlmServer> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let fallback: Responder = noScriptedReply;
  let latencyMs = options.latencyMs ?? 0;
  let closing: Promise<void> | undefined;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  /** Picks the reply now, so queued replies follow arrival order even under concurrency. */
  const nextReply = (request: RecordedRequest): Promise<Outcome> => {
    const queued = queue.shift();
    const responder = fallback;
    return Promise.resolve()
      .then(() => queued ?? responder(request))
      .then(
        (reply): Outcome => ({ ok: true, reply }),
        (error: unknown): Outcome => ({ ok: false, error }),
      );
  };

  const handleChatCompletion = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendError(res, 400, { message: 'request body is not valid JSON' });
    }
    const problem = checkChatRequest(body);
    if (problem) return sendError(res, 400, { message: problem });
    const request: RecordedRequest = {
      id: requests.length + 1,
      path,
      headers: { ...req.headers },
      body: body as ChatRequestBody,
      receivedAt: Date.now(),
    };
    requests.push(request);
    const outcome = nextReply(request);
    await delay(latencyMs);
    const result = await outcome;
    if (closing || res.destroyed) return;
    if (!result.ok) {
      const reason = result.error instanceof Error ? result.error.message : String(result.error);
      return sendError(res, 500, {
        message: `scripted LLM server: ${reason}`,
        type: 'server_error',
      });
    }
    const reply = result.reply;
    if ('hang' in reply) return;
    if ('status' in reply) return sendError(res, reply.status, reply.error, reply.headers);
    if ('toolCalls' in reply || 'content' in reply) {
      const body = completion(request, reply);
      if (request.body.stream === true) return sendStream(res, request, body);
      return sendJson(res, 200, body);
    }
    sendError(res, 500, {
      message: `scripted LLM server: not a scripted reply: ${JSON.stringify(reply)}`,
      type: 'server_error',
    });
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = path.replace(/\/+$/, '');
    if (
      req.method === 'POST' &&
      (route === '/v1/chat/completions' || route === '/chat/completions')
    ) {
      handleChatCompletion(req, res, path).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!res.headersSent && !res.destroyed) {
          sendError(res, 500, { message: `scripted LLM server: ${message}`, type: 'server_error' });
        }
      });
      return;
    }
    if (req.method === 'GET' && (route === '/v1/models' || route === '/models')) {
      return sendJson(res, 200, modelList());
    }
    sendError(res, 404, {
      message: `scripted LLM server: no route for ${req.method ?? '?'} ${path}`,
      code: 'unknown_url',
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    respondWith: (responder) => void (fallback = responder),
    setLatency: (ms) => void (latencyMs = ms),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function checkChatRequest(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return 'request body must be a JSON object';
  }
  const candidate = body as Record<string, unknown>;
  if (typeof candidate.model !== 'string') return "'model' is required and must be a string";
  if (!Array.isArray(candidate.messages)) return "'messages' is required and must be an array";
  return undefined;
}

function completion(
  request: RecordedRequest,
  reply:
    Extract<ScriptedReply, { content: string }> | Extract<ScriptedReply, { toolCalls: unknown }>,
) {
  const toolCalls: ChatToolCall[] =
    'toolCalls' in reply
      ? reply.toolCalls.map((call, index) => ({
          id: call.id ?? `call_scripted_${request.id}_${index}`,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
        }))
      : [];
  const content = reply.content ?? null;
  const completionWords =
    countWords(content ?? '') +
    toolCalls.reduce(
      (sum, call) => sum + countWords(`${call.function.name} ${call.function.arguments}`),
      0,
    );
  const promptTokens = reply.usage?.prompt_tokens ?? countPromptWords(request.body.messages);
  const completionTokens = reply.usage?.completion_tokens ?? Math.max(1, completionWords);
  return {
    id: `chatcmpl-scripted${request.id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.body.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          refusal: null,
        },
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
        logprobs: null,
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: reply.usage?.total_tokens ?? promptTokens + completionTokens,
    },
  };
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function countPromptWords(messages: ChatMessage[]): number {
  let words = 0;
  for (const message of messages) {
    if (typeof message.content === 'string') words += countWords(message.content);
    else if (Array.isArray(message.content)) {
      for (const part of message.content) {
        if (typeof part.text === 'string') words += countWords(part.text);
      }
    }
    for (const call of message.tool_calls ?? []) {
      words += countWords(`${call.function.name} ${call.function.arguments}`);
    }
  }
  return words;
}

function modelList() {
  const created = Math.floor(Date.now() / 1000);
  return {
    object: 'list',
    data: SCRIPTED_MODELS.map((id) => ({ id, object: 'model', created, owned_by: 'scripted' })),
  };
}

function defaultErrorType(status: number): string {
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function sendError(
  res: ServerResponse,
  status: number,
  error: ScriptedError | undefined,
  headers: Record<string, string> = {},
) {
  sendJson(
    res,
    status,
    {
      error: {
        message: error?.message ?? `scripted error (HTTP ${status})`,
        type: error?.type ?? defaultErrorType(status),
        param: null,
        code: error?.code ?? null,
      },
    },
    headers,
  );
}

let requestCounter = 0;

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'x-request-id': `req_scripted_${++requestCounter}`,
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The same completion as Server-Sent Events of `chat.completion.chunk`s, as the OpenAI API
 * streams it: the content word by word, each tool call in one delta, then the finish reason,
 * the usage when `stream_options.include_usage` asks for it, and `[DONE]`.
 */
function sendStream(
  res: ServerResponse,
  request: RecordedRequest,
  body: ReturnType<typeof completion>,
) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(
      `data: ${JSON.stringify({ id: body.id, object: 'chat.completion.chunk', created: body.created, model: body.model, choices, ...extra })}\n\n`,
    );
  const choice = body.choices[0]!;
  const words = (choice.message.content ?? '').match(/\s*\S+\s*/g) ?? [];
  chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  for (const word of words) chunk([{ index: 0, delta: { content: word }, finish_reason: null }]);
  (choice.message.tool_calls ?? []).forEach((call, index) =>
    chunk([{ index: 0, delta: { tool_calls: [{ index, ...call }] }, finish_reason: null }]),
  );
  chunk([{ index: 0, delta: {}, finish_reason: choice.finish_reason }]);
  const options = request.body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage) chunk([], { usage: body.usage });
  res.end('data: [DONE]\n\n');
}

/** The last user message of a recorded request: what the agent was asked most recently. */
export function lastUserPrompt(request: RecordedRequest): string {
  const message = [...request.body.messages].reverse().find((item) => item.role === 'user');
  return String(message?.content ?? '');
}
