/**
 * Long runs: conversations and long tool results travel through history by reference, so an
 * agent loop of 200 steps with 20 KB tool results keeps every payload small and its history
 * linear; a crew of 100 tasks continues as new (several runs of one workflow id) with its
 * stream, progress, stop and approvals working across the boundary.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { createPayloadCodec } from '../../shared/node/temporal/connection';
import { temporalAddress, type ApiHarness } from '../support/api-harness';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';
import { step } from '../support/flow-fixtures';
import { scriptedModelConfig } from '../support/model-configs';
import { lastUserPrompt, type ScriptedLlmServer } from '../support/scripted-llm-server';
import { readSse } from '../support/sse-client';
import { eventSizes, runHistories } from '../support/workflow-runs';

jest.setTimeout(300_000);

const DOCUMENT_CHARS = 20_000;
const PAYLOAD_WARNING_BYTES = 256 * 1024;

/** The runs of one workflow id so far, oldest first (more than one after continue-as-new). */
const runsOf = (client: Client, workflowId: string) => runHistories(client, workflowId);

/** Whether a run's history ends with continue-as-new. */
const continued = (history: { events?: { eventType?: unknown }[] | null }) =>
  history.events?.at(-1)?.eventType ===
  proto.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW;

/** The status of the workflow's latest run once it has closed (it closes just after its row). */
const closedStatus = (client: Client, workflowId: string) =>
  waitFor('the workflow to close', async () => {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    return status.name === 'RUNNING' ? undefined : status.name;
  });

const taskNumber = (prompt: string) => Number(/Task number (\d+)/.exec(prompt)?.[1]);

