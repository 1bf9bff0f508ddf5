/** One Temporal dev server for the whole run; its address reaches the tests via the env. */
import { Connection } from '@temporalio/client';
import { createLogger } from '../../shared/node/logger';
import { ensureSearchAttributes } from '../../shared/node/temporal/connection';
import { startTemporalDevServer, type DevServer } from './temporal-dev-server';

declare global {
  var __KASAL_TEMPORAL__: DevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_TEMPORAL_ADDRESS) return;
  const server = await startTemporalDevServer();
  globalThis.__KASAL_TEMPORAL__ = server;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  // What a worker does at start, once for all the test workers.
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default', createLogger('warn', 'test-setup'));
  await connection.close();
}
