/**
 * Kasal as an MCP server: the real MCP SDK client talks streamable HTTP to the real API, whose
 * crews run on a real worker against the scripted LLM server.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import type { ApiHarness } from '../support/api-harness';
import { startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';
import { lastUserPrompt, type ScriptedLlmServer } from '../support/scripted-llm-server';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const researchCrew = {
  name: 'Research crew',
  description: 'Researches a topic and writes it up',
  inputs: { style: 'plain' },
  agents: [{ id: 'researcher', role: 'Researcher', goal: 'Find out about {topic}' }],
  tasks: [
    {
      id: 'research',
      name: 'Research',
      description: 'Research {topic} in a {style} style',
      expected_output: 'A short report',
      agent: 'researcher',
    },
  ],
};

describe('Kasal as an MCP server', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let crewId: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    platform = await startPlatform({
      OPENAI_API_KEY: 'sk-test',
    });
    ({ llm, api } = platform);
    const created = await api.http.post('/api/v1/crews', {
      token: api.adminToken,
      body: researchCrew,
    });
    expect(created.status).toBe(201);
    crewId = created.body.id;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await platform?.close();
  });
  beforeEach(() => {
    llm.requests.length = 0;
  });

  const mcpUrl = () => new URL(`${api.http.baseUrl}/api/v1/mcp`);

  /** A connected SDK client; listing the tools first makes it check results against them. */
  const connect = async (headers: Record<string, string>) => {
    const client = new Client({ name: 'kasal-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl(), { requestInit: { headers } }));
    clients.push(client);
    await client.listTools();
    return client;
  };
  const bearer = (token: string, groupId?: string): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    ...(groupId && { 'x-group-id': groupId }),
  });
  const call = async (
    client: Client,
    name: string,
    args: Record<string, unknown>,
    onprogress?: (progress: Progress) => void,
  ) =>
    (await client.callTool(
      { name, arguments: args },
      undefined,
      onprogress && { onprogress },
    )) as CallToolResult;
  const text = (result: CallToolResult) =>
    result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

  it('offers three tools and lists the group’s crews with the inputs they expect', async () => {
    const client = await connect(bearer(api.adminToken));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'get_execution',
      'list_crews',
      'run_crew',
    ]);
    const run = tools.find((tool) => tool.name === 'run_crew')!;
    expect(run.description).toContain('get_execution');
    expect(Object.keys(run.inputSchema.properties ?? {}).sort()).toEqual([
      'crew_id',
      'crew_name',
      'inputs',
      'timeout_seconds',
      'wait',
    ]);

    const listed = await call(client, 'list_crews', { query: 'research' });
    expect(listed.isError).toBeFalsy();
    expect(listed.structuredContent).toMatchObject({
      total: 1,
      crews: [
        {
          id: crewId,
          name: 'Research crew',
          description: 'Researches a topic and writes it up',
          process: 'sequential',
          agents: [{ role: 'Researcher', goal: 'Find out about {topic}' }],
          tasks: [{ name: 'Research', agent: 'Researcher' }],
          inputs: [
            { name: 'topic', required: true },
            { name: 'style', required: false, default: 'plain' },
          ],
        },
      ],
    });
    expect(text(listed)).toContain(crewId);
    const none = await call(client, 'list_crews', { query: 'no such crew' });
    expect(none.structuredContent).toEqual({ crews: [], total: 0 });
  });

  it('runs a crew by name and waits for its answer', async () => {
    llm.enqueue({ content: 'Solar power is getting cheaper.' });
    const client = await connect(bearer(api.adminToken));
    const progress: Progress[] = [];
    const result = await call(
      client,
      'run_crew',
      { crew_name: 'research CREW', inputs: { topic: 'solar power' } },
      (update) => progress.push(update),
    );
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as Record<string, unknown>;
    expect(structured).toMatchObject({
      status: 'COMPLETED',
      finished: true,
      kind: 'crew',
      name: 'Research crew',
      result: 'Solar power is getting cheaper.',
      error: null,
      tasks: [{ key: 'research', status: 'COMPLETED' }],
    });
    expect(text(result)).toContain('Solar power is getting cheaper.');
    // The first progress notification already names the execution.
    expect(progress[0]?.message).toContain(structured.execution_id as string);
    expect(lastUserPrompt(llm.requests[0]!)).toContain('Research solar power in a plain style');

    const execution = await api.http.get(`/api/v1/executions/${String(structured.execution_id)}`, {
      token: api.adminToken,
    });
    expect(execution.body).toMatchObject({ trigger: 'mcp', crew_id: crewId, status: 'COMPLETED' });
  });

  it('starts a run without waiting, and get_execution fetches its result', async () => {
    llm.enqueue({ content: 'Later answer' });
    const client = await connect(bearer(api.adminToken));
    const started = await call(client, 'run_crew', {
      crew_id: crewId,
      inputs: { topic: 'tides' },
      wait: false,
    });
    expect(started.isError).toBeFalsy();
    const { execution_id: id, finished } = started.structuredContent as {
      execution_id: string;
      finished: boolean;
    };
    expect(finished).toBe(false);
    expect(text(started)).toContain('get_execution');

    const done = await waitFor('the execution to finish', async () => {
      const fetched = await call(client, 'get_execution', { execution_id: id });
      expect(fetched.isError).toBeFalsy();
      const structured = fetched.structuredContent as { finished: boolean };
      return structured.finished ? fetched : undefined;
    });
    expect(done.structuredContent).toMatchObject({
      execution_id: id,
      status: 'COMPLETED',
      result: 'Later answer',
    });
  });

  it('returns a run that outlasts timeout_seconds as still running', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    llm.respondWith(async () => {
      await held;
      return { content: 'Slow answer' };
    });
    const client = await connect(bearer(api.adminToken));
    const waited = await call(client, 'run_crew', {
      crew_id: crewId,
      inputs: { topic: 'patience' },
      timeout_seconds: 1,
    });
    expect(waited.isError).toBeFalsy();
    expect(waited.structuredContent).toMatchObject({ status: 'RUNNING', finished: false });
    expect(text(waited)).toContain('call get_execution');
    release();
    const id = (waited.structuredContent as { execution_id: string }).execution_id;
    const done = await waitFor('the slow execution', async () => {
      const fetched = await call(client, 'get_execution', { execution_id: id });
      return (fetched.structuredContent as { finished: boolean }).finished ? fetched : undefined;
    });
    expect(done.structuredContent).toMatchObject({ status: 'COMPLETED', result: 'Slow answer' });
  });

  it('reports what a tool cannot do as an error result', async () => {
    const client = await connect(bearer(api.adminToken));
    const before = (await api.http.get('/api/v1/executions', { token: api.adminToken })).body.total;

    const unknownId = await call(client, 'run_crew', { crew_id: UNKNOWN_ID });
    expect(unknownId.isError).toBe(true);
    expect(text(unknownId)).toContain(`Crew '${UNKNOWN_ID}' not found in this group`);
    const unknownName = await call(client, 'run_crew', { crew_name: 'Nobody' });
    expect(unknownName.isError).toBe(true);
    expect(text(unknownName)).toContain("No crew named 'Nobody'");
    const neither = await call(client, 'run_crew', { inputs: {} });
    expect(neither.isError).toBe(true);
    expect(text(neither)).toContain('exactly one of crew_id or crew_name');
    const missingInput = await call(client, 'run_crew', { crew_id: crewId });
    expect(missingInput.isError).toBe(true);
    expect(text(missingInput)).toContain("missing input 'topic'");
    const tooLong = await call(client, 'run_crew', { crew_id: crewId, timeout_seconds: 5000 });
    expect(tooLong.isError).toBe(true);
    expect(text(tooLong)).toContain('timeout_seconds');
    const noExecution = await call(client, 'get_execution', { execution_id: UNKNOWN_ID });
    expect(noExecution.isError).toBe(true);
    expect(text(noExecution)).toContain('not found');
    // Nothing was started by any of these.
    expect((await api.http.get('/api/v1/executions', { token: api.adminToken })).body.total).toBe(
      before,
    );

    llm.enqueue({ status: 401, error: { message: 'Incorrect API key provided' } });
    const failed = await call(client, 'run_crew', { crew_id: crewId, inputs: { topic: 'x' } });
    expect(failed.isError).toBe(true);
    expect(failed.structuredContent).toMatchObject({ status: 'FAILED', finished: true });
    expect(text(failed)).toContain('HTTP 401 (Unauthorized)');
    expect(text(failed)).not.toContain('Incorrect API key'); // the endpoint's answer is not shown
  });

  it('answers 401 without credentials, and 405 to GET and DELETE', async () => {
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    };
    const anonymous = await api.http.post('/api/v1/mcp', {
      body: initialize,
      headers: { accept: 'application/json, text/event-stream' },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('unauthorized');
    const badToken = await api.http.post('/api/v1/mcp', { token: 'not-a-token', body: initialize });
    expect(badToken.status).toBe(401);
    // The SDK client's error carries the HTTP status as its code.
    await expect(connect({})).rejects.toMatchObject({ code: 401 });

    for (const method of ['GET', 'DELETE']) {
      const response = await api.http.request(method, '/api/v1/mcp', { token: api.adminToken });
      expect({ method, status: response.status }).toEqual({ method, status: 405 });
    }
  });

  it('keeps other groups out and checks the role to run', async () => {
    const bob = await api.createUser('bob-mcp@kasal.test');
    const adminMe = await api.http.get('/api/v1/auth/me', { token: api.adminToken });
    const adminGroup: string = adminMe.body.current_group_id;
    llm.enqueue({ content: 'Admin only' });
    const adminClient = await connect(bearer(api.adminToken));
    const adminRun = await call(adminClient, 'run_crew', {
      crew_id: crewId,
      inputs: { topic: 'secrets' },
      wait: false,
    });
    const adminExecution = (adminRun.structuredContent as { execution_id: string }).execution_id;

    // In his own group, Bob sees nothing of the admin's group and can run none of it.
    const client = await connect(bearer(bob.token));
    expect((await call(client, 'list_crews', {})).structuredContent).toEqual({
      crews: [],
      total: 0,
    });
    const run = await call(client, 'run_crew', { crew_id: crewId, inputs: { topic: 'x' } });
    expect(run.isError).toBe(true);
    expect(text(run)).toContain('not found in this group');
    const byName = await call(client, 'run_crew', { crew_name: 'Research crew' });
    expect(byName.isError).toBe(true);
    const peek = await call(client, 'get_execution', { execution_id: adminExecution });
    expect(peek.isError).toBe(true);
    expect(text(peek)).toContain('not found');
    // Naming a group he is not in is refused before any MCP message is handled.
    await expect(connect(bearer(bob.token, adminGroup))).rejects.toMatchObject({
      code: 403,
      message: expect.stringContaining('not a member'),
    });

    // A viewer of a shared group reads its crews but may not run them.
    const team = await api.http.post('/api/v1/groups', {
      token: api.adminToken,
      body: { name: 'MCP team' },
    });
    const teamId: string = team.body.id;
    await api.addMember(teamId, bob, 'viewer');
    const teamCrew = await api.http.post('/api/v1/crews', {
      token: api.adminToken,
      groupId: teamId,
      body: { ...researchCrew, name: 'Team crew' },
    });
    expect(teamCrew.status).toBe(201);
    const viewer = await connect(bearer(bob.token, teamId));
    const listed = await call(viewer, 'list_crews', {});
    expect(listed.structuredContent).toMatchObject({ total: 1, crews: [{ name: 'Team crew' }] });
    const refused = await call(viewer, 'run_crew', {
      crew_name: 'Team crew',
      inputs: { topic: 'x' },
    });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toContain("role 'viewer'");
  });

  it('accepts an API key, as a bearer token or X-API-Key', async () => {
    const created = await api.http.post('/api/v1/auth/api-keys', {
      token: api.adminToken,
      body: { name: 'ide' },
    });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    const ways: Record<string, string>[] = [
      { authorization: `Bearer ${key}` },
      { 'x-api-key': key },
    ];
    for (const headers of ways) {
      const client = await connect(headers);
      const listed = await call(client, 'list_crews', { query: 'Research' });
      expect(listed.structuredContent).toMatchObject({ total: 1, crews: [{ id: crewId }] });
    }
  });
});
