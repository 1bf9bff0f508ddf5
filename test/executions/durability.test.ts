/**
 * Durability, tested rather than assumed: in the middle of a three-task crew the worker is
 * killed, the API is killed and restarted, and the Temporal dev server (file persistence) is
 * restarted. The run completes, and the LLM server saw every request exactly once, except the
 * one in flight when the worker died.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createLogger } from '../../shared/node/logger';
import { ensureSearchAttributes } from '../../shared/node/temporal/connection';
import { ADMIN_EMAIL, ADMIN_PASSWORD, baseTestEnv } from '../support/api-harness';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { HttpClient } from '../support/http-client';
import { healthy, startNodeEntry, waitFor, type RunningProcess } from '../support/processes';
import {
  lastUserPrompt as lastUser,
  startScriptedLlmServer,
  type RecordedRequest,
  type ScriptedLlmServer,
  type ScriptedReply,
} from '../support/scripted-llm-server';
import { freePort, startTemporalDevServer, type DevServer } from '../support/temporal-dev-server';
import { uniqueTaskQueue } from '../support/worker-harness';

jest.setTimeout(240_000);

/** What makes two LLM requests "the same call": the conversation so far. */
const signature = (request: RecordedRequest) => JSON.stringify(request.body.messages);

/** How often the LLM server saw each call. */
function countBySignature(requests: RecordedRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of requests) {
    counts.set(signature(request), (counts.get(signature(request)) ?? 0) + 1);
  }
  return counts;
}

