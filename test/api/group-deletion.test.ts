/**
 * Deleting a group deletes everything it owns: no row with its id is left in any table (read
 * from the database's own catalogue, so a table added later is covered too), its executions'
 * tasks go with them, its stored texts leave the object store and its schedules leave
 * Temporal. While one of its runs is unfinished the deletion is refused and nothing changes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { ExecutionBlobEntity } from '../../shared/node/db/entities';
import { temporalAddress, type ApiHarness } from '../support/api-harness';
import type { DatabaseType } from '../support/databases';
import { oneTaskCrew, step } from '../support/flow-fixtures';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';
import { startS3Server, type S3Server } from '../support/s3-server';

const LARGE = `${'Findings worth keeping. '.repeat(1000)}THE END`;

const query = <T>(api: ApiHarness, sql: string, params: unknown[] = []): Promise<T[]> =>
  api.orm.em.getConnection().execute(sql, params);

const count = async (api: ApiHarness, sql: string, params: unknown[]) =>
  Number((await query<{ n: number | string }>(api, sql, params))[0]?.n);

/** Every table with a group_id column, as the database itself lists them. */
async function groupOwnedTables(api: ApiHarness): Promise<string[]> {
  if (api.database.type === 'postgres') {
    const rows = await query<{ table_name: string }>(
      api,
      `select table_name from information_schema.columns
        where table_schema = current_schema() and column_name = 'group_id'`,
    );
    return rows.map((row) => row.table_name).sort();
  }
  const tables = await query<{ name: string }>(
    api,
    `select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`,
  );
  const owned: string[] = [];
  for (const { name } of tables) {
    const columns = await query<{ name: string }>(api, `pragma table_info("${name}")`);
    if (columns.some((column) => column.name === 'group_id')) owned.push(name);
  }
  return owned.sort();
}

async function rowsOf(api: ApiHarness, groupId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await groupOwnedTables(api)) {
    counts[table] = await count(api, `select count(*) as n from "${table}" where group_id = ?`, [
      groupId,
    ]);
  }
  return counts;
}

