/**
 * The Temporal Web UI of `npm start` shows payloads decoded, with no step of the operator's:
 * the dev server's UI is pointed at the API's codec, which answers the UI open in this
 * machine's own browser without a token, and still refuses other pages and remote callers.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openHeadlessPage, type BrowserPage } from '../support/headless-browser';
import { codecJson, historyText } from '../support/history-text';
import { HttpClient } from '../support/http-client';
import { startProcess, waitFor, type RunningProcess } from '../support/processes';
import { startScriptedLlmServer, type ScriptedLlmServer } from '../support/scripted-llm-server';
import { freePort } from '../support/temporal-dev-server';

jest.setTimeout(420_000);

const SECRET_TASK = 'Summarise the secret merger plan';

describe('the Temporal Web UI of npm start', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'kasal-web-ui-'));
  let llm: ScriptedLlmServer;
  let platform: RunningProcess | undefined;
  let http: HttpClient;
  let ports: { api: number; temporal: number; ui: number };
  let workflowId: string;
  let startInput: ReturnType<typeof codecJson>;

  const uiOrigin = () => `http://localhost:${ports.ui}`;
  const decode = (headers: Record<string, string>) =>
    http.post('/api/v1/codec/decode', { headers, body: { payloads: [startInput] } });
  const clearText = (body: { payloads: { data: string }[] }) =>
    Buffer.from(body.payloads[0]?.data ?? '', 'base64').toString('utf8');

  beforeAll(async () => {
    llm = await startScriptedLlmServer();
    llm.respondWith(() => ({ content: 'The confidential answer' }));
    ports = { api: await freePort(), temporal: await freePort(), ui: await freePort() };
    platform = startProcess(
      'bash',
      ['deploy/scripts/start.sh'],
      {
        KASAL_HOME: home,
        PORT: String(ports.api),
        KASAL_TEMPORAL_PORT: String(ports.temporal),
        KASAL_TEMPORAL_UI_PORT: String(ports.ui),
        LOG_LEVEL: 'warn',
        OPENAI_BASE_URL: `${llm.url}/v1`,
        OPENAI_API_KEY: 'sk-web-ui',
        ...(process.env.TEMPORAL_BIN && { TEMPORAL_BIN: process.env.TEMPORAL_BIN }),
      },
      { detached: true },
    );
    await waitFor(
      'the start banner',
      () => platform?.output().includes('Kasal is running') || undefined,
      300_000,
    ).catch((error: unknown) => {
      throw new Error(`npm start did not come up; it printed:\n${platform?.output()}`, {
        cause: error,
      });
    });
    http = new HttpClient(`http://127.0.0.1:${ports.api}`);

    // A crew runs; its workflow's input (the plan, with the task) is encrypted in history.
    const password = readFileSync(path.join(home, 'initial-admin-password'), 'utf8').trim();
    const login = await http.post('/api/v1/auth/login', {
      body: { email: 'admin@kasal.local', password },
    });
    const token: string = login.body.access_token;
    const started = await http.post('/api/v1/executions', {
      token,
      body: {
        crew: {
          name: 'Confidential',
          agents: [{ id: 'a', role: 'Analyst', goal: 'Analyse the merger plan' }],
          tasks: [{ id: 't', description: SECRET_TASK, expected_output: 'x', agent: 'a' }],
        },
      },
    });
    expect(started.status).toBe(202);
    workflowId = started.body.workflow_id;
    await waitFor('the execution to complete', async () => {
      const execution = await http.get(`/api/v1/executions/${started.body.execution_id}`, {
        token,
      });
      return execution.body.status === 'COMPLETED' || undefined;
    });
    const connection = await Connection.connect({ address: `127.0.0.1:${ports.temporal}` });
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    await connection.close();
    expect(historyText(history)).not.toContain(SECRET_TASK);
    startInput = codecJson(
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0],
    );
  });
  afterAll(async () => {
    if (platform && platform.child.exitCode === null) {
      process.kill(-(platform.child.pid as number), 'SIGINT');
      await platform.exited;
    }
    await llm?.close();
  });

  it("points the dev server's Web UI at the API's codec endpoint", async () => {
    const settings = await new HttpClient(`http://127.0.0.1:${ports.ui}`).get('/api/v1/settings');
    expect(settings.status).toBe(200);
    expect(settings.body.Codec).toMatchObject({
      Endpoint: `http://127.0.0.1:${ports.api}/api/v1/codec`,
      PassAccessToken: false,
    });
  });

  it("decodes for the Web UI in this machine's browser without a token, and for no one else", async () => {
    // What the browser sends for the UI's page (it calls the codec cross-origin).
    const preflight = await http.request('OPTIONS', '/api/v1/codec/decode', {
      headers: {
        origin: uiOrigin(),
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(uiOrigin());
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);

    const fromUi = await decode({ origin: uiOrigin(), 'x-namespace': 'default' });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(uiOrigin());
    expect(clearText(fromUi.body)).toContain(SECRET_TASK);
    // The same UI opened as 127.0.0.1 is the same page on this machine.
    const byAddress = await decode({ origin: `http://127.0.0.1:${ports.ui}` });
    expect(byAddress.status).toBe(200);
    expect(clearText(byAddress.body)).toContain(SECRET_TASK);

    // Another page open in the same browser, a client that sends no Origin, and a remote
    // caller behind a proxy on this machine (X-Forwarded-For) are refused.
    const otherPage = await decode({ origin: 'http://attacker.example' });
    expect(otherPage.status).toBe(401);
    expect(otherPage.body.error.code).toBeDefined();
    expect(otherPage.headers.get('access-control-allow-origin')).toBeNull();
    expect((await decode({ origin: `http://localhost:${ports.api}` })).status).toBe(401);
    expect((await decode({})).status).toBe(401);
    const remote = await decode({ origin: uiOrigin(), 'x-forwarded-for': '203.0.113.7' });
    expect(remote.status).toBe(401);
    expect(JSON.stringify(remote.body)).not.toContain(startInput.data);
  });

  it('shows the decoded workflow input in the Web UI page (headless Chromium)', async () => {
    let page: BrowserPage | undefined;
    try {
      page = await openHeadlessPage();
      await page.goto(
        `${uiOrigin()}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
      );
      const text = await waitFor(
        'the decoded input in the page',
        async () => {
          const shown = (await page?.text()) ?? '';
          return shown.includes(SECRET_TASK) ? shown : undefined;
        },
        60_000,
      );
      expect(text).toContain(SECRET_TASK);
      expect(text).not.toContain('Codec Server could not connect');
    } finally {
      await page?.close();
    }
  });
});
