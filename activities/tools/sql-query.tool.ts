/**
 * The sql_query tool: runs one read-only SQL query against the operator's PostgreSQL database
 * and returns the rows as a markdown table, values as PostgreSQL prints them.
 *
 * Each call opens its own connection and a READ ONLY transaction with a statement timeout,
 * which is always rolled back. The query goes through the extended protocol (pg-cursor), where
 * the server accepts exactly one statement, so "SELECT 1; COMMIT; DELETE ..." is refused; and
 * no more than maxRows + 1 rows are ever fetched. A read-only transaction is not a permission
 * system, though: the connection's role should be one that may only read what agents may see.
 *
 * Errors the server reports about the query (syntax, permissions, a write, the timeout) go back
 * to the agent as ToolInputErrors, which can fix its SQL; a database that cannot be reached is
 * an ordinary Error. No message ever includes the connection URL or its password.
 */
import { Client, DatabaseError, type CustomTypesConfig, type FieldDef } from 'pg';
import Cursor from 'pg-cursor';
import { z } from 'zod';
import { parseToolArgs, ToolInputError } from './tool-error';

export interface SqlQueryOptions {
  /** postgres://user:password@host:port/database; never shown in any message. */
  connectionUrl: string;
  /** The server cancels the query after this long (SET LOCAL statement_timeout). */
  statementTimeoutMs: number;
  /** Most rows returned; a query that returns more is cut, with a note saying so. */
  maxRows: number;
  signal?: AbortSignal;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** How long past the statement timeout to wait before giving up on a silent server. */
const GRACE_MS = 5_000;
const MAX_CELL_CHARS = 1_000;
// SQLSTATE classes that are the server's trouble, not the query's: connection exceptions,
// transaction rollbacks (serialization, deadlock), resources, shutdowns, system and internal.
const SERVER_TROUBLE = /^(08|40|53|57P0|58|XX)/;

/** Every value as the text PostgreSQL sends, as psql would print it. */
const AS_TEXT = { getTypeParser: () => (value: string) => value } as unknown as CustomTypesConfig;

const SqlQueryArgs = z.strictObject(
  {
    query: z
      .string({
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string'),
      })
      .trim()
      .min(1, 'must not be empty')
      .max(20_000, 'must be at most 20000 characters'),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'arguments must be an object' : undefined) },
);

export async function sqlQuery(args: unknown, options: SqlQueryOptions): Promise<string> {
  const { query } = parseToolArgs('sql_query', SqlQueryArgs, args);
  options.signal?.throwIfAborted();
  const timeoutMs = Math.max(1, Math.floor(options.statementTimeoutMs));
  const redact = redactor(options.connectionUrl);
  let client: Client;
  try {
    client = new Client({
      connectionString: options.connectionUrl,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      application_name: 'kasal sql_query tool',
    });
  } catch (error) {
    // No cause: a URL parser's error carries the whole URL, password included (TypeError.input).
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`the SQL database connection setting is invalid: ${redact(error)}`);
  }
  client.on('error', () => {}); // a dropped connection fails the running query instead

  // statement_timeout stops slow queries; this stops waiting on a server that went silent.
  const deadlineMs = CONNECT_TIMEOUT_MS + timeoutMs + GRACE_MS;
  const deadline = AbortSignal.timeout(deadlineMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const cutOff = () => client.connection.stream.destroy();
  signal.addEventListener('abort', cutOff, { once: true });
  let connected = false;
  try {
    await client.connect();
    connected = true;
    return await runReadOnly(client, query, timeoutMs, options.maxRows);
  } catch (error) {
    options.signal?.throwIfAborted(); // cancelled by the caller: its own reason, unchanged
    if (deadline.aborted) {
      const seconds = Math.round(deadlineMs / 1000);
      throw new Error(`the SQL database did not answer within ${seconds} s`, { cause: error });
    }
    if (!connected) {
      throw new Error(`could not connect to the SQL database: ${redact(error)}`, { cause: error });
    }
    if (error instanceof DatabaseError && !SERVER_TROUBLE.test(error.code ?? '')) {
      throw new ToolInputError(explain(error, timeoutMs));
    }
    throw new Error(`the SQL query failed: ${redact(error)}`, { cause: error });
  } finally {
    signal.removeEventListener('abort', cutOff);
    await client.end().catch(() => {});
  }
}

