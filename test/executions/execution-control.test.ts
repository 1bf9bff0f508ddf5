/**
 * Controlling executions: graceful and forced stops, rate limits on durable timers, listing
 * with filters, and model configs whose API keys never reach history or responses.
 */
import { Client, Connection } from '@temporalio/client';
import { ModelConfigEntity } from '../../shared/node/db/entities';
import { temporalAddress, type ApiHarness } from '../support/api-harness';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { createPayloadCodec } from '../../shared/node/temporal/connection';
import { decodedPayloadsText, historyText } from '../support/history-text';
import { waitFor } from '../support/processes';
import { type ScriptedLlmServer } from '../support/scripted-llm-server';

const twoTaskCrew = (overrides: Record<string, unknown> = {}) => ({
  name: 'Two tasks',
  agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
  tasks: [
    { id: 'first', description: 'First task', expected_output: 'x', agent: 'a' },
    { id: 'second', description: 'Second task', expected_output: 'x', agent: 'a' },
  ],
  ...overrides,
});

describe('execution control', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let temporal: Client;

  beforeAll(async () => {
    platform = await startPlatform({
      OPENAI_API_KEY: 'sk-platform-default',
    });
    ({ llm, api } = platform);
    temporal = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
    });
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await platform?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const start = async (body: Record<string, unknown>, token = api.adminToken) => {
    const started = await api.http.post('/api/v1/executions', { token, body });
    expect(started.status).toBe(202);
    return started.body as { execution_id: string; workflow_id: string };
  };
  const get = async (id: string, groupId?: string) =>
    (await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken, groupId })).body;
  const finished = (id: string, groupId?: string) => finishedExecution(api, id, { groupId });

  it('stops gracefully: the current step finishes, partial results are kept', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    llm.respondWith(async () => {
      await held;
      return { content: 'first result' };
    });
    const { execution_id: id } = await start({ crew: twoTaskCrew() });
    await waitFor('the first LLM call', () => llm.requests.length === 1 || undefined);
    const running = await get(id);
    expect(running).toMatchObject({ status: 'RUNNING', live: true });
    expect(running.current_step).toContain('LLM call');

    const stop = await api.http.post(`/api/v1/executions/${id}/stop`, {
      token: api.adminToken,
      body: {},
    });
    expect(stop.status).toBe(202);
    expect(stop.body.stop).toBe('requested');
    release();

    const execution = await finished(id);
    expect(execution.status).toBe('STOPPED');
    expect(execution.result).toEqual({ output: 'first result' });
    expect(execution.tasks.map((task: { status: string }) => task.status)).toEqual([
      'COMPLETED',
      'PENDING',
    ]);
    expect(llm.requests).toHaveLength(1);

    const again = await api.http.post(`/api/v1/executions/${id}/stop`, {
      token: api.adminToken,
      body: {},
    });
    expect(again.status).toBe(409);
  });

  it('stops by force: the run is cancelled at once', async () => {
    llm.respondWith(() => ({ hang: true }));
    const { execution_id: id, workflow_id: workflowId } = await start({ crew: twoTaskCrew() });
    await waitFor('the first LLM call', () => llm.requests.length === 1 || undefined);
    const stop = await api.http.post(`/api/v1/executions/${id}/stop`, {
      token: api.adminToken,
      body: { force: true },
    });
    expect(stop.body.stop).toBe('forced');
    const execution = await finished(id);
    expect(execution.status).toBe('CANCELLED');
    const description = await temporal.workflow.getHandle(workflowId).describe();
    expect(description.status.name).toBe('CANCELLED');
  });

  it('honours max_rpm with a durable timer in the workflow', async () => {
    llm.respondWith(() => ({ content: 'quick' }));
    const { execution_id: id, workflow_id: workflowId } = await start({
      crew: twoTaskCrew({ max_rpm: 1 }),
    });
    const handle = temporal.workflow.getHandle(workflowId);
    const timer = await waitFor('a rate-limit timer', async () => {
      const history = await handle.fetchHistory();
      return (
        history.events?.find((event) => event.timerStartedEventAttributes)
          ?.timerStartedEventAttributes ?? undefined
      );
    });
    const seconds = Number(timer.startToFireTimeout?.seconds ?? 0);
    expect(seconds).toBeGreaterThan(50);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(llm.requests).toHaveLength(1);
    await api.http.post(`/api/v1/executions/${id}/stop`, {
      token: api.adminToken,
      body: { force: true },
    });
    expect((await finished(id)).status).toBe('CANCELLED');
  });

  it('uses a group model config and keeps its API key out of history, responses and the database', async () => {
    const secretKey = 'sk-model-config-secret-4242';
    const created = await api.http.post('/api/v1/models', {
      token: api.adminToken,
      body: {
        name: 'team-model',
        provider: 'vllm',
        model: 'served-model-7b',
        base_url: `${llm.url}/v1`,
        allow_private_networks: true, // the scripted server is on loopback
        api_key: secretKey,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'team-model', has_api_key: true });
    expect(JSON.stringify(created.body)).not.toContain(secretKey);
    const duplicate = await api.http.post('/api/v1/models', {
      token: api.adminToken,
      body: { name: 'team-model', model: 'x' },
    });
    expect(duplicate.status).toBe(409);

    llm.respondWith(() => ({ content: 'served' }));
    const { execution_id: id, workflow_id: workflowId } = await start({
      crew: {
        name: 'Configured model',
        agents: [{ id: 'a', role: 'Worker', goal: 'Work', llm: 'team-model', temperature: 0.3 }],
        tasks: [{ id: 't', description: 'Work', expected_output: 'x', agent: 'a' }],
      },
    });
    expect((await finished(id)).status).toBe('COMPLETED');
    expect(llm.requests[0]!.headers.authorization).toBe(`Bearer ${secretKey}`);
    expect(llm.requests[0]!.body).toMatchObject({ model: 'served-model-7b', temperature: 0.3 });

    const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
    const decoded = await decodedPayloadsText(history, createPayloadCodec(api.config));
    expect(decoded).toContain('served-model-7b'); // the history is really there…
    for (const text of [decoded, historyText(history)]) {
      expect(text).not.toContain(secretKey); // …and the key is not in it
      expect(text).not.toContain('sk-platform-default');
    }

    const row = await api.orm.em.fork().findOneOrFail(ModelConfigEntity, { id: created.body.id });
    expect(row.apiKeyEncrypted).toMatch(/^v1\./);
    expect(row.apiKeyEncrypted).not.toContain(secretKey);
    const listed = await api.http.get('/api/v1/models', { token: api.adminToken });
    expect(JSON.stringify(listed.body)).not.toContain(secretKey);

    // The key never follows the config to another endpoint.
    const moved = await api.http.patch(`/api/v1/models/${created.body.id}`, {
      token: api.adminToken,
      body: { base_url: 'https://elsewhere.example.test/v1' },
    });
    expect(moved.body).toMatchObject({
      base_url: 'https://elsewhere.example.test/v1',
      has_api_key: false,
    });
  });

  it('totals cost per task and per execution from the model config prices', async () => {
    const priced = await api.http.post('/api/v1/models', {
      token: api.adminToken,
      body: {
        name: 'priced-model',
        model: 'gpt-4o-mini',
        base_url: `${llm.url}/v1`,
        allow_private_networks: true,
        input_cost_per_million_tokens: 0.15,
        output_cost_per_million_tokens: 0.6,
      },
    });
    expect(priced.status).toBe(201);
    expect(priced.body).toMatchObject({
      input_cost_per_million_tokens: 0.15,
      output_cost_per_million_tokens: 0.6,
    });
    const halfPriced = await api.http.patch(`/api/v1/models/${priced.body.id}`, {
      token: api.adminToken,
      body: { output_cost_per_million_tokens: null },
    });
    expect(halfPriced.status).toBe(400);
    expect(halfPriced.body.error.message).toContain('output_cost_per_million_tokens');

    llm.enqueue(
      { content: 'first', usage: { prompt_tokens: 1000, completion_tokens: 200 } },
      { content: 'second', usage: { prompt_tokens: 3000, completion_tokens: 500 } },
    );
    const { execution_id: id } = await start({
      crew: twoTaskCrew({
        agents: [{ id: 'a', role: 'Worker', goal: 'Work', llm: 'priced-model' }],
      }),
    });
    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    // 1000 × 0.15 + 200 × 0.6 = 270 millionths; 3000 × 0.15 + 500 × 0.6 = 750 millionths.
    expect(
      execution.tasks.map((task: { usage: { cost_usd: number } }) => task.usage.cost_usd),
    ).toEqual([0.00027, 0.00075]);
    expect(execution.tasks[1].llm_calls[0].usage.cost_usd).toBe(0.00075);
    expect(execution.usage).toEqual({
      prompt_tokens: 4000,
      completion_tokens: 700,
      total_tokens: 4700,
      cost_usd: 0.00102,
    });

    // A model without prices: tokens are totalled, the cost is unknown rather than zero.
    llm.respondWith(() => ({ content: 'unpriced' }));
    const unpriced = await finished((await start({ crew: twoTaskCrew() })).execution_id);
    expect(unpriced.usage.total_tokens).toBeGreaterThan(0);
    expect(unpriced.usage.cost_usd).toBeUndefined();
  });

  it('pins the plan at start: editing the crew does not change a running execution', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    llm.respondWith(async (request) => {
      if (llm.requests.length === 1) await held;
      return { content: `answered ${String(request.body.messages[1]?.content).slice(0, 40)}` };
    });
    const crew = await api.http.post('/api/v1/crews', {
      token: api.adminToken,
      body: twoTaskCrew({ name: 'Pinned crew' }),
    });
    const { execution_id: id } = await start({ crew_id: crew.body.id });
    await waitFor('the first LLM call', () => llm.requests.length === 1 || undefined);
    const edited = await api.http.patch(`/api/v1/crews/${crew.body.id}`, {
      token: api.adminToken,
      body: {
        tasks: [
          { id: 'first', description: 'Edited first', expected_output: 'x', agent: 'a' },
          { id: 'second', description: 'Edited second', expected_output: 'x', agent: 'a' },
        ],
      },
    });
    expect(edited.status).toBe(200);
    release();
    expect((await finished(id)).status).toBe('COMPLETED');
    expect(String(llm.requests[1]!.body.messages[1]!.content)).toContain('Second task');
    expect(JSON.stringify(llm.requests.map((request) => request.body.messages))).not.toContain(
      'Edited',
    );
  });

  it('forces the final answer once max_execution_time has passed', async () => {
    llm.respondWith(async () => {
      if (llm.requests.length === 1) {
        await new Promise((resolve) => setTimeout(resolve, 1500));
        return { toolCalls: [{ name: 'read_file', arguments: { path: 'x' } }] };
      }
      return { content: 'out of time answer' };
    });
    const { execution_id: id } = await start({
      crew: {
        name: 'Timed',
        agents: [
          { id: 'a', role: 'Worker', goal: 'Work', tools: ['read_file'], max_execution_time: 1 },
        ],
        tasks: [{ id: 't', description: 'Work', expected_output: 'x', agent: 'a' }],
      },
    });
    expect((await finished(id)).result.output).toBe('out of time answer');
    // The tool step still ran (it was asked for), then the agent had to answer without tools.
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1]!.body.tools).toBeUndefined();
  });

  it('lists executions with filters and pagination, per group', async () => {
    llm.respondWith(() => ({ content: 'listed' }));
    const crew = await api.http.post('/api/v1/crews', {
      token: api.adminToken,
      body: twoTaskCrew({ name: 'Saved crew' }),
    });
    const { execution_id: saved } = await start({ crew_id: crew.body.id });
    await finished(saved);

    const byCrew = await api.http.get(`/api/v1/executions?crew_id=${crew.body.id}`, {
      token: api.adminToken,
    });
    expect(byCrew.body).toMatchObject({
      total: 1,
      items: [{ id: saved, crew_id: crew.body.id, status: 'COMPLETED' }],
    });
    const completed = await api.http.get('/api/v1/executions?status=COMPLETED&limit=1', {
      token: api.adminToken,
    });
    expect(completed.body.items).toHaveLength(1);
    expect(completed.body.total).toBeGreaterThanOrEqual(2);
    const future = await api.http.get(
      `/api/v1/executions?created_after=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      {
        token: api.adminToken,
      },
    );
    expect(future.body.total).toBe(0);
    const badStatus = await api.http.get('/api/v1/executions?status=DONE', {
      token: api.adminToken,
    });
    expect(badStatus.status).toBe(400);

    const outsider = await api.createUser('outsider@kasal.test');
    expect(
      (await api.http.get(`/api/v1/executions/${saved}`, { token: outsider.token })).status,
    ).toBe(404);
    expect((await api.http.get('/api/v1/executions', { token: outsider.token })).body.total).toBe(
      0,
    );
    const stopOther = await api.http.post(`/api/v1/executions/${saved}/stop`, {
      token: outsider.token,
      body: {},
    });
    expect(stopOther.status).toBe(404);
  });

  it('lets operators run but not viewers', async () => {
    const team = await api.http.post('/api/v1/groups', {
      token: api.adminToken,
      body: { name: 'Runners' },
    });
    const groupId: string = team.body.id;
    const viewer = await api.createUser('viewer-runner@kasal.test');
    const operator = await api.createUser('operator-runner@kasal.test');
    await api.addMember(groupId, viewer, 'viewer');
    await api.addMember(groupId, operator, 'operator');
    llm.respondWith(() => ({ content: 'ran' }));
    const body = { crew: twoTaskCrew() };
    const asViewer = await api.http.post('/api/v1/executions', {
      token: viewer.token,
      groupId,
      body,
    });
    expect(asViewer.status).toBe(403);
    const asOperator = await api.http.post('/api/v1/executions', {
      token: operator.token,
      groupId,
      body,
    });
    expect(asOperator.status).toBe(202);
    expect((await finished(asOperator.body.execution_id, groupId)).status).toBe('COMPLETED');
    expect(
      (
        await api.http.get(`/api/v1/executions/${asOperator.body.execution_id}`, {
          token: viewer.token,
          groupId,
        })
      ).status,
    ).toBe(200);
  });
});