/** The admin's token, once the API answers. */
async function adminToken(http: HttpClient): Promise<string> {
  await waitFor('the API', () => healthy(http.baseUrl));
  const login = await http.post('/api/v1/auth/login', {
    body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  return login.body.access_token as string;
}

describe('durability', () => {
  const children: RunningProcess[] = [];
  let temporal: DevServer;
  let database: TestDatabase;
  let llm: ScriptedLlmServer;

  /** Starts the API or a worker as a process with `env`; every one is killed at the end. */
  const launcher = (env: Record<string, string>) => (entry: 'api/server' | 'worker/main') => {
    const child = startNodeEntry(entry, env);
    children.push(child);
    return child;
  };

  afterAll(async () => {
    for (const child of children) child.child.kill('SIGKILL');
    await temporal?.stop();
    await llm?.close();
    await database?.drop();
  });

  it('completes a crew across a worker kill, an API restart and a Temporal restart', async () => {
    const stateDir = mkdtempSync(path.join(tmpdir(), 'kasal-durable-'));
    writeFileSync(path.join(stateDir, 'facts.txt'), 'Durable facts.');
    const temporalPort = await freePort();
    const temporalArgs = ['--db-filename', path.join(stateDir, 'temporal.db')];
    temporal = await startTemporalDevServer(temporalArgs, temporalPort);
    const connection = await Connection.connect({ address: temporal.address });
    await ensureSearchAttributes(connection, 'default', createLogger('silent', 'test'));
    await connection.close();

    // The LLM: task 2's first request never gets an answer (its worker dies); task 3's answer
    // waits until Temporal has been restarted.
    let task2Seen = 0;
    let releaseTask3!: () => void;
    const task3Released = new Promise<void>((resolve) => (releaseTask3 = resolve));
    llm = await startScriptedLlmServer();
    llm.respondWith(async (request): Promise<ScriptedReply> => {
      const prompt = lastUser(request);
      if (prompt.includes('Step one') && request.body.messages.length === 2) {
        return { toolCalls: [{ name: 'read_file', arguments: { path: 'facts.txt' } }] };
      }
      if (prompt.includes('Step one')) return { content: 'one done' };
      if (prompt.includes('Step two')) {
        task2Seen += 1;
        return task2Seen === 1 ? { hang: true } : { content: 'two done' };
      }
      await task3Released;
      return { content: 'three done' };
    });

    database = await createTestDatabase('postgres');
    const apiPort = await freePort();
    const env = {
      ...baseTestEnv(database),
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-durable',
      KASAL_TOOLS_FILE_ROOT: stateDir,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
    };
    const http = new HttpClient(`http://127.0.0.1:${apiPort}`);
    const start = launcher(env);

    const api = start('api/server');
    const worker = start('worker/main');
    const token = await adminToken(http);
    const started = await http.post('/api/v1/executions', {
      token,
      body: {
        crew: {
          name: 'Durable crew',
          agents: [{ id: 'a', role: 'Worker', goal: 'Work', tools: ['read_file'] }],
          tasks: [
            { id: 'one', description: 'Step one', expected_output: 'x', agent: 'a' },
            { id: 'two', description: 'Step two', expected_output: 'x', agent: 'a' },
            { id: 'three', description: 'Step three', expected_output: 'x', agent: 'a' },
          ],
        },
      },
    });
    expect(started.status).toBe(202);
    const id: string = started.body.execution_id;

    // Task 2's LLM call is in flight: kill the worker, and kill and restart the API.
    await waitFor('task two in flight', () => task2Seen === 1 || undefined);
    worker.child.kill('SIGKILL');
    api.child.kill('SIGKILL');
    await Promise.all([worker.exited, api.exited]);
    start('api/server'); // the children list kills it at the end
    await waitFor('the restarted API', () => healthy(http.baseUrl));
    const meanwhile = await http.get(`/api/v1/executions/${id}`, { token });
    expect(meanwhile.body.status).toBe('RUNNING');
    expect(meanwhile.body.tasks[0]).toMatchObject({ status: 'COMPLETED', output: 'one done' });
    start('worker/main');

    // The new worker retries task 2's call, then task 3 starts: restart Temporal under it.
    await waitFor(
      'task three in flight',
      () => llm.requests.some((r) => lastUser(r).includes('Step three')) || undefined,
      120_000,
    );
    await temporal.stop();
    temporal = await startTemporalDevServer(temporalArgs, temporalPort);
    releaseTask3();

    const done = await waitFor(
      'the execution to complete',
      async () => {
        const response = await http.get(`/api/v1/executions/${id}`, { token });
        return response.body.status === 'COMPLETED' ? response.body : undefined;
      },
      120_000,
    );
    expect(done.result.output).toBe('three done');
    expect(done.tasks.map((task: { output: string }) => task.output)).toEqual([
      'one done',
      'two done',
      'three done',
    ]);

    // Every LLM request reached the server once, except the one in flight when the worker died.
    const counts = countBySignature(llm.requests);
    const repeated = [...counts].filter(([, count]) => count > 1);
    expect(repeated).toHaveLength(1);
    expect(repeated[0]![0]).toContain('Step two');
    expect(repeated[0]![1]).toBe(2);
    expect(counts.size).toBe(4); // one (tool call), one (answer), two, three
  });

  it('finishes a long crew across worker kills, repeating no completed LLM call', async () => {
    // Six tasks of six LLM steps each (five reads, then the answer), continuing as new between
    // tasks; the worker is killed twice while calls are in flight.
    const stateDir = mkdtempSync(path.join(tmpdir(), 'kasal-long-durable-'));
    writeFileSync(path.join(stateDir, 'notes.txt'), 'Long notes. '.repeat(400));
    const longLlm = await startScriptedLlmServer({ latencyMs: 150 });
    const longDatabase = await createTestDatabase('postgres');
    try {
      longLlm.respondWith((request) => {
        const reads = request.body.messages.filter((message) => message.role === 'tool').length;
        return reads < 5
          ? { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] }
          : { content: `${lastUser(request).slice(14, 22)} done` };
      });
      const apiPort = await freePort();
      const env = {
        ...baseTestEnv(longDatabase),
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
        OPENAI_BASE_URL: `${longLlm.url}/v1`,
        OPENAI_API_KEY: 'sk-long-durable',
        KASAL_TOOLS_FILE_ROOT: stateDir,
        KASAL_HISTORY_MAX_EVENTS: '100',
        LLM_STREAM: 'false',
        PORT: String(apiPort),
        HOST: '127.0.0.1',
      };
      const http = new HttpClient(`http://127.0.0.1:${apiPort}`);
      const start = launcher(env);
      start('api/server');
      let worker = start('worker/main');
      const token = await adminToken(http);
      const started = await http.post('/api/v1/executions', {
        token,
        body: {
          crew: {
            name: 'Long durable crew',
            agents: [{ id: 'a', role: 'Reader', goal: 'Read', tools: ['read_file'] }],
            tasks: Array.from({ length: 6 }, (_, index) => ({
              id: `t${index + 1}`,
              description: `Task t${index + 1}: read notes.txt five times`,
              expected_output: 'x',
              agent: 'a',
            })),
          },
        },
      });
      expect(started.status).toBe(202);
      const id: string = started.body.execution_id;

      for (const killAt of [10, 24]) {
        await waitFor(`LLM call ${killAt}`, () => longLlm.requests.length >= killAt || undefined);
        worker.child.kill('SIGKILL');
        await worker.exited;
        worker = start('worker/main');
      }

      const done = await waitFor(
        'the long execution to complete',
        async () => {
          const response = await http.get(`/api/v1/executions/${id}`, { token });
          return response.body.status === 'COMPLETED' ? response.body : undefined;
        },
        150_000,
      );
      expect(done.tasks.map((task: { output: string }) => task.output)).toEqual(
        Array.from({ length: 6 }, (_, index) => `Task t${index + 1}: done`),
      );

      // 36 steps, each seen once; a kill may at most repeat the one call then in flight.
      const counts = countBySignature(longLlm.requests);
      expect(counts.size).toBe(36);
      const repeated = [...counts.values()].filter((count) => count > 1);
      expect(repeated.length).toBeLessThanOrEqual(2);
      expect(repeated.every((count) => count === 2)).toBe(true);
    } finally {
      await longLlm.close();
      await longDatabase.drop();
    }
  });
});
