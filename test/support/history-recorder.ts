/**
 * Records the Temporal histories that the replay test (test/workflows/replay.test.ts) replays:
 * crews run end to end through the real API, a real worker and the scripted LLM (a sequential,
 * a parallel and a hierarchical one, and one using tool options and an MCP server), then each
 * history is written as Temporal's standard JSON. Histories recorded with older workflow code
 * are kept: they show that runs started before a change still replay.
 */
import { RESEARCH_CREW } from './crew-fixtures';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { format, resolveConfig } from 'prettier';
import { startApi, temporalAddress, type ApiHarness } from './api-harness';
import { startHttpMcpServer, type HttpMcpServer } from './mcp/http-server';
import { createPayloadCodec } from '../../shared/node/temporal/connection';

/** The payload key of recorded histories (test data only: it protects nothing). */
export const HISTORY_PAYLOAD_KEYS = `history:${'42'.repeat(32)}`;
import { finishedExecution } from './platform';
import { waitFor } from './processes';
import {
  lastUserPrompt,
  startScriptedLlmServer,
  type ScriptedLlmServer,
} from './scripted-llm-server';
import { startWorker, uniqueTaskQueue, type WorkerHarness } from './worker-harness';
import { runHistories } from './workflow-runs';

/** Where the recorded histories live, next to the replay test. */
export const HISTORIES_DIR = path.resolve(__dirname, '../workflows/histories');

interface Recording {
  /** The file name, without `.json`. */
  name: string;
  /** Registers what the crew needs (e.g. an MCP server) before it runs. */
  setup?(api: ApiHarness, mcp: HttpMcpServer): Promise<void>;
  /** Scripts the LLM for this crew. */
  script(llm: ScriptedLlmServer): void;
  /** Runs it some other way than `POST /api/v1/executions`; returns the workflow id. */
  start?(api: ApiHarness, client: Client, recording: Recording): Promise<string>;
  /** Records every run of a workflow that continued as new: `<name>.json`, `<name>-2.json`, … */
  allRuns?: boolean;
  /** The POST /api/v1/executions body. */
  body: Record<string, unknown>;
}

