/** A fresh database per test file: its own Postgres database, or its own SQLite file. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export type DatabaseType = 'postgres' | 'sqlite';

export interface TestDatabase {
  type: DatabaseType;
  /** The variables that point the config module at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export function postgresUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error("TEST_DATABASE_URL is not set: run the tests with 'npm test'");
  return url;
}

async function withAdminClient<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(type: DatabaseType): Promise<TestDatabase> {
  if (type === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'kasal-sqlite-'));
    return {
      type,
      env: { DATABASE_TYPE: 'sqlite', SQLITE_DB_PATH: path.join(dir, 'kasal.db') },
      drop: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })),
    };
  }
  const name = `kasal_t_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(postgresUrl());
  url.pathname = `/${name}`;
  return {
    type,
    env: { DATABASE_TYPE: 'postgres', DATABASE_URL: url.toString() },
    drop: () => dropDatabase(name),
  };
}

/**
 * Drops a test database. An autovacuum worker that just started on it cannot be terminated by
 * our role (error 42501), so try again a moment later.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await withAdminClient((client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '42501' || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
