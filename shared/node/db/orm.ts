/**
 * Creates the MikroORM instance for the configured database and brings its schema up to date:
 * migrations on Postgres, schema creation/update on the embedded SQLite (libSQL) file.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
  // Prompts, answers and sealed settings live here: readable by its owner only (SQLite gives
  // its -wal and -shm files the same mode).
  if (!existsSync(database.path)) writeFileSync(database.path, '', { mode: 0o600 });
  chmodSync(database.path, 0o600);
  const orm = await LibSqlORM.init({ ...common, dbName: database.path });
  // The API and the workers write at once: readers never block the writer (WAL), and a writer
  // waits for the lock instead of failing with "database is locked".
  const connection = orm.em.getConnection();
  await connection.execute('pragma journal_mode = wal');
  await connection.execute(`pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  await connection.execute('pragma synchronous = normal');
  return orm;
}

const SQLITE_BUSY_TIMEOUT_MS = 10_000;

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
