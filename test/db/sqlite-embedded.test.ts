/**
 * The embedded database holds up as `npm start` uses it: the API and a worker (two processes,
 * two connections) writing to one SQLite file at once, without "database is locked"; and the
 * file is readable by its owner only.
 */
import { spawn } from 'node:child_process';
import { statSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ExecutionEventEntity } from '../../shared/node/db/entities';
import { initORM, prepareSchema, type Orm } from '../../shared/node/db/orm';
import { createLogger } from '../../shared/node/logger';
import { PROJECT_ROOT } from '../support/temporal-dev-server';

describe('the embedded SQLite database', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kasal-sqlite-')), 'kasal.db');
  const database = { type: 'sqlite' as const, path: file, debug: false };
  const logger = createLogger('silent', 'test');
  const orms: Orm[] = [];

  afterAll(async () => {
    for (const orm of orms) await orm.close();
  });

  it('uses WAL with a busy timeout, in a file only its owner may read', async () => {
    const orm = await initORM(database, logger);
    orms.push(orm);
    await prepareSchema(orm, database);
    const connection = orm.em.getConnection();
    expect(await connection.execute('pragma journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(await connection.execute('pragma busy_timeout')).toEqual([{ timeout: 10_000 }]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('takes writes from two processes at once without a lock error', async () => {
    const executionId = randomUUID();
    // The other process: the compiled ORM (npm test builds before jest), 200 transactions.
    const child = spawn(process.execPath, [
      '-e',
      WRITER,
      path.join(PROJECT_ROOT, 'dist/shared/node/db/orm.js'),
      file,
      executionId,
    ]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Both sides write 200 transactions at once, once the other process is ready.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        orms[0]!.em.fork().transactional((tx) => {
          tx.create(ExecutionEventEntity, event(executionId, `api:${index}`));
          return Promise.resolve();
        }),
      ),
    );
    const status = await exited;
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(await orms[0]!.em.fork().count(ExecutionEventEntity, { executionId })).toBe(400);
  }, 60_000);
});

const event = (executionId: string, key: string) => ({
  key,
  executionId,
  groupId: executionId,
  type: 'test',
  title: key,
  data: {},
  occurredAt: new Date(),
});

/** A second process writing 200 events in transactions of their own, as a worker does. */
const WRITER = `
const [ormModule, file, executionId] = process.argv.slice(1);
const { initORM } = require(ormModule);
const { ExecutionEventEntity } = require(ormModule.replace(/orm\\.js$/, 'entities/index.js'));
const logger = { info() {}, warn() {}, error() {}, debug() {}, child() { return logger; } };
(async () => {
  const orm = await initORM({ type: 'sqlite', path: file, debug: false }, logger);
  process.stdout.write('ready\\n');
  await Promise.all(Array.from({ length: 200 }, (_, index) =>
    orm.em.fork().transactional(async (tx) => {
      tx.create(ExecutionEventEntity, {
        key: 'worker:' + index, executionId, groupId: executionId, type: 'test',
        title: 'worker ' + index, data: {}, occurredAt: new Date(),
      });
    })));
  await orm.close();
})().catch((error) => { console.error(error); process.exit(1); });
`;
