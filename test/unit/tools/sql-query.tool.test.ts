import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Client } from 'pg';
import { sqlQuery, type SqlQueryOptions } from '../../../activities/tools/sql-query.tool';
import { ToolInputError } from '../../../activities/tools/tool-error';
import { createTestDatabase, type TestDatabase } from '../../support/databases';

let database: TestDatabase;
let url: string;
let options: SqlQueryOptions;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  url = database.env.DATABASE_URL ?? '';
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE people (id int PRIMARY KEY, name text, note text, joined date, active boolean);
      INSERT INTO people VALUES
        (1, 'Ada', 'first | pipe', '2024-01-02', true),
        (2, 'Grace', E'two\\nlines', '2024-03-04', false),
        (3, 'Linus', NULL, NULL, true);
      CREATE SEQUENCE counter;
      CREATE TABLE hidden (secret text);
      REVOKE ALL ON hidden FROM CURRENT_USER;
    `);
  } finally {
    await client.end();
  }
  options = { connectionUrl: url, statementTimeoutMs: 5000, maxRows: 100 };
});

afterAll(async () => {
  await database.drop();
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ToolInputError);
  return (error as Error).message;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  expect(error).not.toBeInstanceOf(ToolInputError);
  return error as Error;
}

async function peopleCount(): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM people');
    return rows[0]?.n ?? '';
  } finally {
    await client.end();
  }
}

describe('sqlQuery', () => {
  it('returns the rows as a markdown table, values as PostgreSQL prints them', async () => {
    await expect(sqlQuery({ query: 'SELECT * FROM people ORDER BY id' }, options)).resolves.toBe(
      [
        '| id | name | note | joined | active |',
        '| --- | --- | --- | --- | --- |',
        '| 1 | Ada | first \\| pipe | 2024-01-02 | t |',
        '| 2 | Grace | two\\nlines | 2024-03-04 | f |',
        '| 3 | Linus | NULL | NULL | t |',
        '',
        '(3 rows)',
      ].join('\n'),
    );
    await expect(
      sqlQuery({ query: `SELECT 1 AS n, 1 AS n, '{"a": 1}'::jsonb AS j` }, options),
    ).resolves.toBe('| n | n | j |\n| --- | --- | --- |\n| 1 | 1 | {"a": 1} |\n\n(1 row)');
    await expect(sqlQuery({ query: 'SELECT * FROM people WHERE false' }, options)).resolves.toBe(
      '| id | name | note | joined | active |\n| --- | --- | --- | --- | --- |\n\n(0 rows)',
    );
  });

  it('cuts the rows at maxRows and says so', async () => {
    const text = await sqlQuery(
      { query: 'SELECT g FROM generate_series(1, 1000000) AS g' },
      { ...options, maxRows: 2 },
    );
    expect(text).toBe(
      '| g |\n| --- |\n| 1 |\n| 2 |\n\n' +
        '(first 2 rows shown; the query returned more, cut at 2 rows)',
    );
    // Exactly maxRows rows: nothing was cut.
    await expect(
      sqlQuery({ query: 'SELECT id FROM people ORDER BY id' }, { ...options, maxRows: 3 }),
    ).resolves.toMatch(/\| 3 \|\n\n\(3 rows\)$/);
  });

  it('refuses writes and DDL, which the read-only transaction does not allow', async () => {
    for (const query of [
      "INSERT INTO people (id, name) VALUES (9, 'Mallory')",
      "UPDATE people SET name = 'Mallory'",
      'DELETE FROM people',
      'CREATE TABLE evil (id int)',
      'DROP TABLE people',
      "SELECT nextval('counter')",
    ]) {
      const message = await refusal(sqlQuery({ query }, options));
      expect(message).toMatch(/^PostgreSQL error: cannot execute .* in a read-only transaction/);
      expect(message).toContain('only queries that read are possible');
    }
    expect(await refusal(sqlQuery({ query: 'SET TRANSACTION READ WRITE' }, options))).toBe(
      'PostgreSQL error: transaction read-write mode must be set before any query',
    );
    expect(await peopleCount()).toBe('3');
  });

  it('refuses more than one statement: COMMIT cannot end the read-only transaction', async () => {
    const message = await refusal(
      sqlQuery({ query: 'SELECT 1; COMMIT; DELETE FROM people' }, options),
    );
    expect(message).toBe(
      'PostgreSQL error: cannot insert multiple commands into a prepared statement\n' +
        'sql_query runs exactly one statement per call.',
    );
    expect(await peopleCount()).toBe('3');
  });

  it('stops a query at the statement timeout', async () => {
    const started = Date.now();
    const message = await refusal(
      sqlQuery({ query: 'SELECT pg_sleep(5)' }, { ...options, statementTimeoutMs: 200 }),
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(message).toBe(
      'PostgreSQL error: canceling statement due to statement timeout\n' +
        'The query ran longer than the 200 ms limit; make it cheaper or more selective.',
    );
  });

  it('explains a syntax error and where it is', async () => {
    expect(await refusal(sqlQuery({ query: 'SELEC name FROM people' }, options))).toBe(
      'PostgreSQL error: syntax error at or near "SELEC"\nAt character 1 of the query.',
    );
    expect(await refusal(sqlQuery({ query: 'SELECT nme FROM people' }, options))).toMatch(
      /^PostgreSQL error: column "nme" does not exist\nHint: Perhaps you meant .*"people.name"/,
    );
  });

  it('passes on a permission error', async () => {
    expect(await refusal(sqlQuery({ query: 'SELECT * FROM hidden' }, options))).toBe(
      'PostgreSQL error: permission denied for table hidden',
    );
  });

  it('says when a statement returns no columns', async () => {
    await expect(sqlQuery({ query: 'SELECT' }, options)).resolves.toBe(
      'The statement ran and returned no columns.',
    );
    await expect(sqlQuery({ query: '-- nothing' }, options)).resolves.toBe(
      'The statement ran and returned no columns.',
    );
  });

  it('reports a refused login as an ordinary error, without the password', async () => {
    const bad = new URL(url);
    bad.password = 'not-the-password-7391';
    const error = await failure(
      sqlQuery({ query: 'SELECT 1' }, { ...options, connectionUrl: bad.href }),
    );
    expect(error.message).toBe(
      'could not connect to the SQL database: ' +
        `password authentication failed for user "${bad.username}"`,
    );
    // Nor anywhere a logger would look: the error, its cause and their properties.
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain('not-the-password-7391');
  });

  it('reports an unreachable database as an ordinary error, without the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = `postgres://someone:hunter2-secret@127.0.0.1:${port}/nowhere`;
    const error = await failure(
      sqlQuery({ query: 'SELECT 1' }, { ...options, connectionUrl: unreachable }),
    );
    expect(error.message).toMatch(/^could not connect to the SQL database: .*ECONNREFUSED/);
    expect(inspect(error, { depth: 10, showHidden: true })).not.toContain('hunter2-secret');
    const invalid = await failure(
      sqlQuery({ query: 'SELECT 1' }, { ...options, connectionUrl: 'postgres://u:hunter2@[bad' }),
    );
    expect(invalid.message).toBe('the SQL database connection setting is invalid: Invalid URL');
    expect(inspect(invalid, { depth: 10, showHidden: true })).not.toContain('hunter2');
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled by the caller')), 200);
    const started = Date.now();
    const error = await failure(
      sqlQuery({ query: 'SELECT pg_sleep(3)' }, { ...options, signal: controller.signal }),
    );
    expect(error.message).toBe('cancelled by the caller');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('explains bad arguments', async () => {
    expect(await refusal(sqlQuery({}, options))).toBe(
      'Invalid arguments for sql_query: query is required',
    );
    expect(await refusal(sqlQuery({ query: '   ' }, options))).toMatch(/query must not be empty/);
    expect(await refusal(sqlQuery({ query: 'x'.repeat(20_001) }, options))).toMatch(
      /query must be at most 20000 characters/,
    );
    expect(await refusal(sqlQuery({ sql: 'SELECT 1' }, options))).toMatch(/query is required/);
  });
});