describe.each(['postgres', 'sqlite'] as const)('long runs on %s', (database) => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let client: Client;

  beforeAll(async () => {
    const files = mkdtempSync(path.join(tmpdir(), 'kasal-long-'));
    writeFileSync(
      path.join(files, 'document.txt'),
      'research notes '.repeat(2000).slice(0, DOCUMENT_CHARS),
    );
    platform = await startPlatform(
      {
        KASAL_TOOLS_FILE_ROOT: files,
        // Small enough that a crew of 100 tasks continues as new several times.
        KASAL_HISTORY_MAX_EVENTS: '400',
        LLM_STREAM: 'false',
      },
      database,
    );
    ({ llm, api } = platform);
    client = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
    });
    // 199 reads of 20 KB are a million tokens: a model that reads that much, so nothing is
    // summarised (context-window.test.ts covers summaries).
    await scriptedModelConfig(api, llm, {
      name: 'wide',
      model: 'gpt-4o-mini',
      context_window: 10_000_000,
    });
  });
  afterAll(async () => {
    await client?.connection.close();
    await platform?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const start = async (crew: Record<string, unknown>) => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: { crew },
    });
    expect(started.status).toBe(202);
    return started.body as { execution_id: string; workflow_id: string };
  };

  it('runs an agent loop of 200 steps with 20 KB tool results in a small, linear history', async () => {
    const TOOL_STEPS = 199;
    llm.respondWith((request) => {
      const toolMessages = request.body.messages.filter((message) => message.role === 'tool');
      return toolMessages.length < TOOL_STEPS
        ? { toolCalls: [{ name: 'read_file', arguments: { path: 'document.txt' } }] }
        : { content: `Read ${toolMessages.length} times` };
    });
    const { execution_id: id, workflow_id: workflowId } = await start({
      name: 'Deep research',
      agents: [
        {
          id: 'r',
          role: 'Researcher',
          goal: 'Read',
          llm: 'wide',
          tools: ['read_file'],
          max_iter: 200,
        },
      ],
      tasks: [{ id: 'read', description: 'Read the document', expected_output: 'x', agent: 'r' }],
    });
    const execution = await finishedExecution(api, id, { timeoutMs: 240_000 });
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toBe(`Read ${TOOL_STEPS} times`);

    // The LLM saw every tool result whole, in order, exactly as without the store.
    expect(llm.requests).toHaveLength(TOOL_STEPS + 1);
    const last = llm.requests.at(-1)!.body.messages;
    const results = last.filter((message) => message.role === 'tool');
    expect(results).toHaveLength(TOOL_STEPS);
    for (const result of results) expect(String(result.content)).toHaveLength(DOCUMENT_CHARS);
    expect(last.map((message) => message.role).slice(0, 4)).toEqual([
      'system',
      'user',
      'assistant',
      'tool',
    ]);

    const runs = await runHistories(client, workflowId);
    expect(runs).toHaveLength(1);
    const events = eventSizes(runs[0]!);
    expect(Math.max(...events)).toBeLessThan(PAYLOAD_WARNING_BYTES);
    const total = events.reduce((sum, bytes) => sum + bytes, 0);
    // ~20 KB per step would be the results inline; by reference a step costs a few KB.
    expect(total / (TOOL_STEPS + 1)).toBeLessThan(8_000);
    // Linear: the second half of the history costs about what the first half does.
    const half = Math.floor(events.length / 2);
    const firstHalf = events.slice(0, half).reduce((sum, bytes) => sum + bytes, 0);
    const secondHalf = events.slice(half).reduce((sum, bytes) => sum + bytes, 0);
    expect(secondHalf / firstHalf).toBeLessThan(1.5);
  });

  const hundredTasks = (humanInputAt?: number) => ({
    name: 'Hundred tasks',
    agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
    tasks: Array.from({ length: 100 }, (_, index) => ({
      id: `t${index + 1}`,
      description: `Task number ${index + 1}`,
      expected_output: 'x',
      agent: 'a',
      ...(index + 1 === humanInputAt && { human_input: true }),
    })),
  });
  /** Waits until the workflow has continued as new at least once. */
  const secondRun = (workflowId: string) =>
    waitFor(
      'a second run',
      async () => (await runsOf(client, workflowId)).length > 1 || undefined,
      120_000,
    );
  const answerByTask = () =>
    llm.respondWith((request) => ({
      content: `output ${taskNumber(lastUserPrompt(request))}`,
    }));

  it('runs a crew of 100 tasks across continue-as-new, streaming and reporting progress', async () => {
    answerByTask();
    const { execution_id: id, workflow_id: workflowId } = await start(hundredTasks());
    const stream = readSse(
      `${api.http.baseUrl}/api/v1/executions/${id}/stream`,
      { authorization: `Bearer ${api.adminToken}` },
      { timeoutMs: 240_000 },
    );

    // After the first continue-as-new the live progress still shows the earlier tasks' outputs.
    await secondRun(workflowId);
    const live = (await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken })).body;
    if (live.live) {
      expect(live.tasks[0]).toMatchObject({ key: 't1', status: 'COMPLETED', output: 'output 1' });
    }

    const execution = await finishedExecution(api, id, { timeoutMs: 240_000 });
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toBe('output 100');
    expect(execution.tasks).toHaveLength(100);
    expect(execution.tasks.every((task: any) => task.status === 'COMPLETED')).toBe(true);
    expect(execution.tasks.map((task: any) => task.output)).toEqual(
      Array.from({ length: 100 }, (_, index) => `output ${index + 1}`),
    );
    expect(execution.usage.total_tokens).toBeGreaterThan(0);

    const runs = await runsOf(client, workflowId);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.slice(0, -1).every(continued)).toBe(true);
    expect(await closedStatus(client, workflowId)).toBe('COMPLETED');
    // Each run carries the execution's search attributes.
    for (const run of runs) {
      const started = run.events![0]!.workflowExecutionStartedEventAttributes!;
      expect(started.searchAttributes?.indexedFields?.KasalGroupId).toBeDefined();
    }

    // Every task received the previous task's output as context, across the boundaries too.
    for (const request of llm.requests) {
      const number = taskNumber(lastUserPrompt(request));
      if (number > 1) expect(lastUserPrompt(request)).toContain(`output ${number - 1}`);
    }
    expect(llm.requests).toHaveLength(100);

    const { events } = await stream;
    const types = events.map((event) => event.event);
    expect(types.filter((type) => type === 'task_started')).toHaveLength(100);
    expect(types.filter((type) => type === 'task_completed')).toHaveLength(100);
    expect(types.filter((type) => type === 'crew_started')).toHaveLength(1);
    expect(types).toContain('crew_completed');

    for (const run of runs) expect(eventSizes(run).length).toBeLessThan(600);
  });

  it('stops gracefully after a continue-as-new, keeping the last output', async () => {
    answerByTask();
    const { execution_id: id, workflow_id: workflowId } = await start(hundredTasks());
    await secondRun(workflowId);
    const stop = await api.http.post(`/api/v1/executions/${id}/stop`, {
      token: api.adminToken,
      body: {},
    });
    expect(stop.status).toBe(202);
    const stopAt = llm.requests.length;

    const execution = await finishedExecution(api, id, { timeoutMs: 120_000 });
    expect(execution.status).toBe('STOPPED');
    const done = execution.tasks.filter((task: any) => task.status === 'COMPLETED');
    expect(done.length).toBeGreaterThanOrEqual(stopAt - 1);
    expect(done.length).toBeLessThan(100);
    expect(execution.result.output).toBe(done.at(-1).output);
    expect(execution.tasks.at(-1).status).toBe('PENDING');
  });

  it('stops by force after a continue-as-new', async () => {
    answerByTask();
    const { execution_id: id, workflow_id: workflowId } = await start(hundredTasks());
    await secondRun(workflowId);
    const stop = await api.http.post(`/api/v1/executions/${id}/stop`, {
      token: api.adminToken,
      body: { force: true },
    });
    expect(stop.status).toBe(202);
    expect(stop.body.stop).toBe('forced');
    const execution = await finishedExecution(api, id, { timeoutMs: 120_000 });
    expect(execution.status).toBe('CANCELLED');
    expect(execution.tasks.filter((task: any) => task.status === 'RUNNING')).toEqual([]);
    expect(await closedStatus(client, workflowId)).toBe('CANCELLED');
  });

  it('waits for an approval in a later run and goes on when it is given', async () => {
    answerByTask();
    const { execution_id: id, workflow_id: workflowId } = await start(hundredTasks(80));
    const approvalId = await waitFor(
      'the approval of task 80',
      async () => {
        const current = (await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken }))
          .body;
        return current.status === 'WAITING_FOR_APPROVAL'
          ? (current.approvals?.[0]?.id as string | undefined)
          : undefined;
      },
      120_000,
    );
    expect((await runsOf(client, workflowId)).length).toBeGreaterThan(1);
    const decided = await api.http.post(`/api/v1/hitl/approvals/${approvalId}/approve`, {
      token: api.adminToken,
      body: {},
    });
    expect(decided.status).toBe(200);
    const execution = await finishedExecution(api, id, { timeoutMs: 120_000 });
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toBe('output 100');
  });

  it('runs a flow of 40 steps across continue-as-new: state, routers and gates go on', async () => {
    llm.respondWith((request) => {
      const text = lastUserPrompt(request);
      const number = /Step (\d+)/.exec(text)?.[1];
      if (number) return { content: JSON.stringify({ count: Number(number) }) };
      return { content: 'published' };
    });
    const counted = {
      task: {
        output_json: {
          type: 'object',
          properties: { count: { type: 'number' } },
          required: ['count'],
        },
      },
    };
    const steps = Array.from({ length: 40 }, (_, index) =>
      step(`s${index + 1}`, `Step ${index + 1} of the chain (count so far: {count})`, {
        ...counted,
        ...(index > 0 && { listen: { to: [`s${index}`], condition: 'AND' } }),
      }),
    );
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        flow: {
          name: 'Long chain',
          start: ['s1'],
          state: { initial: { count: 0 } },
          steps: [
            ...steps,
            step('publish', 'Publish the count', { listen: { router: 'check', route: 'all' } }),
          ],
          routers: [
            { id: 'check', after: 's40', routes: [{ name: 'all', condition: 'count == 40' }] },
          ],
          gates: [{ from: 's40', to: 'publish', message: 'Publish after 40 steps?' }],
        },
      },
    });
    expect(started.status).toBe(202);
    const { execution_id: id, workflow_id: workflowId } = started.body;
    const approvalId = await waitFor(
      'the gate before publishing',
      async () => {
        const current = (await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken }))
          .body;
        return current.approvals?.[0]?.id as string | undefined;
      },
      180_000,
    );
    const decided = await api.http.post(`/api/v1/hitl/approvals/${approvalId}/approve`, {
      token: api.adminToken,
      body: {},
    });
    expect(decided.status).toBe(200);
    const execution = await finishedExecution(api, id, { timeoutMs: 60_000 });
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toBe('published');
    expect(execution.flow.state.count).toBe(40);
    expect(execution.flow.routes).toEqual([{ router: 'check', route: 'all' }]);
    expect(execution.flow.steps.every((item: any) => item.status === 'COMPLETED')).toBe(true);
    // Each step saw the state its predecessors left, across the boundaries.
    expect(lastUserPrompt(llm.requests[39]!)).toContain('count so far: 39');
    const runs = await runsOf(client, workflowId);
    expect(runs.length).toBeGreaterThan(1);
    expect(await closedStatus(client, workflowId)).toBe('COMPLETED');
  });
});
