/**
 * No execution lost in silence: a workflow that Temporal ends on its own or at an operator's
 * hand (terminated with the CLI, past the history limit) leaves no row saying RUNNING, and a
 * workflow task that keeps failing shows as a warning on the execution.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ExecutionReconciler } from '../../api/services/execution-reconciler';
import { ExecutionEntity, ExecutionEventEntity } from '../../shared/node/db/entities';
import { createLogger } from '../../shared/node/logger';
import { createPayloadCodec, ensureSearchAttributes } from '../../shared/node/temporal/connection';
import { temporalAddress, type ApiHarness } from '../support/api-harness';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';
import {
  startTemporalDevServer,
  temporalBinary,
  type DevServer,
} from '../support/temporal-dev-server';
import { uniqueTaskQueue } from '../support/worker-harness';

jest.setTimeout(180_000);

const run = promisify(execFile);
const logger = createLogger('silent', 'test-reconciler');

const oneTask = (name: string) => ({
  name,
  agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
  tasks: [{ id: 'only', description: 'Do it', expected_output: 'x', agent: 'a' }],
});

async function startCrew(api: ApiHarness, crew: Record<string, unknown>) {
  const started = await api.http.post('/api/v1/executions', {
    token: api.adminToken,
    body: { crew },
  });
  expect(started.status).toBe(202);
  return started.body as { execution_id: string; workflow_id: string };
}

const terminate = (address: string, workflowId: string, reason: string) =>
  run(temporalBinary(), [
    'workflow',
    'terminate',
    '--address',
    address,
    '--workflow-id',
    workflowId,
    '--reason',
    reason,
  ]);

describe('reconciliation with Temporal', () => {
  let platform: Platform;
  let client: Client;
  let hooks: Server;
  const deliveries: { event: string; body: any }[] = [];

  beforeAll(async () => {
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        deliveries.push({ event: String(req.headers['x-kasal-event']), body: JSON.parse(body) });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    platform = await startPlatform({ KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
    client = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      dataConverter: { payloadCodecs: [createPayloadCodec(platform.api.config)] },
    });
  });
  afterAll(async () => {
    await client?.connection.close();
    await platform?.close();
    await new Promise((resolve) => hooks?.close(resolve));
  });

  const reconciler = () =>
    new ExecutionReconciler({
      temporal: client,
      orm: platform.api.orm,
      logger,
      namespace: 'default',
      serverLimits: platform.api.config.temporal.serverHistoryLimits,
      taskQueue: platform.api.config.temporal.taskQueue,
    });

  it('ends the execution of a workflow terminated with the CLI, with the reason', async () => {
    const { api, llm } = platform;
    const hook = await api.http.post('/api/v1/webhooks', {
      token: api.adminToken,
      body: {
        name: 'ops',
        url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`,
        events: ['execution_terminated'],
      },
    });
    expect(hook.status).toBe(201);
    llm.respondWith(() => ({ hang: true }));
    const swept = await startCrew(api, oneTask('Swept'));
    const read = await startCrew(api, oneTask('Read'));
    await waitFor('both LLM calls', () => llm.requests.length >= 2 || undefined);

    await terminate(temporalAddress(), swept.workflow_id, 'operator stopped it');

    // The periodic sweep repairs a row nobody reads...
    expect(await reconciler().sweep()).toBe(1);
    const row = await api.orm.em.fork().findOneOrFail(ExecutionEntity, { id: swept.execution_id });
    expect(row.status).toBe('FAILED');
    expect(row.error).toContain('terminated');
    expect(row.error).toContain('operator stopped it');
    expect(row.finishedAt).toBeInstanceOf(Date);
    const events = await api.orm.em
      .fork()
      .find(ExecutionEventEntity, { executionId: swept.execution_id }, { orderBy: { id: 'asc' } });
    expect(events.at(-1)).toMatchObject({ type: 'crew_failed' });
    expect(events.at(-1)!.data).toMatchObject({ reconciled: true, status: 'FAILED' });
    // Webhooks that asked for it hear of it.
    const [delivery] = await waitFor('the webhook', () =>
      deliveries.length > 0 ? deliveries : undefined,
    );
    expect(delivery).toMatchObject({
      event: 'execution_terminated',
      body: { execution_id: swept.execution_id, status: 'FAILED', kind: 'crew', name: 'Swept' },
    });
    expect(delivery!.body.reason).toContain('operator stopped it');

    // ...and reading an execution whose workflow no longer answers repairs it at once.
    await terminate(temporalAddress(), read.workflow_id, 'wrong inputs');
    const execution = await finishedExecution(api, read.execution_id, { timeoutMs: 10_000 });
    expect(execution).toMatchObject({ status: 'FAILED', live: false });
    expect(execution.error).toContain('wrong inputs');
    expect(execution.tasks[0].status).toBe('FAILED');

    // Stopping it now is a conflict, not a hang.
    const stop = await api.http.post(`/api/v1/executions/${read.execution_id}/stop`, {
      token: api.adminToken,
      body: {},
    });
    expect(stop.status).toBe(409);
  });

  it('marks a row whose workflow never started as failed once the start grace is over', async () => {
    const { api } = platform;
    const em = api.orm.em.fork();
    const id = randomUUID();
    em.create(ExecutionEntity, {
      id,
      groupId: randomUUID(),
      kind: 'crew',
      name: 'Never started',
      status: 'PENDING',
      trigger: 'api',
      inputs: {},
      plan: {},
      workflowId: `kasal-crew-${id}`,
      outputJson: null,
      createdBy: randomUUID(),
    });
    await em.flush();
    await reconciler().sweep();
    // Still within the grace a start may take: left alone.
    expect((await api.orm.em.fork().findOneOrFail(ExecutionEntity, { id })).status).toBe('PENDING');
    await em.nativeUpdate(ExecutionEntity, { id }, { createdAt: new Date(Date.now() - 600_000) });
    await reconciler().sweep();
    const row = await api.orm.em.fork().findOneOrFail(ExecutionEntity, { id });
    expect(row.status).toBe('FAILED');
    expect(row.error).toContain('never started');
  });

  it('shows a workflow task that keeps failing as a warning on the execution', async () => {
    const { api } = platform;
    const taskQueue = uniqueTaskQueue();
    const connection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowsPath: require.resolve('./fixtures/failing-task.workflow'),
    });
    const running = worker.run();
    try {
      const em = api.orm.em.fork();
      const id = randomUUID();
      const workflowId = `kasal-crew-${id}`;
      em.create(ExecutionEntity, {
        id,
        groupId: randomUUID(),
        kind: 'crew',
        name: 'Cannot replay',
        status: 'RUNNING',
        trigger: 'api',
        inputs: {},
        plan: {},
        workflowId,
        outputJson: null,
        createdBy: randomUUID(),
      });
      await em.flush();
      await client.workflow.start('crewWorkflow', { taskQueue, workflowId, args: [] });
      const warned = await waitFor(
        'the warning',
        async () => {
          await reconciler().sweep();
          const row = await api.orm.em.fork().findOneOrFail(ExecutionEntity, { id });
          return row.warning ?? undefined;
        },
        90_000,
      );
      expect(warned).toContain('failed');
      expect(warned).toContain('cannot run the recorded history');
      const events = await api.orm.em
        .fork()
        .find(ExecutionEventEntity, { executionId: id, type: 'execution_warning' });
      expect(events).toHaveLength(1);
      await client.workflow.getHandle(workflowId).terminate('test over');
    } finally {
      worker.shutdown();
      await running;
      await connection.close();
    }
  });
});

describe('the history limit of a Temporal server', () => {
  let server: DevServer;

  beforeAll(async () => {
    // A server that ends histories past 150 KB, and never suggests continuing as new.
    server = await startTemporalDevServer([
      '--dynamic-config-value',
      'limit.historySize.error=150000',
      '--dynamic-config-value',
      'limit.historySize.warn=100000',
      '--dynamic-config-value',
      'limit.historySize.suggestContinueAsNew=100000000',
    ]);
    const connection = await Connection.connect({ address: server.address });
    await ensureSearchAttributes(connection, 'default', logger);
    await connection.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  const twentyTasks = {
    name: 'Twenty tasks',
    agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
    tasks: Array.from({ length: 20 }, (_, index) => ({
      id: `t${index + 1}`,
      description: `Task ${index + 1}`,
      expected_output: 'x',
      agent: 'a',
    })),
  };

  const withPlatform = async (
    maxBytes: string,
    use: (platform: Platform) => Promise<void>,
  ): Promise<void> => {
    const platform = await startPlatform({
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      KASAL_HISTORY_MAX_BYTES: maxBytes,
      TEMPORAL_HISTORY_LIMIT_BYTES: '150000',
    });
    try {
      // Answers of 4 KB: each task adds about 10 KB of history (answer, output, context).
      platform.llm.respondWith(() => ({ content: 'findings '.repeat(450) }));
      await use(platform);
    } finally {
      await platform.close();
    }
  };

  it('fails, with the reason, an execution whose history Temporal cut off', async () => {
    await withPlatform('40000000', async ({ api }) => {
      const { execution_id: id } = await startCrew(api, twentyTasks);
      const execution = await finishedExecution(api, id, { timeoutMs: 60_000 });
      expect(execution.status).toBe('FAILED');
      // Temporal terminates the run itself, or refuses its next step and the reconciler ends it.
      expect(execution.error).toMatch(
        /history size exceeds limit|history reached Temporal's limit/i,
      );
    });
  });

  it('completes the same crew by continuing as new before the limit', async () => {
    await withPlatform('100000', async ({ api }) => {
      const { execution_id: id } = await startCrew(api, twentyTasks);
      const execution = await finishedExecution(api, id, { timeoutMs: 60_000 });
      expect(execution.status).toBe('COMPLETED');
      expect(execution.tasks.every((task: any) => task.status === 'COMPLETED')).toBe(true);
    });
  });
});
