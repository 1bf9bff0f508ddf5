/**
 * Creates the MikroORM instance for the configured database and brings its schema up to date:
 * migrations on Postgres, schema creation/update on the embedded SQLite (libSQL) file.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { MikroORM as LibSqlORM } from '@mikro-orm/libsql';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PostgresORM } from '@mikro-orm/postgresql';
import type { DatabaseConfig } from '../config';
import type { Logger } from '../logger';
import { ALL_ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export type Orm = MikroORM;
export type { EntityManager };

export async function initORM(database: DatabaseConfig, logger: Logger): Promise<Orm> {
  const common = {
    entities: ALL_ENTITIES,
    // SQL_DEBUG: MikroORM calls the logger only then, and people who set it want to see it.
    debug: database.debug,
    logger: (message: string) => logger.info({ sql: message }, 'sql'),
    allowGlobalContext: false,
  };
  if (database.type === 'postgres') {
    return PostgresORM.init({
      ...common,
      clientUrl: database.url,
      extensions: [Migrator],
      migrations: {
        migrationsList: MIGRATIONS,
        snapshot: false,
        snapshotOnMigrate: false,
        silent: true,
      },
    });
  }
  mkdirSync(path.dirname(database.path), { recursive: true });
  return LibSqlORM.init({ ...common, dbName: database.path });
}

/** Applies pending migrations (Postgres) or creates/updates the schema (SQLite). */
export async function prepareSchema(orm: Orm, database: DatabaseConfig): Promise<void> {
  if (database.type === 'postgres') {
    await orm.migrator.up();
  } else {
    await orm.schema.update();
  }
}

/** Checks the database answers; used by the health endpoint. */
export async function pingDatabase(orm: Orm): Promise<void> {
  await orm.em.getConnection().execute('select 1');
}