const RECORDINGS: Recording[] = [
  {
    name: 'sequential-crew',
    script: (llm) =>
      llm.enqueue(
        { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
        { content: 'Fact: Temporal was founded in 2019.' },
        { content: 'Report: founded 2019.' },
      ),
    body: {
      crew: RESEARCH_CREW,
      inputs: { topic: 'Temporal' },
    },
  },
  {
    name: 'parallel-crew',
    // A and B run at the same time, so replies go by prompt rather than by arrival order.
    script: (llm) =>
      llm.respondWith((request) => {
        const prompt = lastUserPrompt(request);
        if (prompt.includes('Task A')) return { content: 'A done' };
        if (prompt.includes('Task B')) return { content: 'B done' };
        return { content: 'C combined A and B' };
      }),
    body: {
      crew: {
        name: 'Parallel',
        agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
        tasks: [
          {
            id: 'a',
            description: 'Task A',
            expected_output: 'x',
            agent: 'a',
            async_execution: true,
          },
          {
            id: 'b',
            description: 'Task B',
            expected_output: 'x',
            agent: 'a',
            async_execution: true,
          },
          { id: 'c', description: 'Task C', expected_output: 'x', agent: 'a', context: ['a', 'b'] },
        ],
      },
    },
  },
  {
    name: 'hierarchical-crew',
    script: (llm) =>
      llm.enqueue(
        {
          toolCalls: [
            {
              name: 'delegate_work_to_coworker',
              arguments: {
                task: 'List three facts',
                context: 'About Temporal',
                coworker: 'Researcher',
              },
            },
          ],
        },
        { content: 'Three facts: a, b, c.' },
        { content: 'Final: a, b, c.' },
      ),
    body: {
      crew: {
        name: 'Managed',
        process: 'hierarchical',
        manager_llm: 'gpt-4o',
        agents: [
          { id: 'researcher', role: 'Researcher', goal: 'Research' },
          { id: 'writer', role: 'Writer', goal: 'Write' },
        ],
        tasks: [{ id: 'facts', description: 'Produce facts', expected_output: 'Facts' }],
      },
    },
  },
  {
    name: 'tools-crew',
    setup: async (api, mcp) => {
      const created = await api.http.post('/api/v1/mcp/servers', {
        token: api.adminToken,
        body: {
          name: 'units',
          transport: 'streamable-http',
          url: mcp.url,
          headers: { [MCP_HEADER.header]: MCP_HEADER.value },
        },
      });
      if (created.status !== 201) throw new Error(`MCP server: ${JSON.stringify(created.body)}`);
    },
    // Two identical reads in one step (the second from the cache), an MCP call, then the
    // second task's answer is a tool's result (result_as_answer).
    script: (llm) =>
      llm.enqueue(
        {
          toolCalls: [
            { name: 'read_file', arguments: { path: 'notes.txt' } },
            { name: 'read_file', arguments: { path: 'notes.txt' } },
            { name: 'km_to_miles', arguments: { km: 42 } },
          ],
        },
        { content: 'Founded 2019; 42 km is 26.1 miles.' },
        { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
      ),
    body: {
      crew: {
        name: 'Tools',
        agents: [
          {
            id: 'a',
            role: 'Analyst',
            goal: 'Answer',
            tools: ['read_file'],
            tool_configs: { MCP_SERVERS: { servers: [{ name: 'units', tools: ['km_to_miles'] }] } },
          },
        ],
        tasks: [
          { id: 'facts', description: 'Gather facts', expected_output: 'Facts', agent: 'a' },
          {
            id: 'quote',
            description: 'Quote the notes',
            expected_output: 'The notes',
            agent: 'a',
            tool_configs: { read_file: { result_as_answer: true } },
          },
        ],
      },
    },
  },
  {
    name: 'scheduled-run',
    script: (llm) => llm.enqueue({ content: 'The scheduled report.' }),
    body: {
      crew: {
        name: 'Nightly',
        agents: [{ id: 'a', role: 'Reporter', goal: 'Report' }],
        tasks: [{ id: 't', description: 'Report', expected_output: 'A report', agent: 'a' }],
      },
    },
    start: runScheduled,
  },
  {
    name: 'long-crew',
    allRuns: true,
    // A long tool result (stored, by reference) in the first task; enough tasks that the run
    // continues as new (the recorder's history limit is small).
    script: (llm) =>
      llm.respondWith((request) => {
        const prompt = lastUserPrompt(request);
        const step = /Step (\d+)/.exec(prompt)?.[1] ?? '?';
        const read = request.body.messages.some((message) => message.role === 'tool');
        if (step === '1' && !read) {
          return { toolCalls: [{ name: 'read_file', arguments: { path: 'long-notes.txt' } }] };
        }
        return { content: `Result of step ${step}` };
      }),
    body: {
      crew: {
        name: 'Long',
        agents: [{ id: 'a', role: 'Worker', goal: 'Work', tools: ['read_file'] }],
        tasks: Array.from({ length: 9 }, (_, index) => ({
          id: `s${index + 1}`,
          description: `Step ${index + 1}`,
          expected_output: 'x',
          agent: 'a',
        })),
      },
    },
  },
  {
    name: 'flow-gates',
    // Two steps in parallel, an AND join, a router on the join's structured output, and an
    // approval gate before the routed step.
    script: (llm) =>
      llm.respondWith((request) => {
        const prompt = lastUserPrompt(request);
        if (prompt.includes('Join')) return { content: JSON.stringify({ score: 0.9 }) };
        return { content: `done: ${prompt.slice(14, 30)}` };
      }),
    body: {
      flow: {
        name: 'Gated flow',
        start: ['a', 'b'],
        state: { initial: { score: 0 } },
        steps: [
          flowStep('a', 'Branch A'),
          flowStep('b', 'Branch B'),
          flowStep('join', 'Join A and B', {
            listen: { to: ['a', 'b'], condition: 'AND' },
            task: {
              output_json: {
                type: 'object',
                properties: { score: { type: 'number' } },
                required: ['score'],
              },
            },
          }),
          flowStep('publish', 'Publish it', { listen: { router: 'quality', route: 'good' } }),
          flowStep('rewrite', 'Rewrite it', { listen: { router: 'quality', route: 'bad' } }),
        ],
        routers: [
          {
            id: 'quality',
            after: 'join',
            routes: [
              { name: 'good', condition: 'score >= 0.8' },
              { name: 'bad', condition: 'score < 0.8' },
            ],
          },
        ],
        gates: [{ from: 'join', to: 'publish', message: 'Publish?' }],
      },
    },
    start: runApproved,
  },
  {
    name: 'flow-routes',
    // Since PATCHES.routerOutcomes: a router where no route matches (a `router_no_match` event,
    // its steps SKIPPED, the flow goes on) and one that takes a route (the other is SKIPPED).
    script: (llm) =>
      llm.respondWith((request) =>
        lastUserPrompt(request).includes('Rate')
          ? { content: JSON.stringify({ rating: 5 }) }
          : { content: 'done' },
      ),
    body: {
      flow: {
        name: 'Routed flow',
        start: ['rate'],
        state: { initial: { rating: 0 } },
        steps: [
          flowStep('rate', 'Rate the draft', {
            task: {
              output_json: {
                type: 'object',
                properties: { rating: { type: 'number' } },
                required: ['rating'],
              },
            },
          }),
          flowStep('archive', 'Archive it', { listen: { to: ['rate'], condition: 'AND' } }),
          flowStep('publish', 'Publish it', { listen: { router: 'decide', route: 'good' } }),
          flowStep('rewrite', 'Rewrite it', { listen: { router: 'decide', route: 'bad' } }),
          flowStep('keep', 'Keep it', { listen: { router: 'store', route: 'keep' } }),
          flowStep('drop', 'Drop it', { listen: { router: 'store', route: 'drop' } }),
        ],
        routers: [
          {
            id: 'decide',
            after: 'rate',
            routes: [
              { name: 'good', condition: 'rating >= 8' },
              { name: 'bad', condition: 'rating <= 2' },
            ],
          },
          {
            id: 'store',
            after: 'archive',
            routes: [
              { name: 'keep', condition: 'rating > 0' },
              { name: 'drop', condition: 'rating <= 0' },
            ],
          },
        ],
      },
    },
  },
];

/** The recordings there are, by name. */
export const RECORDING_NAMES = RECORDINGS.map((recording) => recording.name);

const MCP_HEADER = { header: 'x-api-key', value: 'history-mcp-key' };

/**
 * Runs the crews and writes `<outDir>/<name>.json` for each; returns the files written.
 * Needs the Temporal dev server and the test database that jest's globalSetup provides.
 */
export async function recordCrewHistories(
  outDir: string = HISTORIES_DIR,
  names: readonly string[] = RECORDING_NAMES,
): Promise<string[]> {
  const files = mkdtempSync(path.join(tmpdir(), 'kasal-files-'));
  writeFileSync(path.join(files, 'notes.txt'), 'Temporal was founded in 2019.');
  writeFileSync(
    path.join(files, 'long-notes.txt'),
    'Long notes on durable execution. '.repeat(200),
  );
  let llm: ScriptedLlmServer | undefined;
  let api: ApiHarness | undefined;
  let worker: WorkerHarness | undefined;
  let connection: Connection | undefined;
  let mcp: HttpMcpServer | undefined;
  try {
    mcp = await startHttpMcpServer(MCP_HEADER);
    llm = await startScriptedLlmServer();
    api = await startApi('postgres', {
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-platform-default',
      KASAL_TOOLS_FILE_ROOT: files,
      // A fixed key, so the replay test can decrypt what is recorded.
      KASAL_PAYLOAD_KEYS: HISTORY_PAYLOAD_KEYS,
      // Small, so the long recordings continue as new.
      KASAL_HISTORY_MAX_EVENTS: '100',
    });
    worker = await startWorker(api);
    connection = await Connection.connect({ address: temporalAddress() });
    const client = new Client({
      connection,
      namespace: api.config.temporal.namespace,
      dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
    });

    mkdirSync(outDir, { recursive: true });
    const written: string[] = [];
    for (const recording of RECORDINGS.filter((candidate) => names.includes(candidate.name))) {
      await recording.setup?.(api, mcp);
      recording.script(llm);
      const workflowId = await (recording.start ?? runCrew)(api, client, recording);
      await client.workflow.getHandle(workflowId).result(); // closed: its history is complete
      const runs = await runHistories(client, workflowId);
      const histories = recording.allRuns ? runs : runs.slice(-1);
      for (const [index, history] of histories.entries()) {
        const file = path.join(outDir, `${recording.name}${index > 0 ? `-${index + 1}` : ''}.json`);
        // Formatted as `npm run format:check` expects; historyFromJSON reads it back as is.
        const options = await resolveConfig(file);
        writeFileSync(file, await format(historyToJSON(history), { ...options, filepath: file }));
        written.push(file);
      }
    }
    return written;
  } finally {
    await connection?.close();
    await worker?.stop();
    await api?.close();
    await llm?.close();
    await mcp?.stop();
    rmSync(files, { recursive: true, force: true });
  }
}

/** A flow step: a crew of one agent and one task. */
function flowStep(id: string, description: string, extra: Record<string, unknown> = {}) {
  const { task, ...rest } = extra as { task?: Record<string, unknown> };
  return {
    id,
    crew: {
      name: id,
      agents: [{ id: 'worker', role: `${id} worker`, goal: 'Do the work' }],
      tasks: [{ id: 'work', description, expected_output: 'x', agent: 'worker', ...task }],
    },
    ...rest,
  };
}

/** Starts it through the API, approves every approval it waits for, and waits until it ends. */
async function runApproved(api: ApiHarness, client: Client, recording: Recording) {
  const started = await api.http.post('/api/v1/executions', {
    token: api.adminToken,
    body: recording.body,
  });
  if (started.status !== 202) throw new Error(`start failed: ${JSON.stringify(started.body)}`);
  const id = started.body.execution_id as string;
  const approvalId = await waitFor('the approval', async () => {
    const current = await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken });
    return current.body.approvals?.[0]?.id as string | undefined;
  });
  await api.http.post(`/api/v1/hitl/approvals/${approvalId}/approve`, {
    token: api.adminToken,
    body: {},
  });
  const execution = await finishedExecution(api, id);
  if (execution.status !== 'COMPLETED') throw new Error(`${recording.name}: ${execution.status}`);
  await client.workflow.getHandle(started.body.workflow_id).result();
  return started.body.workflow_id as string;
}

