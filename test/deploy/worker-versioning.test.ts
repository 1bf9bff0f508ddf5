/**
 * Safe deploys with Temporal's worker versioning: workers poll as versions of a deployment and
 * make themselves current; a crew stays on the version it started on while new crews go to the
 * new one, and a long crew moves to the new version only by continuing as new between tasks.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createPayloadCodec } from '../../shared/node/temporal/connection';
import { startApi, temporalAddress, type ApiHarness } from '../support/api-harness';
import { finishedExecution } from '../support/platform';
import { waitFor } from '../support/processes';
import {
  lastUserPrompt,
  startScriptedLlmServer,
  type ScriptedLlmServer,
} from '../support/scripted-llm-server';
import { startWorker, uniqueTaskQueue, type WorkerHarness } from '../support/worker-harness';
import { runHistories } from '../support/workflow-runs';

jest.setTimeout(180_000);

describe('worker versioning', () => {
  const deployment = `kasal-test-${randomUUID()}`;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let client: Client;
  const workers: WorkerHarness[] = [];
  const held = new Map<string, () => void>();

  beforeAll(async () => {
    llm = await startScriptedLlmServer();
    // A task "hold <name>" waits until the test releases it.
    llm.respondWith(async (request) => {
      const prompt = lastUserPrompt(request);
      const hold = /^Current task: hold (\w+)/.exec(prompt)?.[1];
      if (hold) await new Promise<void>((resolve) => held.set(hold, resolve));
      return { content: `done: ${prompt.slice(14, 40)}` };
    });
    api = await startApi('postgres', {
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-versions',
      KASAL_WORKER_DEPLOYMENT: deployment,
    });
    client = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
    });
  });
  afterAll(async () => {
    for (const release of held.values()) release();
    for (const worker of workers.reverse()) await worker.stop();
    await client?.connection.close();
    await api?.close();
    await llm?.close();
  });

  /** A worker of build `buildId`, once it is the deployment's current version. */
  const workerOf = async (buildId: string) => {
    const config = {
      ...api.config,
      workerDeployment: { name: deployment, buildId, setCurrent: true },
    };
    const worker = await startWorker(api, config);
    workers.push(worker);
    await waitFor(`version ${buildId} to be current`, async () => {
      const described = await client.workflowService.describeWorkerDeployment({
        namespace: 'default',
        deploymentName: deployment,
      });
      const current = described.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion;
      return current?.buildId === buildId || undefined;
    });
    return worker;
  };

  const start = async (tasks: string[]) => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Versioned',
          agents: [{ id: 'a', role: 'Worker', goal: 'Work' }],
          tasks: tasks.map((description, index) => ({
            id: `t${index + 1}`,
            description,
            expected_output: 'x',
            agent: 'a',
          })),
        },
      },
    });
    expect(started.status).toBe(202);
    return started.body as { execution_id: string; workflow_id: string };
  };

  /** The build id a run is pinned to, and its behaviour. */
  const versionOf = async (workflowId: string, runId?: string) => {
    const { raw } = await client.workflow.getHandle(workflowId, runId).describe();
    const info = raw.workflowExecutionInfo?.versioningInfo;
    return {
      buildId: info?.deploymentVersion?.buildId,
      behavior: info?.behavior,
    };
  };

  it('keeps a crew on the version it started on while new crews go to the new one', async () => {
    await workerOf('v1');
    const early = await start(['hold early']);
    await waitFor('the early crew at its LLM call', () => held.has('early') || undefined);
    const long = await start(['hold long', 'second task', 'third task']);
    await waitFor('the long crew at its LLM call', () => held.has('long') || undefined);

    await workerOf('v2');
    const late = await start(['a quick task']);
    expect((await finishedExecution(api, late.execution_id)).status).toBe('COMPLETED');
    expect(await versionOf(late.workflow_id)).toMatchObject({ buildId: 'v2' });

    // The early crew was pinned to v1 and finishes there.
    expect(await versionOf(early.workflow_id)).toMatchObject({ buildId: 'v1' });
    held.get('early')!();
    expect((await finishedExecution(api, early.execution_id)).status).toBe('COMPLETED');
    expect(await versionOf(early.workflow_id)).toMatchObject({ buildId: 'v1' });

    // The long crew moves to v2 between its tasks, by continuing as new.
    held.get('long')!();
    const execution = await finishedExecution(api, long.execution_id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.tasks.map((task: any) => task.status)).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
    const runs = await runHistories(client, long.workflow_id);
    expect(runs.length).toBe(2);
    expect(await versionOf(long.workflow_id)).toMatchObject({ buildId: 'v2' });
  });
});
