/** A real Temporal worker in the test process, running the real workflows and activities. */
import { randomUUID } from 'node:crypto';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Config } from '../../shared/node/config';
import { createLogger } from '../../shared/node/logger';
import { createKasalWorker } from '../../worker/create-worker';
import type { ApiHarness } from './api-harness';

export interface WorkerHarness {
  worker: Worker;
  stop(): Promise<void>;
}

/** A task queue of its own per test file, so workers of other files never take its work. */
export const uniqueTaskQueue = () => `kasal-test-${randomUUID()}`;

let runtimeInstalled = false;

/** A worker for `api`'s task queue; `config` overrides the API's own (e.g. a build id). */
export async function startWorker(
  api: ApiHarness,
  config: Config = api.config,
): Promise<WorkerHarness> {
  if (!runtimeInstalled) {
    // Keep webpack's bundle report and routine worker logs out of the test output.
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const kasalWorker = await createKasalWorker({
    connection,
    config,
    orm: api.orm,
    logger: createLogger('silent', 'test-worker'),
    telemetry: api.telemetry,
    fromSource: true,
  });
  const { worker } = kasalWorker;
  const running = kasalWorker.run();
  return {
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