/** Starts the crew through the API, waits until it completed, and returns its workflow id. */
async function runCrew(api: ApiHarness, _client: Client, recording: Recording): Promise<string> {
  const started = await api.http.post('/api/v1/executions', {
    token: api.adminToken,
    body: recording.body,
  });
  if (started.status !== 202) {
    throw new Error(`${recording.name}: start failed: ${JSON.stringify(started.body)}`);
  }
  const { execution_id: id, workflow_id: workflowId } = started.body as {
    execution_id: string;
    workflow_id: string;
  };
  const execution = await finishedExecution(api, id);
  if (execution.status !== 'COMPLETED') {
    throw new Error(`${recording.name}: ended ${execution.status}: ${execution.error ?? ''}`);
  }
  return workflowId;
}

/**
 * Saves the crew, schedules it (far in the future) and triggers it once; returns the id of the
 * scheduled-run workflow the schedule started (the crew ran as its child).
 */
async function runScheduled(api: ApiHarness, client: Client, recording: Recording) {
  const token = api.adminToken;
  const crew = await api.http.post('/api/v1/crews', { token, body: recording.body.crew });
  const schedule = await api.http.post('/api/v1/schedules', {
    token,
    body: { name: 'Recorded', crew_id: crew.body.id, cron: '0 0 1 1 *' },
  });
  if (schedule.status !== 201) throw new Error(`schedule: ${JSON.stringify(schedule.body)}`);
  const id = schedule.body.id as string;
  await api.http.post(`/api/v1/schedules/${id}/trigger`, { token, body: {} });
  const workflowId = await waitFor('the scheduled run', async () => {
    const described = await client.schedule.getHandle(`kasal-schedule-${id}`).describe();
    return described.info.recentActions[0]?.action.workflow.workflowId;
  });
  await client.workflow.getHandle(workflowId).result();
  await api.http.delete(`/api/v1/schedules/${id}`, { token });
  return workflowId;
}
