/** The worker process: connects to Temporal and runs Kasal's workflows and activities. */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, resolveEncryptionKey } from '../shared/node/config';
import { createSecretBox } from '../shared/node/crypto/secret-box';
import { initORM } from '../shared/node/db/orm';
import { createLogger } from '../shared/node/logger';
import { runMain } from '../shared/node/process';
import { createPayloadCodec, ensureSearchAttributes } from '../shared/node/temporal/connection';
import { workflowSource } from './options';

runMain('worker', async () => {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'kasal-worker');
  const orm = await initORM(config.database, logger);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  await ensureSearchAttributes(connection, config.temporal.namespace, logger);

  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...workflowSource(),
    dataConverter: { payloadCodecs: [createPayloadCodec(config)] },
    activities: createActivities({
      orm,
      logger,
      secrets: createSecretBox(resolveEncryptionKey(config)),
      llm: config.llm,
      tools: config.tools,
      webhooks: config.webhooks,
    }),
  });
  logger.info(
    { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace },
    'Kasal worker running',
  );
  const running = worker.run();

  return async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await orm.close();
  };
});
