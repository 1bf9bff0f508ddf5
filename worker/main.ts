/** The worker process: connects to Temporal and runs Kasal's workflows and activities. */
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../shared/node/config';
import { initORM } from '../shared/node/db/orm';
import { createLogger } from '../shared/node/logger';
import { runMain } from '../shared/node/process';
import { ensureSearchAttributes } from '../shared/node/temporal/connection';
import { startTelemetry } from '../shared/node/telemetry';
import { createKasalWorker } from './create-worker';

runMain('worker', async () => {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'kasal-worker');
  const telemetry = startTelemetry(config, 'kasal-worker');
  const orm = await initORM(config.database, logger);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  await ensureSearchAttributes(connection, config.temporal.namespace, logger);

  const kasalWorker = await createKasalWorker({ connection, config, orm, logger, telemetry });
  logger.info(
    {
      taskQueue: config.temporal.taskQueue,
      namespace: config.temporal.namespace,
      tracing: telemetry !== undefined,
    },
    'Kasal worker running',
  );
  const running = kasalWorker.run();

  return async () => {
    kasalWorker.worker.shutdown();
    await running;
    await connection.close();
    await orm.close();
    await telemetry?.shutdown();
  };
});
