/**
 * `npm start` end to end: the start script brings up the Temporal dev server, the worker and
 * the API with embedded defaults, Ctrl-C stops them all, and a second start keeps the data.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../../shared/search-attributes';
import { HttpClient } from '../support/http-client';
import { healthy, startProcess, waitFor, type RunningProcess } from '../support/processes';
import { freePort } from '../support/temporal-dev-server';

jest.setTimeout(240_000);

describe('npm start', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'kasal-start-'));
  let platform: RunningProcess | undefined;
  let env: Record<string, string>;
  let http: HttpClient;

  const start = async () => {
    platform = startProcess('bash', ['deploy/scripts/start.sh'], env, { detached: true });
    await waitFor(
      'the start banner',
      () => platform?.output().includes('Kasal is running') || undefined,
      180_000,
    );
    return platform;
  };
  /** What Ctrl-C in a terminal does: SIGINT to the whole foreground process group. */
  const pressCtrlC = async (running: RunningProcess) => {
    process.kill(-(running.child.pid as number), 'SIGINT');
    return running.exited;
  };

  beforeAll(async () => {
    const [port, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    env = {
      KASAL_HOME: home,
      PORT: String(port),
      KASAL_TEMPORAL_PORT: String(temporalPort),
      KASAL_TEMPORAL_UI_PORT: String(uiPort),
      LOG_LEVEL: 'warn',
      ...(process.env.TEMPORAL_BIN && { TEMPORAL_BIN: process.env.TEMPORAL_BIN }),
    };
    http = new HttpClient(`http://127.0.0.1:${port}`);
  });
  afterAll(() => {
    if (platform && platform.child.exitCode === null)
      process.kill(-(platform.child.pid as number), 'SIGKILL');
  });

  it('starts everything, stops on Ctrl-C, and keeps the data for the next start', async () => {
    const first = await start();
    const banner = first.output();
    expect(banner).toContain(`API              http://localhost:${env.PORT}/api/v1`);
    expect(banner).toContain(`API docs         http://localhost:${env.PORT}/api-docs`);
    expect(banner).toContain(`Temporal Web UI  http://localhost:${env.KASAL_TEMPORAL_UI_PORT}`);
    expect(banner).toContain('"email":"admin@kasal.local"');

    const health = await http.get('/health');
    expect(health.body).toMatchObject({
      status: 'ok',
      temporal: { status: 'ok' },
      database: { status: 'ok' },
    });
    expect((await http.get('/api-docs/')).status).toBe(200);
    const ui = await fetch(`http://127.0.0.1:${env.KASAL_TEMPORAL_UI_PORT}/`);
    expect(ui.status).toBe(200);

    // The generated admin password is shown once and kept in a private file.
    const password = readFileSync(path.join(home, 'initial-admin-password'), 'utf8').trim();
    expect(banner).toContain(password);
    const login = await http.post('/api/v1/auth/login', {
      body: { email: 'admin@kasal.local', password },
    });
    expect(login.status).toBe(200);
    const token: string = login.body.access_token;
    const agent = await http.post('/api/v1/agents', {
      token,
      body: { role: 'Persistent', goal: 'Stay' },
    });
    expect(agent.status).toBe(201);

    // The worker registered Kasal's search attributes on the dev server.
    const connection = await Connection.connect({
      address: `127.0.0.1:${env.KASAL_TEMPORAL_PORT}`,
    });
    const attributes = await waitFor('search attributes', async () => {
      const listed = await connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      const names = Object.keys(listed.customAttributes ?? {});
      return Object.values(SEARCH_ATTRIBUTES).every((name) => names.includes(name))
        ? names
        : undefined;
    });
    expect(attributes).toEqual(expect.arrayContaining(Object.values(SEARCH_ATTRIBUTES)));
    await connection.close();

    expect(await pressCtrlC(first)).toBe(0);
    expect(first.output()).toContain('[kasal] stopped');
    expect(await healthy(http.baseUrl)).toBeUndefined();

    const second = await start();
    expect(second.output()).not.toContain('generated password (shown once)');
    const again = await http.post('/api/v1/auth/login', {
      body: { email: 'admin@kasal.local', password },
    });
    expect(again.status).toBe(200);
    // The old token still works (the JWT secret is kept under KASAL_HOME) and the agent is there.
    const kept = await http.get(`/api/v1/agents/${agent.body.id}`, { token });
    expect(kept.status).toBe(200);
    expect(kept.body.role).toBe('Persistent');
    expect(await pressCtrlC(second)).toBe(0);
  });
});
