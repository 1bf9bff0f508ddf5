/**
 * MCP servers per group: registered through the API (secrets sealed), tested, attached to
 * agents by name; real servers built with the SDK, one over stdio (started by the worker) and
 * one over streamable HTTP with a required header. Killing both mid-run and restarting the HTTP
 * one lets the run finish; a server that stays down fails the run clearly.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { McpServerEntity } from '../../shared/node/db/entities';
import type { ApiHarness } from '../support/api-harness';
import {
  startHttpMcpServer,
  startSseMcpServer,
  type HttpMcpServer,
} from '../support/mcp/http-server';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';
import { lastUserPrompt, type ScriptedLlmServer } from '../support/scripted-llm-server';

const HEADER_SECRET = 'mcp-header-secret-7731';
const ENV_SECRET = 'stdio-env-secret-5512';

describe('MCP servers', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let units: HttpMcpServer;
  const files = mkdtempSync(path.join(tmpdir(), 'kasal-mcp-'));
  const pidFile = path.join(files, 'facts.pid');
  const callsFile = path.join(files, 'facts.calls');
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    units = await startHttpMcpServer({ header: 'x-api-key', value: HEADER_SECRET });
    platform = await startPlatform();
    ({ llm, api } = platform);
  });
  afterAll(async () => {
    await platform?.close();
    await units?.stop();
  });

  const register = async (body: Record<string, unknown>, token = api.adminToken) =>
    api.http.post('/api/v1/mcp/servers', { token, body });
  const run = async (agentConfigs: Record<string, unknown>) => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: {
        crew: {
          name: 'MCP crew',
          agents: [{ id: 'a', role: 'Analyst', goal: 'Answer', tool_configs: agentConfigs }],
          tasks: [{ id: 't', description: 'Answer with facts', expected_output: 'x', agent: 'a' }],
        },
      },
    });
    expect(started.status).toBe(202);
    return started.body.execution_id as string;
  };
  const finished = (id: string, timeoutMs?: number) =>
    finishedExecution(api, id, { ...(timeoutMs !== undefined && { timeoutMs }) });
  const bothServers = {
    MCP_SERVERS: { servers: ['facts', { name: 'units', tools: ['km_to_miles'] }] },
  };

  it('registers servers with sealed secrets, tests them, and refuses bad ones', async () => {
    const facts = await register({
      name: 'facts',
      transport: 'stdio',
      command: process.execPath,
      args: [path.join(__dirname, '../support/mcp/stdio-server.ts')],
      env: { PID_FILE: pidFile, CALLS_FILE: callsFile, FACT_SECRET: ENV_SECRET },
      timeout_seconds: 20,
    });
    expect(facts.status).toBe(201);
    expect(facts.body).toMatchObject({
      transport: 'stdio',
      env_keys: ['CALLS_FILE', 'FACT_SECRET', 'PID_FILE'],
    });
    const unitsServer = await register({
      name: 'units',
      transport: 'streamable-http',
      url: units.url,
      headers: { 'x-api-key': HEADER_SECRET },
    });
    expect(unitsServer.status).toBe(201);
    expect(unitsServer.body.header_names).toEqual(['x-api-key']);
    ids.facts = facts.body.id;
    ids.units = unitsServer.body.id;

    const listed = await api.http.get('/api/v1/mcp/servers', { token: api.adminToken });
    expect(listed.body.map((server: { name: string }) => server.name)).toEqual(['facts', 'units']);
    expect(JSON.stringify(listed.body)).not.toContain(HEADER_SECRET);
    expect(JSON.stringify(listed.body)).not.toContain(ENV_SECRET);
    const row = await api.orm.em.fork().findOneOrFail(McpServerEntity, { id: ids.units });
    expect(row.headersEncrypted).not.toContain(HEADER_SECRET);

    const tested = await api.http.post(`/api/v1/mcp/servers/${ids.facts}/test`, {
      token: api.adminToken,
    });
    expect(tested.body).toMatchObject({ ok: true });
    expect(tested.body.tools.map((tool: { name: string }) => tool.name).sort()).toEqual([
      'list_topics',
      'lookup_fact',
    ]);
    const httpTested = await api.http.post(`/api/v1/mcp/servers/${ids.units}/test`, {
      token: api.adminToken,
    });
    expect(httpTested.body.tools).toHaveLength(2);

    // Without the header the server refuses, and the test says so.
    const noHeader = await register({
      name: 'units-bare',
      transport: 'streamable-http',
      url: units.url,
    });
    const refused = await api.http.post(`/api/v1/mcp/servers/${noHeader.body.id}/test`, {
      token: api.adminToken,
    });
    expect(refused.body.ok).toBe(false);
    expect(refused.body.error).toContain("MCP server 'units-bare'");

    expect(
      (await register({ name: 'facts', transport: 'streamable-http', url: units.url })).status,
    ).toBe(409);
    const noUrl = await register({ name: 'broken', transport: 'sse' });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error.message).toContain('url');
    // A stdio server runs a command on the workers: group admins who are not system admins may not.
    const member = await api.createUser('mcp-member@kasal.test');
    const stdio = await api.http.post('/api/v1/mcp/servers', {
      token: member.token,
      groupId: member.personalGroupId,
      body: { name: 'mine', transport: 'stdio', command: 'sh' },
    });
    expect(stdio.status).toBe(403);
    // Nor may they point a server into the operator's network.
    const internal = await api.http.post('/api/v1/mcp/servers', {
      token: member.token,
      groupId: member.personalGroupId,
      body: { name: 'internal', transport: 'streamable-http', url: units.url },
    });
    expect(internal.status).toBe(403);
    expect(internal.body.error.message).toContain('private or loopback address 127.0.0.1');
    // Another group does not see this group's servers.
    const other = await api.http.get(`/api/v1/mcp/servers/${ids.facts}`, {
      token: member.token,
      groupId: member.personalGroupId,
    });
    expect(other.status).toBe(404);
  });

  it('gives an agent tools of both servers, pinned when the run starts, each call an activity', async () => {
    llm.respondWith((request) =>
      request.body.messages.some((message) => message.role === 'tool')
        ? { content: `Answer from: ${lastToolResults(request.body.messages)}` }
        : {
            toolCalls: [
              { name: 'lookup_fact', arguments: { topic: 'temporal' } },
              { name: 'km_to_miles', arguments: { km: 42 } },
            ],
          },
    );
    const id = await run(bothServers);
    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    // Only the subset of the HTTP server's tools was offered.
    const offered = (llm.requests[0]?.body.tools ?? []).map((tool) => tool.function.name).sort();
    expect(offered).toEqual(['km_to_miles', 'list_topics', 'lookup_fact']);
    expect(execution.result.output).toContain('Temporal was founded in 2019');
    expect(execution.result.output).toContain(`secret: ${ENV_SECRET}`); // the env reached it
    expect(execution.result.output).toContain('42 km = 26.10 miles');
    expect(units.calls).toContain('km_to_miles 42');

    const logs = await api.http.get(`/api/v1/executions/${id}/logs?type=tool_usage`, {
      token: api.adminToken,
    });
    expect(
      logs.body.items
        .map((event: { data: { mcp_server: string } }) => event.data.mcp_server)
        .sort(),
    ).toEqual(['facts', 'units']);
  });

  it("takes tool_configs options for an MCP tool: its result as the task's answer", async () => {
    llm.respondWith(() => ({ toolCalls: [{ name: 'km_to_miles', arguments: { km: 5 } }] }));
    const before = llm.requests.length;
    const id = await run({
      MCP_SERVERS: { servers: [{ name: 'units', tools: ['km_to_miles'] }] },
      km_to_miles: { result_as_answer: true, timeout_seconds: 15 },
    });
    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toBe('5 km = 3.11 miles');
    expect(llm.requests.length - before).toBe(1); // the agent did not get to answer itself

    // Options for a tool no attached server offers are not silently ignored.
    const misnamed = await finished(
      await run({ MCP_SERVERS: { servers: ['units'] }, km_to_furlongs: { cache: true } }),
    );
    expect(misnamed.status).toBe('FAILED');
    expect(misnamed.error).toContain(
      "sets tool_configs for 'km_to_furlongs', which none of its MCP servers offers",
    );
  });

  it('survives both servers going away mid-run: the stdio one is started again, the HTTP one restarts', async () => {
    const pidBefore = readFileSync(pidFile, 'utf8');
    const sessionsBefore = units.sessions;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    llm.respondWith(async (request) => {
      if (request.body.messages.some((message) => message.role === 'tool')) {
        return { content: `Recovered: ${lastToolResults(request.body.messages)}` };
      }
      await held;
      return {
        toolCalls: [
          { name: 'lookup_fact', arguments: { topic: 'kasal' } },
          { name: 'km_to_miles', arguments: { km: 10 } },
        ],
      };
    });
    const id = await run(bothServers);
    await waitFor(
      'the first LLM call',
      () =>
        llm.requests.some((request) => lastUserPrompt(request).includes('Answer with facts')) ||
        undefined,
    );
    process.kill(Number(pidBefore), 'SIGKILL');
    await units.stop();
    release();
    // The calls fail and retry while the HTTP server is down; it comes back a moment later.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await units.start();

    const execution = await finished(id);
    expect(execution.status).toBe('COMPLETED');
    expect(execution.result.output).toContain('Kasal runs crews');
    expect(execution.result.output).toContain('10 km = 6.21 miles');
    await waitFor('the new stdio server', () => existsSync(pidFile) || undefined);
    expect(readFileSync(pidFile, 'utf8')).not.toBe(pidBefore);
    expect(units.sessions).toBeGreaterThan(sessionsBefore);
  });

  it('speaks the older HTTP+SSE transport too, with its headers on every request', async () => {
    const sse = await startSseMcpServer({ header: 'x-api-key', value: HEADER_SECRET });
    try {
      const created = await register({
        name: 'units-sse',
        transport: 'sse',
        url: sse.url,
        headers: { 'x-api-key': HEADER_SECRET },
      });
      expect(created.status).toBe(201);
      const tested = await api.http.post(`/api/v1/mcp/servers/${created.body.id}/test`, {
        token: api.adminToken,
      });
      expect(tested.body).toMatchObject({ ok: true });
      llm.respondWith((request) =>
        request.body.messages.some((message) => message.role === 'tool')
          ? { content: `Answer from: ${lastToolResults(request.body.messages)}` }
          : { toolCalls: [{ name: 'celsius_to_fahrenheit', arguments: { celsius: 100 } }] },
      );
      const execution = await finished(await run({ MCP_SERVERS: { servers: ['units-sse'] } }));
      expect(execution.status).toBe('COMPLETED');
      expect(execution.result.output).toContain('212 °F');
      expect(sse.calls).toEqual(['celsius_to_fahrenheit 100']);
    } finally {
      await sse.close();
    }
  });

  it('fails the run clearly when a server stays down, after retrying', async () => {
    await register({ name: 'ghost', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp' });
    const id = await run({ MCP_SERVERS: { servers: ['ghost'] } });
    const execution = await finished(id, 90_000);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toContain("MCP server 'ghost' is unreachable");
  });

  it('fails at once, without retrying, when a server refuses the credentials', async () => {
    const id = await run({ MCP_SERVERS: { servers: ['units-bare'] } });
    const execution = await finished(id);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toContain("MCP server 'units-bare' refused the request (HTTP 401)");
  });

  it('refuses unknown servers and unknown tools of a server', async () => {
    const unknown = await api.http.post('/api/v1/agents', {
      token: api.adminToken,
      body: { role: 'R', goal: 'G', tool_configs: { MCP_SERVERS: { servers: ['nowhere'] } } },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("unknown MCP server 'nowhere'");

    const id = await run({ MCP_SERVERS: { servers: [{ name: 'units', tools: ['teleport'] }] } });
    const execution = await finished(id);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toContain("MCP server 'units' has no tool 'teleport'");
  });
});

/** The tool results the agent received, in order. */
function lastToolResults(messages: { role: string; content?: unknown }[]): string {
  return messages
    .filter((message) => message.role === 'tool')
    .map((message) => String(message.content))
    .join(' | ');
}
