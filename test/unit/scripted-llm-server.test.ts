import OpenAI, {
  APIConnectionError,
  AuthenticationError,
  InternalServerError,
  RateLimitError,
} from 'openai';
import { startScriptedLlmServer, type ScriptedLlmServer } from '../support/scripted-llm-server';
import { waitFor } from '../support/processes';

let server: ScriptedLlmServer;
let client: OpenAI;

beforeEach(async () => {
  server = await startScriptedLlmServer();
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test-key', maxRetries: 0 });
});

afterEach(async () => {
  await server.close();
});

const ask = (content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content }],
    ...extra,
  });

/** Settles to the error (or 'answered') so a rejection is never left unhandled. */
const settle = (promise: Promise<unknown>) =>
  promise.then(
    () => 'answered' as const,
    (error: unknown) => error,
  );

describe('scripted LLM server', () => {
  it('answers with a scripted text reply in the real chat.completion shape', async () => {
    server.enqueue({ content: 'Hello from the script' });
    const completion = await ask('Say hello');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini');
    expect(typeof completion.created).toBe('number');
    expect(completion.choices).toHaveLength(1);
    expect(completion.choices[0]).toEqual({
      index: 0,
      message: { role: 'assistant', content: 'Hello from the script', refusal: null },
      finish_reason: 'stop',
      logprobs: null,
    });
  });

  it('answers with tool calls whose arguments are a JSON string', async () => {
    server.enqueue({
      toolCalls: [
        { name: 'search', arguments: { query: 'temporal workflows', limit: 3 } },
        { name: 'fetch_page', arguments: { url: 'https://example.com' }, id: 'call_custom' },
      ],
    });
    const completion = await ask('Find something', {
      tools: [
        {
          type: 'function',
          function: {
            name: 'search',
            description: 'Search the web',
            parameters: { type: 'object', properties: { query: { type: 'string' } } },
          },
        },
      ],
    });
    const choice = completion.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls!;
    expect(calls).toHaveLength(2);
    const first = calls[0]!;
    expect(first.type).toBe('function');
    expect(first.id).toEqual(expect.any(String));
    if (first.type !== 'function') throw new Error('expected a function tool call');
    expect(first.function.name).toBe('search');
    expect(JSON.parse(first.function.arguments)).toEqual({ query: 'temporal workflows', limit: 3 });
    expect(calls[1]!.id).toBe('call_custom');
  });

  it('reports usage: word counts by default, scripted numbers when given', async () => {
    server.enqueue(
      { content: 'one two three' },
      { content: 'x', usage: { prompt_tokens: 100, completion_tokens: 20 } },
      { toolCalls: [{ name: 'noop', arguments: {} }], usage: { total_tokens: 7 } },
    );
    const first = await ask('four words right here');
    expect(first.usage).toEqual({ prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
    const second = await ask('ignored');
    expect(second.usage).toEqual({ prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 });
    const third = await ask('a b');
    expect(third.usage!.prompt_tokens).toBe(2);
    expect(third.usage!.completion_tokens).toBeGreaterThanOrEqual(1);
    expect(third.usage!.total_tokens).toBe(7);
  });

  it('records every request, messages and tools included', async () => {
    server.enqueue({ content: 'ok' }, { content: 'ok again' });
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'lookup', parameters: { type: 'object', properties: {} } },
      },
    ];
    await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Look it up' },
      ],
      tools,
      tool_choice: 'auto',
      temperature: 0.2,
      max_tokens: 50,
    });
    await ask('second');
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(first!.id).toBe(1);
    expect(first!.path).toBe('/v1/chat/completions');
    expect(first!.headers.authorization).toBe('Bearer test-key');
    expect(first!.body).toMatchObject({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Look it up' },
      ],
      tools,
      tool_choice: 'auto',
      temperature: 0.2,
      max_tokens: 50,
    });
    expect(first!.receivedAt).toBeLessThanOrEqual(second!.receivedAt);
    expect(second!.id).toBe(2);
    expect(second!.body.messages).toEqual([{ role: 'user', content: 'second' }]);
  });

  it('surfaces a 429 as RateLimitError with the retry-after header', async () => {
    server.enqueue({
      status: 429,
      error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' },
      headers: { 'retry-after': '7' },
    });
    const error = await settle(ask('hurry'));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as RateLimitError;
    expect(rateLimit.status).toBe(429);
    expect(rateLimit.headers.get('retry-after')).toBe('7');
    expect(rateLimit.code).toBe('rate_limit_exceeded');
    expect(rateLimit.message).toContain('Rate limit reached');
  });

  it('maps other scripted statuses to the matching client errors', async () => {
    server.enqueue(
      { status: 401, error: { message: 'Incorrect API key provided' } },
      { status: 500 },
    );
    const unauthorized = await settle(ask('who am I'));
    expect(unauthorized).toBeInstanceOf(AuthenticationError);
    expect((unauthorized as AuthenticationError).type).toBe('invalid_request_error');
    const failed = await settle(ask('again'));
    expect(failed).toBeInstanceOf(InternalServerError);
    expect((failed as InternalServerError).status).toBe(500);
  });

  it('answers from the queue first, then from the fallback responder', async () => {
    server.enqueue({ content: 'first' }, { content: 'second' });
    expect((await ask('1')).choices[0]!.message.content).toBe('first');
    expect((await ask('2')).choices[0]!.message.content).toBe('second');

    const exhausted = await settle(ask('3'));
    expect(exhausted).toBeInstanceOf(InternalServerError);
    expect((exhausted as InternalServerError).message).toContain('no scripted reply left');

    server.respondWith(async (request) => {
      const last = request.body.messages.at(-1);
      await Promise.resolve();
      return { content: `echo: ${typeof last?.content === 'string' ? last.content : '?'}` };
    });
    expect((await ask('4')).choices[0]!.message.content).toBe('echo: 4');
    server.enqueue({ content: 'queued wins' });
    expect((await ask('5')).choices[0]!.message.content).toBe('queued wins');
    expect((await ask('6')).choices[0]!.message.content).toBe('echo: 6');
    expect(server.requests.map((request) => request.id)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('turns a throwing responder into a 500 with its message', async () => {
    server.respondWith(() => {
      throw new Error('responder exploded');
    });
    const error = await settle(ask('boom'));
    expect(error).toBeInstanceOf(InternalServerError);
    expect((error as InternalServerError).message).toContain('responder exploded');
  });

  it('lists models', async () => {
    const models = await client.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    expect(models.data[0]).toMatchObject({ object: 'model', id: expect.any(String) });
  });

  it('records a hanging request while in flight, and close() ends it promptly', async () => {
    server.enqueue({ hang: true });
    const pending = settle(ask('wait forever'));
    await waitFor('the request to be recorded', () => server.requests.length === 1 || undefined);
    expect(server.requests[0]!.body.messages).toEqual([{ role: 'user', content: 'wait forever' }]);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(APIConnectionError);
  });

  it('lets the client time out on a hanging request', async () => {
    server.enqueue({ hang: true });
    const started = Date.now();
    const error = await settle(
      client.chat.completions.create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }] },
        { timeout: 300 },
      ),
    );
    // Plain Node gives APIConnectionTimeoutError; under jest the AbortError comes from another
    // realm, so the client only sees a connection error (its parent class).
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(server.requests).toHaveLength(1);
  });

  it('waits the configured latency before answering', async () => {
    server.setLatency(200);
    server.enqueue({ content: 'late' });
    const started = Date.now();
    const completion = await ask('take your time');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(completion.choices[0]!.message.content).toBe('late');
  });
});