async function runReadOnly(client: Client, query: string, timeoutMs: number, maxRows: number) {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${timeoutMs}`);
    // Once a query has run, SET TRANSACTION READ WRITE is refused: the agent's query comes second.
    await client.query('SELECT 1');
    const cursor = client.query(
      new Cursor<(string | null)[]>(query, undefined, { rowMode: 'array', types: AS_TEXT }),
    );
    const { rows, fields } = await new Promise<{ rows: (string | null)[][]; fields: FieldDef[] }>(
      (resolve, reject) => {
        cursor.read(maxRows + 1, (error, rows, result) =>
          error ? reject(error) : resolve({ rows, fields: result.fields }),
        );
      },
    );
    await cursor.close();
    return formatRows(
      fields.map((field) => field.name),
      rows,
      maxRows,
    );
  } finally {
    // Nothing the query did can stay, whatever happened; a dead connection is ended anyway.
    await client.query('ROLLBACK').catch(() => {});
  }
}

/** A markdown table with a row count, or a note that the statement returned no columns. */
function formatRows(columns: string[], rows: (string | null)[][], maxRows: number): string {
  if (columns.length === 0) {
    return 'The statement ran and returned no columns.';
  }
  const shown = rows.slice(0, maxRows);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const table = [
    line(columns.map(cell)),
    line(columns.map(() => '---')),
    ...shown.map((row) => line(row.map((value) => (value === null ? 'NULL' : cell(value))))),
  ];
  const count =
    rows.length > maxRows
      ? `(first ${maxRows} rows shown; the query returned more, cut at ${maxRows} rows)`
      : `(${shown.length} ${shown.length === 1 ? 'row' : 'rows'})`;
  return `${table.join('\n')}\n\n${count}`;
}

/** A value that cannot break the table: pipes escaped, line breaks shown as \n, long ones cut. */
function cell(value: string): string {
  const text =
    value.length > MAX_CELL_CHARS
      ? `${value.slice(0, MAX_CELL_CHARS)}… [${value.length} characters in all]`
      : value;
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, '\\n');
}

/** PostgreSQL's message, with its detail, hint and where in the query it went wrong. */
function explain(error: DatabaseError, timeoutMs: number): string {
  const lines = [`PostgreSQL error: ${error.message}`];
  if (error.detail) lines.push(`Detail: ${error.detail}`);
  if (error.hint) lines.push(`Hint: ${error.hint}`);
  if (error.position) lines.push(`At character ${error.position} of the query.`);
  const note = NOTES[error.message] ?? (error.code ? NOTES[error.code] : undefined);
  if (note) lines.push(note.replace('{ms}', String(timeoutMs)));
  return lines.join('\n');
}

/** What the agent should know about the refusals this tool causes on purpose. */
const NOTES: Record<string, string> = {
  '25006': 'sql_query runs in a read-only transaction: only queries that read are possible.',
  '57014': 'The query ran longer than the {ms} ms limit; make it cheaper or more selective.',
  'cannot insert multiple commands into a prepared statement':
    'sql_query runs exactly one statement per call.',
};

/**
 * A message for an error: the server's own as it is (it never quotes either secret), and
 * those of the driver and the network with the connection URL and its password cut out.
 */
function redactor(connectionUrl: string): (error: unknown) => string {
  const secrets = [connectionUrl];
  if (URL.canParse(connectionUrl)) {
    const { password } = new URL(connectionUrl);
    secrets.push(password);
    try {
      secrets.push(decodeURIComponent(password));
    } catch {
      // a malformed %-escape: the raw form is already listed
    }
  }
  return (error) => {
    if (error instanceof DatabaseError) return error.message;
    const { message } = (error ?? {}) as { message?: unknown };
    let text = typeof message === 'string' ? message : String(error);
    for (const secret of secrets) if (secret !== '') text = text.replaceAll(secret, '***');
    return text;
  };
}
