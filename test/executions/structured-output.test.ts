/**
 * Structured output: a task's `output_json` is asked of a model that takes it with
 * `response_format: json_schema` (strict when the schema allows); other models are asked in the
 * prompt only, as before. Model configs say which is which, with defaults for known families.
 */
import type { ApiHarness } from '../support/api-harness';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { lastUserPrompt, type ScriptedLlmServer } from '../support/scripted-llm-server';

const STRICT_SCHEMA = {
  type: 'object',
  properties: { score: { type: 'number' }, label: { type: 'string' } },
  required: ['score', 'label'],
  additionalProperties: false,
};
/** Valid JSON Schema that OpenAI's strict mode refuses (an optional property, extra keys allowed). */
const OPEN_SCHEMA = {
  type: 'object',
  properties: { score: { type: 'number' }, label: { type: 'string' } },
  required: ['score'],
};

describe.each(['postgres', 'sqlite'] as const)('structured output on %s', (database) => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;

  beforeAll(async () => {
    platform = await startPlatform({}, database);
    ({ llm, api } = platform);
  });
  afterAll(async () => {
    await platform?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const createModel = async (body: Record<string, unknown>) => {
    const created = await api.http.post('/api/v1/models', {
      token: api.adminToken,
      // The scripted LLM listens on loopback: a system admin allows it for the config.
      body: { base_url: `${llm.url}/v1`, allow_private_networks: true, ...body },
    });
    expect(created.status).toBe(201);
    return created.body;
  };
  /** A one-task crew whose task wants JSON, run to its end. */
  const rate = async (options: { llm?: string; schema?: Record<string, unknown> } = {}) => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Rating',
          agents: [
            { id: 'a', role: 'Rater', goal: 'Rate', ...(options.llm && { llm: options.llm }) },
          ],
          tasks: [
            {
              id: 'rate',
              description: 'Rate the essay',
              expected_output: 'A score and a label',
              agent: 'a',
              output_json: options.schema ?? STRICT_SCHEMA,
            },
          ],
        },
      },
    });
    expect(started.status).toBe(202);
    return finishedExecution(api, started.body.execution_id);
  };

  it('keeps in model configs whether the model takes structured output', async () => {
    const known = await createModel({ name: 'openai-mini', model: 'gpt-4o-mini' });
    expect(known.supports_structured_output).toBeNull(); // the known family decides
    const local = await createModel({
      name: 'local-vllm',
      provider: 'vllm',
      model: 'qwen2.5-7b',
      supports_structured_output: true,
    });
    expect(local.supports_structured_output).toBe(true);
    const read = await api.http.get(`/api/v1/models/${local.id}`, { token: api.adminToken });
    expect(read.body.supports_structured_output).toBe(true);

    const off = await api.http.patch(`/api/v1/models/${local.id}`, {
      token: api.adminToken,
      body: { supports_structured_output: false },
    });
    expect(off.body.supports_structured_output).toBe(false);
    const reset = await api.http.patch(`/api/v1/models/${local.id}`, {
      token: api.adminToken,
      body: { supports_structured_output: null },
    });
    expect(reset.body.supports_structured_output).toBeNull();

    const wrong = await api.http.post('/api/v1/models', {
      token: api.adminToken,
      body: { name: 'wrong', model: 'x', supports_structured_output: 'yes' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.fields[0].path).toBe('supports_structured_output');
    const listed = await api.http.get('/api/v1/models', { token: api.adminToken });
    expect(listed.body.map((config: { name: string }) => config.name)).not.toContain('wrong');
  });

  it('asks a model that takes it with response_format json_schema, strict when the schema allows', async () => {
    // The platform's default model (gpt-4o-mini, no config) is of a family known to take it.
    llm.enqueue({ content: '{"score": 0.9, "label": "good"}' });
    const execution = await rate();
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output_json).toEqual({ score: 0.9, label: 'good' });
    expect(execution.tasks[0].output_json).toEqual({ score: 0.9, label: 'good' });
    const [request] = llm.requests;
    expect(request!.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'rate', schema: STRICT_SCHEMA, strict: true },
    });
    // The prompt still asks for the JSON: the way every model understands.
    expect(lastUserPrompt(request!)).toContain(JSON.stringify(STRICT_SCHEMA));
    const calls = await api.http.get(`/api/v1/executions/${execution.id}/logs?type=llm_call`, {
      token: api.adminToken,
    });
    expect(calls.body.items[0].data.structured_output).toEqual({ name: 'rate', strict: true });

    // A schema strict mode refuses is sent as it is, not strict; the answer is still checked.
    llm.enqueue({ content: '{"score": "high"}' }, { content: '{"score": 0.4}' });
    const open = await rate({ schema: OPEN_SCHEMA });
    expect(open.status).toBe('COMPLETED');
    expect(open.result.output_json).toEqual({ score: 0.4 });
    for (const sent of llm.requests.slice(1)) {
      expect(sent.body.response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'rate', schema: OPEN_SCHEMA, strict: false },
      });
    }
    expect(lastUserPrompt(llm.requests[2]!)).toContain('does not match the schema');
  });

  it('asks in the prompt only when the model does not take it, or its config says no', async () => {
    await createModel({ name: 'local-llama', provider: 'ollama', model: 'llama3.1:8b' });
    await createModel({
      name: 'no-structured',
      model: 'gpt-4o',
      supports_structured_output: false,
    });
    await createModel({
      name: 'custom-structured',
      provider: 'vllm',
      model: 'served-7b',
      supports_structured_output: true,
    });

    llm.enqueue({ content: 'Here it is:\n```json\n{"score": 0.5, "label": "ok"}\n```' });
    const local = await rate({ llm: 'local-llama' });
    expect(local.status).toBe('COMPLETED');
    expect(local.result.output_json).toEqual({ score: 0.5, label: 'ok' });
    expect(llm.requests[0]!.body.response_format).toBeUndefined();
    expect(lastUserPrompt(llm.requests[0]!)).toContain(JSON.stringify(STRICT_SCHEMA));

    llm.enqueue({ content: '{"score": 0.7, "label": "fine"}' });
    expect((await rate({ llm: 'no-structured' })).result.output_json).toEqual({
      score: 0.7,
      label: 'fine',
    });
    expect(llm.requests[1]!.body.response_format).toBeUndefined();

    llm.enqueue({ content: '{"score": 0.8, "label": "nice"}' });
    expect((await rate({ llm: 'custom-structured' })).status).toBe('COMPLETED');
    expect(llm.requests[2]!.body).toMatchObject({
      model: 'served-7b',
      response_format: { type: 'json_schema', json_schema: { name: 'rate', strict: true } },
    });
  });
});
