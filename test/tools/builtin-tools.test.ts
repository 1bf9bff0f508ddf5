/**
 * The tool catalogue and a group's tool settings, end to end: secrets sealed and never shown,
 * unknown or disabled tools refused at save time and failing clearly at run time, and the
 * CrewAI options (result_as_answer, per-tool timeout, cache) on real runs. Web search goes to
 * a local server speaking Serper's API; the SQL tool queries the real Postgres.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GroupToolEntity } from '../../shared/node/db/entities';
import type { ApiHarness } from '../support/api-harness';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';
import {
  lastUserPrompt,
  type RecordedRequest,
  type ScriptedLlmServer,
  type ScriptedReply,
} from '../support/scripted-llm-server';

const SERPER_KEY = 'serper-group-secret-9931';

interface SerperRequest {
  path: string;
  key: string | undefined;
  body: { q: string; num: number };
}

/** Answers like Serper's `/search`; `delayMs` makes it slow. */
async function startSerper(): Promise<{
  url: string;
  requests: SerperRequest[];
  delayMs: number;
  close(): Promise<void>;
}> {
  const state = { url: '', requests: [] as SerperRequest[], delayMs: 0, close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      // A search POSTs its query; anything else (fetch_url's GET) is answered the same way.
      const body = (text ? JSON.parse(text) : { q: req.url, num: 0 }) as SerperRequest['body'];
      state.requests.push({ path: req.url ?? '', key: req.headers['x-api-key'] as string, body });
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            organic: [
              {
                title: `Result about ${body.q}`,
                link: 'https://example.com/a',
                snippet: 'Temporal makes code durable.',
                position: 1,
              },
            ],
          }),
        );
      }, state.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

