/**
 * Developer tool: writes a new Postgres migration for the difference between the entities and
 * the database at DATABASE_URL (migrated first). Run `npm run build && npm run migration:create`,
 * then add the new class to migrations/index.ts.
 */
import path from 'node:path';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { initORM, prepareSchema } from './orm';

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.database.type !== 'postgres') throw new Error('DATABASE_URL must point at Postgres');
  const orm = await initORM(config.database, createLogger('warn', 'migrations'));
  try {
    await prepareSchema(orm, config.database);
    const target = path.resolve(__dirname, '../../../../shared/node/db/migrations');
    const result = await orm.migrator.create(target, false, false, process.argv[2]);
    process.stdout.write(
      result.fileName ? `wrote ${result.fileName}\n` : 'entities and migrations agree\n',
    );
  } finally {
    await orm.close();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
