/** The API process: wires config, database, Temporal client and the Express app, then listens. */
import type { AddressInfo } from 'node:net';
import { createTokenService } from '../shared/node/auth/tokens';
import { loadConfig, resolveEncryptionKey, resolveJwtSecret } from '../shared/node/config';
import { createSecretBox } from '../shared/node/crypto/secret-box';
import { initORM, prepareSchema } from '../shared/node/db/orm';
import { createLogger } from '../shared/node/logger';
import { runMain } from '../shared/node/process';
import { createLazyTemporalClient, createPayloadCodec } from '../shared/node/temporal/connection';
import { startTelemetry } from '../shared/node/telemetry';
import { createApp } from './app';
import { answerClientErrors } from './http/client-errors';
import { announceAdmin } from './admin-banner';
import { ExecutionReconciler, startExecutionReconciler } from './services/execution-reconciler';
import { ScheduleSync, startScheduleSweep } from './services/schedule-sync';
import { ensureAdmin } from './services/seed.service';

/** How often schedules and their Temporal schedules are compared and repaired. */
const SCHEDULE_SWEEP_MS = 5 * 60_000;

runMain('api', async () => {
  const config = loadConfig();
  const tokens = createTokenService(config.auth, resolveJwtSecret(config));
  const logger = createLogger(config.logLevel, 'kasal-api');
  const telemetry = startTelemetry(config, 'kasal-api');
  const orm = await initORM(config.database, logger);
  await prepareSchema(orm, config.database);
  if (config.autoSeed) announceAdmin(config, await ensureAdmin(orm.em.fork(), config.admin));

  const codec = createPayloadCodec(config);
  const temporal = createLazyTemporalClient(config.temporal, codec, telemetry);
  const secrets = createSecretBox(resolveEncryptionKey(config));
  const app = createApp({ config, orm, logger, tokens, temporal, secrets, codec, telemetry });
  const server = app.listen(config.http.port, config.http.host);
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const stopSweep = startScheduleSweep({
    sync: new ScheduleSync({ temporal, taskQueue: config.temporal.taskQueue, logger }),
    orm,
    logger,
    intervalMs: SCHEDULE_SWEEP_MS,
  });
  const stopReconciler = startExecutionReconciler(
    new ExecutionReconciler({
      temporal,
      orm,
      logger,
      namespace: config.temporal.namespace,
      serverLimits: config.temporal.serverHistoryLimits,
      taskQueue: config.temporal.taskQueue,
    }),
    logger,
    config.temporal.reconcileIntervalMs,
  );
  const { port } = server.address() as AddressInfo;
  logger.info(
    { port, database: config.database.type, temporal: config.temporal.address },
    `Kasal API listening on ${config.http.publicUrl}`,
  );

  return async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Event streams never end by themselves: give requests a moment, then close what is left.
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), 2000).unref();
    await closed;
    await stopSweep();
    await stopReconciler();
    await temporal.connection.close();
    await orm.close();
    await telemetry?.shutdown();
  };
});
