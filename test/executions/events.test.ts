/**
 * Watching executions: every step is an event (Kasal's names), read as a log, a trace tree, or
 * live over Server-Sent Events with resumption from Last-Event-ID; retried activities do not
 * duplicate events; other groups see nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApi, type ApiHarness } from '../support/api-harness';
import { finishedExecution } from '../support/platform';
import { waitFor } from '../support/processes';
import { startScriptedLlmServer, type ScriptedLlmServer } from '../support/scripted-llm-server';
import { readSse } from '../support/sse-client';
import { startWorker, uniqueTaskQueue, type WorkerHarness } from '../support/worker-harness';

describe('execution events', () => {
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let worker: WorkerHarness;

  beforeAll(async () => {
    llm = await startScriptedLlmServer();
    const files = mkdtempSync(path.join(tmpdir(), 'kasal-events-'));
    writeFileSync(path.join(files, 'facts.txt'), 'Events are durable.');
    api = await startApi('postgres', {
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-events',
      KASAL_TOOLS_FILE_ROOT: files,
    });
    worker = await startWorker(api);
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await llm?.close();
  });

  const auth = () => ({ authorization: `Bearer ${api.adminToken}` });

  it('streams every event of a crew run in order, then resumes from Last-Event-ID', async () => {
    llm.enqueue(
      { status: 500, error: { message: 'transient' } }, // the first LLM call is retried once
      { toolCalls: [{ name: 'read_file', arguments: { path: 'facts.txt' } }] },
      { content: 'Research done' },
      { content: 'Report done' },
    );
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Watched',
          agents: [{ id: 'a', role: 'Researcher', goal: 'Research', tools: ['read_file'] }],
          tasks: [
            { id: 'research', description: 'Research', expected_output: 'x', agent: 'a' },
            { id: 'report', description: 'Report', expected_output: 'x', agent: 'a' },
          ],
        },
      },
    });
    const id: string = started.body.execution_id;
    const url = `${api.http.baseUrl}/api/v1/executions/${id}/stream`;
    const live = await readSse(url, auth());
    expect(live.status).toBe(200);
    const types = live.events.map((event) => event.event).filter((type) => type !== 'llm_token');
    expect(types).toEqual([
      'crew_started',
      'task_started',
      'llm_call', // one event per step: the retry of the failed attempt writes no second one
      'llm_call_failed',
      'llm_response',
      'tool_usage',
      'llm_call',
      'llm_response',
      'task_completed',
      'task_started',
      'llm_call',
      'llm_response',
      'task_completed',
      'crew_completed',
      'end',
    ]);
    const ids = live.events.slice(0, -1).map((event) => Number(event.id));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    const parsed = live.events.slice(0, -1).map((event) => JSON.parse(event.data));
    const ofType = (type: string) => parsed.filter((event) => event.type === type);
    expect(ofType('tool_usage')[0]).toMatchObject({
      task_key: 'research',
      data: { tool: 'read_file', result: 'Events are durable.' },
    });
    expect(ofType('llm_response')[0].data.usage.total_tokens).toBeGreaterThan(0);
    expect(ofType('llm_call')[0].data.messages[0].content).toContain('You are Researcher');
    // The answers were streamed: their text arrived as llm_token events, before each response.
    const tokens = ofType('llm_token').map((event) => event.data.text as string);
    expect(tokens.join('')).toBe('Research doneReport done');

    // A client that saw the first five events reconnects: it gets exactly the rest.
    const resumed = await readSse(url, { ...auth(), 'last-event-id': live.events[4]!.id! });
    expect(resumed.events.map((event) => event.id)).toEqual(
      live.events.slice(5).map((event) => event.id),
    );

    // Event counts equal step counts: the retried LLM call has one call/response pair.
    const logs = await api.http.get(`/api/v1/executions/${id}/logs?type=llm_response`, {
      token: api.adminToken,
    });
    expect(logs.body.total).toBe(3);
    const execution = await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken });
    const llmSteps = execution.body.tasks.reduce(
      (sum: number, task: { llm_calls: unknown[] }) => sum + task.llm_calls.length,
      0,
    );
    expect(logs.body.total).toBe(llmSteps);
    const page = await api.http.get(`/api/v1/executions/${id}/logs?limit=2&offset=2`, {
      token: api.adminToken,
    });
    expect(page.body.items.map((event: { type: string }) => event.type)).toEqual([
      'llm_call',
      'llm_call_failed',
    ]);
  });

  it('builds the trace tree: execution → tasks → LLM and tool calls', async () => {
    llm.enqueue({ content: 'only answer' });
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Traced',
          agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
          tasks: [{ id: 'only', description: 'Work', expected_output: 'x', agent: 'a' }],
        },
      },
    });
    const id: string = started.body.execution_id;
    expect((await finishedExecution(api, id)).status).toBe('COMPLETED');
    const trace = await waitFor('the closing event', async () => {
      const current = await api.http.get(`/api/v1/executions/${id}/trace`, {
        token: api.adminToken,
      });
      return current.body.roots[0]?.children.some(
        (child: { type: string }) => child.type === 'crew_completed',
      )
        ? current.body
        : undefined;
    });
    const root = trace.roots[0];
    expect(trace.roots).toHaveLength(1);
    expect(root.type).toBe('crew_started');
    const task = root.children.find((child: { type: string }) => child.type === 'task_started');
    const children: string[] = task.children.map((child: { type: string }) => child.type);
    expect(children[0]).toBe('llm_call');
    expect(children.slice(-2)).toEqual(['llm_response', 'task_completed']);
    expect(new Set(children.slice(1, -2))).toEqual(new Set(['llm_token']));
  });

  it("keeps other groups out of an execution's events", async () => {
    llm.enqueue({ content: 'private' });
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Private',
          agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
          tasks: [{ id: 't', description: 'Work', expected_output: 'x', agent: 'a' }],
        },
      },
    });
    const outsider = await api.createUser('outsider-events@kasal.test');
    const id: string = started.body.execution_id;
    const stream = await readSse(`${api.http.baseUrl}/api/v1/executions/${id}/stream`, {
      authorization: `Bearer ${outsider.token}`,
    });
    expect(stream.status).toBe(404);
    expect(
      (await api.http.get(`/api/v1/executions/${id}/logs`, { token: outsider.token })).status,
    ).toBe(404);
    // The outsider's group stream carries nothing of it.
    const groupStream = await readSse(
      `${api.http.baseUrl}/api/v1/executions/stream`,
      { authorization: `Bearer ${outsider.token}` },
      { timeoutMs: 1500 },
    );
    expect(groupStream.events).toEqual([]);
    const mine = await readSse(`${api.http.baseUrl}/api/v1/executions/stream`, auth(), {
      stopAfter: 3,
    });
    expect(mine.events).toHaveLength(3);
  });
});
