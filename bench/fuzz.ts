/**
 * Schema-driven fuzzing: Schemathesis (from PyPI, installed by this script into a virtual
 * environment under .kasal/tools) generates requests for every operation of the API's OpenAPI
 * document, valid and invalid, and checks every answer: no server error, a documented status,
 * a body that matches the documented schema. Runs against the local platform (Temporal dev
 * server, the API on the chosen database, one worker) as the system admin.
 * Arguments after `--` go to `st run` (e.g. `-- --max-examples 20 --include-path-regex crews`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { databaseType, main, REPO_ROOT, startPlatform, startWorkerProcess } from './common';

const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = path.join(REPO_ROOT, '.kasal/tools/schemathesis');
/** What must hold for every answer. */
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
].join(',');

main(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      db: { type: 'string', default: 'sqlite' },
      'max-examples': { type: 'string', default: '25' },
    },
  });
  const st = ensureSchemathesis();
  const platform = await startPlatform({
    db: databaseType(values.db),
    latencyMs: 1,
    toolCallsPerTask: 1,
  });
  startWorkerProcess(platform);
  const { api } = platform;
  // An API key (a machine client's credential): the run must not lose it to an operation that
  // revokes the admin's tokens (a password reset of the admin, say), or it tests little after.
  const created = await api.http.post<{ key: string }>('/api/v1/auth/api-keys', {
    token: api.adminToken,
    body: { name: 'fuzz' },
  });
  if (created.status !== 201) throw new Error(`POST /auth/api-keys: ${created.status}`);
  const key = created.body.key;
  const args = [
    'run',
    `${api.http.baseUrl}/api-openapi.json`,
    '--url',
    api.http.baseUrl,
    '--checks',
    CHECKS,
    '--max-examples',
    values['max-examples'] ?? '25',
    '--header',
    `X-API-Key: ${key}`,
    '--workers',
    '2',
    '--no-color',
    ...positionals,
  ];
  console.log(
    `st ${args.map((arg) => (arg.startsWith('X-API-Key') ? 'X-API-Key: <key>' : arg)).join(' ')}`,
  );
  const code = await new Promise<number>((resolve) => {
    const child = spawn(st, args, { stdio: 'inherit', cwd: path.join(REPO_ROOT, '.kasal') });
    child.on('exit', (status) => resolve(status ?? 1));
  });
  // A run whose credential stopped working part of the way tested little after that point.
  const me = await api.http.get('/api/v1/auth/me', { headers: { 'x-api-key': key } });
  if (me.status !== 200) {
    throw new Error(
      `the fuzzing API key stopped working during the run: ${JSON.stringify(me.body)}`,
    );
  }
  const session = await api.http.get('/api/v1/auth/me', { token: api.adminToken });
  if (session.status !== 200) {
    console.log(`note: the admin's sign-in token was revoked by an operation of the run`);
  }
  if (code !== 0) throw new Error(`Schemathesis found failures (st exited ${code})`);
});

/** The `st` command of the project's own virtual environment, installed on first use. */
function ensureSchemathesis(): string {
  const st = path.join(VENV, 'bin/st');
  const installed = existsSync(st) ? spawnSync(st, ['--version'], { encoding: 'utf8' }).stdout : '';
  if (installed.includes(SCHEMATHESIS_VERSION)) return st;
  console.log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${VENV}`);
  run('python3', ['-m', 'venv', VENV]);
  run(path.join(VENV, 'bin/pip'), ['install', '--quiet', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  return st;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status})`);
}