describe('built-in tools and group tool settings', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let serper: Awaited<ReturnType<typeof startSerper>>;

  beforeAll(async () => {
    serper = await startSerper();
    platform = await startPlatform();
    ({ llm, api } = platform);
  });
  afterAll(async () => {
    await platform?.close();
    await serper?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
    serper.requests.length = 0;
    serper.delayMs = 0;
  });

  const setTool = (name: string, body: Record<string, unknown>, token = api.adminToken) =>
    api.http.put(`/api/v1/group-tools/${name}`, { token, body });
  const start = async (agent: Record<string, unknown>, task: Record<string, unknown> = {}) => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'Tool crew',
          agents: [{ id: 'a', role: 'Researcher', goal: 'Research', ...agent }],
          tasks: [
            {
              id: 't',
              description: 'Research Temporal',
              expected_output: 'x',
              agent: 'a',
              ...task,
            },
          ],
        },
      },
    });
    return started;
  };
  const finished = (id: string) => finishedExecution(api, id);
  /** The agent calls `calls` in its first step, then answers with what the tools returned. */
  const agentUses = (...calls: { name: string; arguments: Record<string, unknown> }[]) =>
    llm.respondWith((request: RecordedRequest): ScriptedReply => {
      const results = request.body.messages.filter((message) => message.role === 'tool');
      return results.length > 0
        ? { content: `Final: ${results.map((message) => String(message.content)).join(' | ')}` }
        : { toolCalls: calls };
    });

  it('lists the catalogue with argument and settings schemas', async () => {
    const catalogue = await api.http.get('/api/v1/tools', { token: api.adminToken });
    expect(catalogue.status).toBe(200);
    expect(catalogue.body.map((tool: { name: string }) => tool.name)).toEqual([
      'fetch_url',
      'web_search_serper',
      'web_search_perplexity',
      'read_file',
      'list_directory',
      'sql_query',
    ]);
    const byAlias = await api.http.get('/api/v1/tools/SerperDevTool', { token: api.adminToken });
    expect(byAlias.body).toMatchObject({
      name: 'web_search_serper',
      enabled: true,
      parameters: { type: 'object', required: ['query'] },
      secret_settings: ['api_key'],
      env: { api_key: 'SERPER_API_KEY' },
    });
    expect(Object.keys(byAlias.body.config_schema.properties)).toEqual(
      expect.arrayContaining([
        'api_key',
        'base_url',
        'result_as_answer',
        'timeout_seconds',
        'cache',
      ]),
    );
    expect((await api.http.get('/api/v1/tools/teleport', { token: api.adminToken })).status).toBe(
      404,
    );
    expect((await api.http.get('/api/v1/tools')).status).toBe(401);
  });

  it('keeps secret settings sealed and never returns them', async () => {
    const saved = await setTool('web_search_serper', {
      config: { api_key: SERPER_KEY, base_url: serper.url, n_results: 3 },
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual({
      name: 'web_search_serper',
      enabled: true,
      config: { base_url: serper.url, n_results: 3 },
      secrets_set: ['api_key'],
    });
    const listed = await api.http.get('/api/v1/group-tools', { token: api.adminToken });
    expect(JSON.stringify(listed.body)).not.toContain(SERPER_KEY);
    const row = await api.orm.em
      .fork()
      .findOneOrFail(GroupToolEntity, { toolName: 'web_search_serper' });
    expect(row.secretsEncrypted).toMatch(/^v1\./);
    expect(row.secretsEncrypted).not.toContain(SERPER_KEY);

    // Changing other settings keeps the secret; null removes it (then put it back).
    const kept = await setTool('web_search_serper', {
      config: { base_url: serper.url, n_results: 3 },
    });
    expect(kept.body.secrets_set).toEqual(['api_key']);
    const bad = await setTool('web_search_serper', {
      config: { n_results: 'many', colour: 'red' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('config.n_results');
    expect(bad.body.error.message).toContain("unknown setting 'colour'");
    expect((await setTool('teleport', { enabled: false })).status).toBe(404);

    // Only group admins change settings.
    const member = await api.createUser('tools-member@kasal.test');
    const me = await api.http.get('/api/v1/auth/me', { token: api.adminToken });
    await api.addMember(me.body.current_group_id, member, 'editor');
    const asEditor = await api.http.put('/api/v1/group-tools/web_search_serper', {
      token: member.token,
      groupId: me.body.current_group_id,
      body: { enabled: false },
    });
    expect(asEditor.status).toBe(403);
    // In their own group they are admin, but the operator's network stays out of reach.
    for (const [tool, config] of [
      ['fetch_url', { allow_private_networks: true }],
      ['web_search_serper', { base_url: 'http://127.0.0.1:9' }],
      ['sql_query', { connection_url: 'postgres://u:p@localhost:5432/kasal' }],
    ] as const) {
      const refused = await api.http.put(`/api/v1/group-tools/${tool}`, {
        token: member.token,
        groupId: member.personalGroupId,
        body: { config },
      });
      expect(refused.status).toBe(403);
    }
  });

  it('refuses unknown and disabled tools and group-only settings when saving and starting', async () => {
    const unknown = await api.http.post('/api/v1/agents', {
      token: api.adminToken,
      body: { role: 'R', goal: 'G', tools: ['teleport'] },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("tools[0]: unknown tool 'teleport'");

    const secretInAgent = await api.http.post('/api/v1/agents', {
      token: api.adminToken,
      body: {
        role: 'R',
        goal: 'G',
        tools: ['SerperDevTool'],
        tool_configs: { SerperDevTool: { api_key: 'x' } },
      },
    });
    expect(secretInAgent.status).toBe(400);
    expect(secretInAgent.body.error.message).toContain('tool_configs.SerperDevTool.api_key');

    expect((await setTool('fetch_url', { enabled: false })).body.enabled).toBe(false);
    const disabled = await api.http.post('/api/v1/tasks', {
      token: api.adminToken,
      body: { description: 'D', expected_output: 'E', tools: ['fetch_url'] },
    });
    expect(disabled.status).toBe(400);
    expect(disabled.body.error.message).toContain("tool 'fetch_url' is disabled in this group");
    const run = await start({ tools: ['fetch_url'] });
    expect(run.status).toBe(400);
    expect(run.body.error.message).toContain('agents[0].tools[0]');
    await setTool('fetch_url', { enabled: true });
  });

  it('searches through Serper with the group key, answering identical calls from the cache', async () => {
    agentUses(
      { name: 'web_search_serper', arguments: { query: 'temporal' } },
      { name: 'web_search_serper', arguments: { query: 'temporal' } },
    );
    const started = await start({ tools: ['SerperDevTool'] });
    const execution = await finished(started.body.execution_id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toContain('Result about temporal');
    // Two identical calls, one request: the second came from the execution's cache.
    expect(serper.requests).toEqual([
      { path: '/search', key: SERPER_KEY, body: { q: 'temporal', num: 3 } },
    ]);
    expect(execution.tasks[0].tool_calls).toBe(1);

    // With `cache: false` in the agent's tool_configs both calls go out.
    const uncached = await start({
      tools: ['web_search_serper'],
      tool_configs: { web_search_serper: { cache: false } },
    });
    expect((await finished(uncached.body.execution_id)).status).toBe('COMPLETED');
    expect(serper.requests).toHaveLength(3);
  });

  it("makes the tool's result the task's answer with result_as_answer", async () => {
    agentUses({ name: 'web_search_serper', arguments: { query: 'durable' } });
    const started = await start(
      { tools: ['web_search_serper'] },
      { tool_configs: { web_search_serper: { result_as_answer: true } } },
    );
    const execution = await finished(started.body.execution_id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toContain('Result about durable');
    expect(execution.result.output).not.toContain('Final:');
    expect(llm.requests).toHaveLength(1);
  });

  it('gives a slow tool its own timeout; the agent sees the failure and goes on', async () => {
    serper.delayMs = 4000;
    agentUses({ name: 'web_search_serper', arguments: { query: 'slow' } });
    const started = await start({
      tools: ['web_search_serper'],
      tool_configs: { web_search_serper: { timeout_seconds: 1 } },
    });
    const execution = await finished(started.body.execution_id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toMatch(/Final: Error: .*(within \d+ ms|time|abort)/i);
  });

  it('lets fetch_url reach private addresses only when the group allows it', async () => {
    const page = `${serper.url}/page`;
    agentUses({ name: 'fetch_url', arguments: { url: page } });
    const refused = await finished((await start({ tools: ['fetch_url'] })).body.execution_id);
    expect(refused.result.output).toMatch(/Final: Error: .*(private|loopback)/i);
    expect(serper.requests).toHaveLength(0);

    await setTool('fetch_url', { config: { allow_private_networks: true } });
    const allowed = await finished((await start({ tools: ['fetch_url'] })).body.execution_id);
    expect(allowed.result.output).toContain('Result about');
    expect(serper.requests).toHaveLength(1);
    await setTool('fetch_url', { config: {} });
  });

  it('queries a configured database read-only with sql_query', async () => {
    await setTool('sql_query', {
      config: { connection_url: api.database.env.DATABASE_URL, max_rows: 2 },
    });
    agentUses({
      name: 'sql_query',
      arguments: { query: 'select email from users order by email' },
    });
    const started = await start({ tools: ['sql_query'] });
    const execution = await finished(started.body.execution_id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toContain('admin@kasal.test');
    expect(JSON.stringify(execution)).not.toContain(String(api.database.env.DATABASE_URL));
  });

  it('fails the run clearly when a tool lacks its key or is disabled mid-run', async () => {
    agentUses({ name: 'web_search_perplexity', arguments: { query: 'news' } });
    const noKey = await start({ tools: ['web_search_perplexity'] });
    const failed = await finished(noKey.body.execution_id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain("web_search_perplexity needs 'api_key'");
    expect(failed.error).toContain('PERPLEXITY_API_KEY');

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    llm.respondWith(async () => {
      await held;
      return { toolCalls: [{ name: 'web_search_serper', arguments: { query: 'x' } }] };
    });
    const running = await start({ tools: ['web_search_serper'] });
    await waitFor(
      'the first LLM call',
      () =>
        llm.requests.some((request) => lastUserPrompt(request).includes('Research Temporal')) ||
        undefined,
    );
    await setTool('web_search_serper', { enabled: false });
    release();
    const stopped = await finished(running.body.execution_id);
    expect(stopped.status).toBe('FAILED');
    expect(stopped.error).toContain("Tool 'web_search_serper' is disabled in this group");
    expect(serper.requests).toHaveLength(0);
    await setTool('web_search_serper', { enabled: true });
  });
});
