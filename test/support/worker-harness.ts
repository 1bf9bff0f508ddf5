/** A real Temporal worker in the test process, running the real workflows and activities. */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { resolveEncryptionKey } from '../../shared/node/config';
import { createSecretBox } from '../../shared/node/crypto/secret-box';
import { createLogger } from '../../shared/node/logger';
import { createPayloadCodec } from '../../shared/node/temporal/connection';
import type { ApiHarness } from './api-harness';
import { temporalAddress } from './api-harness';

export interface WorkerHarness {
  worker: Worker;
  stop(): Promise<void>;
}

/** A task queue of its own per test file, so workers of other files never take its work. */
export const uniqueTaskQueue = () => `kasal-test-${randomUUID()}`;

let runtimeInstalled = false;

export async function startWorker(api: ApiHarness): Promise<WorkerHarness> {
  if (!runtimeInstalled) {
    // Keep webpack's bundle report and routine worker logs out of the test output.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const { config } = api;
  const connection = await NativeConnection.connect({ address: temporalAddress() });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('../../workflows'),
    dataConverter: { payloadCodecs: [createPayloadCodec(config)] },
    activities: createActivities({
      orm: api.orm,
      logger: createLogger('silent', 'test-worker'),
      secrets: createSecretBox(resolveEncryptionKey(config)),
      llm: config.llm,
      tools: config.tools,
      webhooks: config.webhooks,
    }),
  });
  const running = worker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