describe.each<DatabaseType>(['postgres', 'sqlite'])('deleting a group on %s', (database) => {
  let s3: S3Server;
  let platform: Platform;
  let temporal: Client;

  beforeAll(async () => {
    s3 = await startS3Server();
    const files = mkdtempSync(path.join(tmpdir(), 'kasal-group-deletion-'));
    writeFileSync(path.join(files, 'large.txt'), LARGE);
    platform = await startPlatform(
      {
        KASAL_TOOLS_FILE_ROOT: files,
        KASAL_BLOB_S3_BUCKET: 'kasal-blobs',
        KASAL_BLOB_S3_ENDPOINT: s3.url,
        KASAL_BLOB_S3_ACCESS_KEY_ID: 'test-key',
        KASAL_BLOB_S3_SECRET_ACCESS_KEY: 'test-secret',
        KASAL_BLOB_S3_MIN_BYTES: '10000',
      },
      database,
    );
    temporal = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await platform?.close();
    await s3?.close();
  });

  it('leaves no row, object or schedule of it behind', async () => {
    const { api, llm } = platform;
    const token = api.adminToken;
    const team = await api.http.post('/api/v1/groups', { token, body: { name: 'Doomed' } });
    const groupId: string = team.body.id;
    const post = async (route: string, body: unknown) => {
      const created = await api.http.post(`/api/v1${route}`, { token, groupId, body });
      expect([route, created.status]).toEqual([route, 201]);
      return created.body as { id: string };
    };

    // Something in every kind of thing a group owns.
    await post('/agents', { name: 'Analyst', role: 'Analyst', goal: 'Analyse' });
    await post('/tasks', { name: 'Study', description: 'Study it', expected_output: 'Notes' });
    const crew = await post('/crews', oneTaskCrew('Digest', 'Digest {topic}'));
    await post('/flows', { name: 'Pipeline', start: ['one'], steps: [step('one', 'First')] });
    await post('/models', {
      name: 'team-model',
      model: 'm',
      base_url: 'https://llm.example.test/v1',
      api_key: 'sk-sealed-model-key',
    });
    await post('/webhooks', {
      name: 'Hook',
      url: 'https://hooks.example.test/kasal',
      events: ['execution_terminated'],
    });
    await post('/mcp/servers', {
      name: 'facts',
      transport: 'streamable-http',
      url: 'https://mcp.example.test/mcp',
      headers: { authorization: 'Bearer sealed-mcp-token' },
    });
    const tool = await api.http.put('/api/v1/group-tools/web_search_serper', {
      token,
      groupId,
      body: { config: { api_key: 'sealed-serper-key' } },
    });
    expect(tool.status).toBe(200);
    const schedule = await post('/schedules', {
      name: 'Yearly',
      crew_id: crew.id,
      inputs: { topic: 'news' },
      cron: '0 0 1 1 *',
    });

    // A run that stored a large tool result in the object store, and one waiting for a person.
    llm.respondWith((request) => {
      const tools = request.body.messages.filter((message) => message.role === 'tool').length;
      if (request.body.tools?.length && tools === 0) {
        return { toolCalls: [{ name: 'read_file', arguments: { path: 'large.txt' } }] };
      }
      return { content: 'Done' };
    });
    const run = async (crewBody: Record<string, unknown>) =>
      (await api.http.post('/api/v1/executions', { token, groupId, body: { crew: crewBody } })).body
        .execution_id as string;
    const reader = await run({
      name: 'Reader',
      agents: [{ id: 'a', role: 'Reader', goal: 'Read', tools: ['read_file'] }],
      tasks: [{ id: 't', description: 'Read large.txt', expected_output: 'x', agent: 'a' }],
    });
    expect((await finishedExecution(api, reader, { groupId })).status).toBe('COMPLETED');
    const [blob] = await api.orm.em
      .fork()
      .find(ExecutionBlobEntity, { executionId: reader, objectKey: { $ne: null } });
    expect(s3.objects.get(`kasal-blobs/${blob!.objectKey}`)).toBe(LARGE);
    const reviewed = await run(oneTaskCrew('Reviewed', 'Write a slogan', { human_input: true }));
    const approvalId = await waitFor('the approval', async () => {
      const current = await api.http.get(`/api/v1/executions/${reviewed}`, { token, groupId });
      return current.body.status === 'WAITING_FOR_APPROVAL'
        ? (current.body.approvals[0]?.id as string | undefined)
        : undefined;
    });

    const before = await rowsOf(api, groupId);
    const owned = Object.keys(before).filter((table) => before[table]! > 0);
    expect(owned).toEqual(
      expect.arrayContaining([
        'agents',
        'approvals',
        'conversation_messages',
        'crews',
        'execution_blobs',
        'execution_events',
        'executions',
        'flows',
        'group_memberships',
        'group_tools',
        'mcp_servers',
        'model_configs',
        'schedules',
        'tasks',
        'webhooks',
      ]),
    );

    // Not while a run is unfinished: its workflow would go on writing into the group.
    const refused = await api.http.delete(`/api/v1/groups/${groupId}`, { token });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'conflict',
      message: 'The group has 1 executions that have not finished: stop them before deleting it',
      details: { unfinished_executions: 1 },
    });
    expect(await rowsOf(api, groupId)).toEqual(before);

    const approved = await api.http.post(`/api/v1/hitl/approvals/${approvalId}/approve`, {
      token,
      body: {},
    });
    expect(approved.status).toBe(200);
    expect((await finishedExecution(api, reviewed, { groupId })).status).toBe('COMPLETED');
    const deleted = await api.http.delete(`/api/v1/groups/${groupId}`, { token });
    expect(deleted.status).toBe(204);

    const after = await rowsOf(api, groupId);
    expect(Object.values(after).every((count) => count === 0)).toBe(true);
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(await count(api, 'select count(*) as n from "groups" where id = ?', [groupId])).toBe(0);
    const tasks = 'select count(*) as n from execution_tasks where execution_id in (?, ?)';
    expect(await count(api, tasks, [reader, reviewed])).toBe(0);
    expect([...s3.objects.keys()].filter((key) => key.includes(reader))).toEqual([]);
    expect(s3.requests.at(-1)).toEqual({ method: 'POST', path: 'kasal-blobs/' }); // DeleteObjects
    await expect(
      temporal.schedule.getHandle(`kasal-schedule-${schedule.id}`).describe(),
    ).rejects.toBeInstanceOf(ScheduleNotFoundError);
    // The rest of the platform is untouched.
    expect((await api.http.get('/api/v1/agents', { token })).status).toBe(200);
  });
});
