/**
 * Input that no database stores or Temporal accepts is refused up front, naming what is wrong,
 * on Postgres and on SQLite: NUL characters and unpaired surrogates (400), JSON nested too deep
 * (400), runs too large to start (413, nothing written), union errors naming the deepest field,
 * credentials checked before the body is read, and Node's own refusals in the error shape.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { Connection } from '@temporalio/client';
import { createScheduleActivities } from '../../activities/schedules.activities';
import { ExecutionEntity, ScheduleEntity } from '../../shared/node/db/entities';
import { createLogger } from '../../shared/node/logger';
import { ensureSearchAttributes } from '../../shared/node/temporal/connection';
import { startApi, type ApiHarness } from '../support/api-harness';
import { oneTaskCrew } from '../support/flow-fixtures';
import { startTemporalDevServer, type DevServer } from '../support/temporal-dev-server';
import { uniqueTaskQueue } from '../support/worker-harness';

type ErrorBody = {
  error: {
    code: string;
    message: string;
    details?: { fields?: { path: string; message: string }[] };
  };
};

const fieldsOf = (body: ErrorBody) => body.error.details?.fields ?? [];
const pathsOf = (body: ErrorBody) => fieldsOf(body).map((field) => field.path);

/** `depth` arrays inside each other, written out (JSON.stringify would recurse). */
const nestedJson = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** A crew whose three tasks all use `{topic}`. */
const threeTaskCrew = (inputs: Record<string, unknown> = {}) => ({
  name: 'Three times',
  inputs,
  agents: [{ id: 'writer', role: 'Writer', goal: 'Write' }],
  tasks: ['research', 'draft', 'edit'].map((id) => ({
    id,
    description: `${id} about {topic}`,
    expected_output: 'Text',
    agent: 'writer',
  })),
});

describe.each(['postgres', 'sqlite'] as const)('input hygiene on %s', (databaseType) => {
  let api: ApiHarness;
  let token: string;

  beforeAll(async () => {
    // A queue no worker polls: runs that do start stay PENDING, which is all these tests need.
    api = await startApi(databaseType, { TEMPORAL_TASK_QUEUE: uniqueTaskQueue() });
    token = api.adminToken;
  });
  afterAll(() => api?.close());

  const post = (path: string, body: unknown) => api.http.post(path, { token, body });
  const postRaw = (path: string, rawBody: string) =>
    api.http.post(path, { token, rawBody, headers: { 'content-type': 'application/json' } });
  const countOf = async (path: string) => {
    const listed = await api.http.get(path, { token });
    expect(listed.status).toBe(200);
    return listed.body.total as number;
  };
  const saveCrew = async (crew: Record<string, unknown>) => {
    const saved = await post('/api/v1/crews', crew);
    expect(saved.status).toBe(201);
    return saved.body.id as string;
  };

  describe('NUL characters and unpaired surrogates', () => {
    it('refuses a NUL in any string of a body with a 400 naming the field, and stores nothing', async () => {
      const agents = await countOf('/api/v1/agents');
      const agent = await post('/api/v1/agents', { name: 'a\u0000b', role: 'R', goal: 'G' });
      expect(agent.status).toBe(400);
      expect(agent.body.error.code).toBe('validation_error');
      expect(fieldsOf(agent.body)).toEqual([
        { path: 'name', message: 'contains a NUL character (\\u0000), which cannot be stored' },
      ]);
      expect(agent.body.error.message).toBe(
        'Invalid agent: name: contains a NUL character (\\u0000), which cannot be stored',
      );
      expect(await countOf('/api/v1/agents')).toBe(agents);

      const cases: [string, Record<string, unknown>, string][] = [
        ['/api/v1/groups', { name: 'team\u0000' }, 'name'],
        ['/api/v1/crews', { ...oneTaskCrew('Crew', 'Work'), name: 'C\u0000rew' }, 'name'],
        ['/api/v1/models', { name: 'm\u0000', model: 'gpt-4o-mini' }, 'name'],
        [
          '/api/v1/executions',
          { crew: oneTaskCrew('Crew', 'Work on {topic}'), inputs: { topic: 'x\u0000y' } },
          'inputs.topic',
        ],
        [
          '/api/v1/crews',
          { ...oneTaskCrew('Crew', 'Work'), inputs: { 'to\u0000pic': 'x' } },
          'inputs',
        ],
      ];
      for (const [path, body, field] of cases) {
        const response = await post(path, body);
        expect({ path, status: response.status, fields: pathsOf(response.body) }).toEqual({
          path,
          status: 400,
          fields: [field],
        });
        expect(fieldsOf(response.body)[0]?.message).toContain('NUL character');
      }
      expect(await countOf('/api/v1/crews')).toBe(0);
      expect((await api.http.get('/api/v1/models', { token })).body).toEqual([]);
      expect(await countOf('/api/v1/executions')).toBe(0);
    });

    it('refuses a NUL in a schedule name and in a query parameter', async () => {
      const crewId = await saveCrew(oneTaskCrew('Digest', 'Digest {topic}'));
      const schedule = await post('/api/v1/schedules', {
        name: 'night\u0000ly',
        crew_id: crewId,
        inputs: { topic: 'news' },
        cron: '0 0 1 1 *',
      });
      expect(schedule.status).toBe(400);
      expect(pathsOf(schedule.body)).toEqual(['name']);
      expect(await countOf('/api/v1/schedules')).toBe(0);

      const search = await api.http.get('/api/v1/agents?q=%00', { token });
      expect(search.status).toBe(400);
      expect(search.body.error.message).toBe(
        'Invalid query: q: contains a NUL character (\\u0000), which cannot be stored',
      );
    });

    it('refuses an unpaired surrogate with a 400 naming the field', async () => {
      const agents = await countOf('/api/v1/agents');
      // Written out: "\ud800" in JSON text parses to a lone surrogate.
      const response = await postRaw(
        '/api/v1/agents',
        '{"name":"ok","role":"R","goal":"half a pair: \\ud800 here"}',
      );
      expect(response.status).toBe(400);
      expect(fieldsOf(response.body)).toEqual([
        {
          path: 'goal',
          message: 'contains an unpaired UTF-16 surrogate (\\ud800), which is not valid Unicode',
        },
      ]);
      const low = await postRaw(
        '/api/v1/executions',
        `{"crew":${JSON.stringify(oneTaskCrew('Crew', 'On {topic}'))},"inputs":{"topic":"\\udc00"}}`,
      );
      expect(low.status).toBe(400);
      expect(pathsOf(low.body)).toEqual(['inputs.topic']);
      expect(await countOf('/api/v1/agents')).toBe(agents);
      expect(await countOf('/api/v1/executions')).toBe(0);
    });
  });

  describe('JSON nested too deep', () => {
    it('refuses inputs 10,000 deep on executions, crews, flows and schedules with a 400', async () => {
      const crewId = await saveCrew(oneTaskCrew('Deep', 'Work on {topic}'));
      const deep = nestedJson(10_000);
      const cases: [string, string][] = [
        ['/api/v1/executions', `{"crew_id":"${crewId}","inputs":{"topic":${deep}}}`],
        [
          '/api/v1/crews',
          JSON.stringify({ ...oneTaskCrew('Deep2', 'On {topic}'), inputs: { topic: 'PLACE' } }),
        ],
        [
          '/api/v1/flows',
          JSON.stringify({
            name: 'Deep flow',
            steps: [{ id: 'one', crew_id: crewId }],
            state: { initial: { topic: 'PLACE' } },
          }),
        ],
        [
          '/api/v1/schedules',
          JSON.stringify({
            name: 'Deep schedule',
            crew_id: crewId,
            inputs: { topic: 'PLACE' },
            cron: '0 0 1 1 *',
          }),
        ],
      ];
      const before = {
        crews: await countOf('/api/v1/crews'),
        flows: await countOf('/api/v1/flows'),
      };
      for (const [path, body] of cases) {
        const response = await postRaw(path, body.replace('"PLACE"', deep));
        expect({ path, status: response.status }).toEqual({ path, status: 400 });
        const [field, ...rest] = fieldsOf(response.body);
        expect(rest).toEqual([]);
        expect(field?.message).toBe(
          'nests objects and arrays deeper than 64 levels (KASAL_MAX_JSON_DEPTH)',
        );
        const where = path === '/api/v1/flows' ? 'state.initial.topic' : 'inputs.topic';
        expect(field?.path).toBe(`${where}${'[0]'.repeat(8 - where.split('.').length)}…`);
      }
      expect(await countOf('/api/v1/executions')).toBe(0);
      expect(await countOf('/api/v1/schedules')).toBe(0);
      expect(await countOf('/api/v1/crews')).toBe(before.crews);
      expect(await countOf('/api/v1/flows')).toBe(before.flows);

      // Nesting within the limit is accepted as before.
      const fine = await postRaw(
        '/api/v1/crews',
        JSON.stringify({
          ...oneTaskCrew('Deep3', 'On {topic}'),
          inputs: { topic: 'PLACE' },
        }).replace('"PLACE"', nestedJson(50)),
      );
      expect(fine.status).toBe(201);
    });
  });

  describe('runs too large to start', () => {
    it('refuses a start whose plan with its inputs is too large with a 413, writing no execution', async () => {
      const executions = await countOf('/api/v1/executions');
      const response = await post('/api/v1/executions', {
        crew: threeTaskCrew(),
        inputs: { topic: 'x'.repeat(1_000_000) },
      });
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
      expect(response.body.error.message).toMatch(
        /^The run is too large to start: its compiled plan with its inputs comes to 4,00\d,\d{3} bytes, over the limit of 1,572,864 bytes \(KASAL_MAX_START_PAYLOAD_BYTES\); the largest parts: /,
      );
      const largest = response.body.error.details.largest as { path: string; bytes: number }[];
      expect(largest.map((part) => part.path).sort()).toEqual([
        'inputs.topic',
        'tasks[0].description',
        'tasks[1].description',
        'tasks[2].description',
      ]);
      expect(response.body.error.details).toMatchObject({ limit_bytes: 1_572_864 });
      expect(await countOf('/api/v1/executions')).toBe(executions);
      const rows = await api.orm.em.fork().count(ExecutionEntity, {});
      expect(rows).toBe(executions);
    });

    it('refuses to save a crew whose own default input makes its runs too large', async () => {
      const crews = await countOf('/api/v1/crews');
      const saved = await post('/api/v1/crews', threeTaskCrew({ topic: 'y'.repeat(900_000) }));
      expect(saved.status).toBe(413);
      expect(saved.body.error.message).toMatch(/^A run of this crew is too large to start: /);
      expect(saved.body.error.details.largest[0].path).toMatch(
        /^(inputs\.topic|tasks\[\d\]\.description)$/,
      );
      expect(await countOf('/api/v1/crews')).toBe(crews);

      // A crew that needs its input at run time saves, and a start too large is refused then.
      const crewId = await saveCrew(threeTaskCrew());
      const patched = await api.http.patch(`/api/v1/crews/${crewId}`, {
        token,
        body: { inputs: { topic: 'z'.repeat(900_000) } },
      });
      expect(patched.status).toBe(413);
      expect((await api.http.get(`/api/v1/crews/${crewId}`, { token })).body).toMatchObject({
        version: 1,
        inputs: {},
      });
      const executions = await countOf('/api/v1/executions');
      const started = await post('/api/v1/executions', {
        crew_id: crewId,
        inputs: { topic: 'z'.repeat(900_000) },
      });
      expect(started.status).toBe(413);
      expect(await countOf('/api/v1/executions')).toBe(executions);
    });

    it('refuses a schedule whose runs would be too large, keeping nothing', async () => {
      const crewId = await saveCrew(threeTaskCrew());
      const response = await post('/api/v1/schedules', {
        name: 'Too big',
        crew_id: crewId,
        inputs: { topic: 'w'.repeat(600_000) },
        cron: '0 0 1 1 *',
      });
      expect(response.status).toBe(413);
      expect(response.body.error.message).toMatch(/^A run of this schedule is too large to start/);
      expect(await countOf('/api/v1/schedules')).toBe(0);
      expect(await api.orm.em.fork().count(ScheduleEntity, {})).toBe(0);
    });

    it('documents the 413 of endpoints that start or save runs', async () => {
      const { paths } = (await api.http.get('/api-openapi.json')).body;
      for (const [path, method] of [
        ['/api/v1/executions', 'post'],
        ['/api/v1/crews', 'post'],
        ['/api/v1/crews/{id}', 'put'],
        ['/api/v1/crews/{id}', 'patch'],
        ['/api/v1/flows', 'post'],
        ['/api/v1/flows/import', 'post'],
        ['/api/v1/schedules', 'post'],
        ['/api/v1/schedules/{id}', 'patch'],
      ] as const) {
        expect(paths[path][method].responses['413'].description).toContain(
          'KASAL_MAX_START_PAYLOAD_BYTES',
        );
      }
      expect(paths['/api/v1/agents'].post.responses['413'].description).toContain('MAX_BODY_BYTES');
      expect(paths['/api/v1/agents'].post.responses['415']).toBeDefined();
    });
  });

  describe('union errors', () => {
    const badAgent = {
      id: 'writer',
      role: 'Writer',
      goal: 'Write',
      tool_configs: { MCP_SERVERS: ['docs'] },
    };
    const crewWith = (agent: unknown) => ({
      name: 'Union',
      agents: [agent],
      tasks: [{ id: 't', description: 'Do', expected_output: 'Done', agent: 'writer' }],
    });

    it('names the deepest failing field of an inline agent', async () => {
      const run = await post('/api/v1/executions', { crew: crewWith(badAgent) });
      expect(run.status).toBe(400);
      expect(fieldsOf(run.body)).toEqual([
        {
          path: 'crew.agents[0].tool_configs.MCP_SERVERS',
          message: 'Invalid input: expected record, received array',
        },
      ]);
      const saved = await post('/api/v1/crews', crewWith(badAgent));
      expect(saved.status).toBe(400);
      expect(pathsOf(saved.body)).toEqual(['agents[0].tool_configs.MCP_SERVERS']);
    });

    it('says which kinds would do when no branch fits the value at all', async () => {
      const saved = await post('/api/v1/crews', crewWith(42));
      expect(saved.status).toBe(400);
      expect(fieldsOf(saved.body)).toEqual([
        { path: 'agents[0]', message: 'Invalid input: expected string or object' },
      ]);
      const notUuid = await post('/api/v1/crews', crewWith('not-an-id'));
      expect(fieldsOf(notUuid.body)).toEqual([{ path: 'agents[0]', message: 'Invalid UUID' }]);
    });
  });

  describe('credentials before the body', () => {
    it('answers an anonymous write with a 401 whatever its body', async () => {
      const anonymous = (rawBody: string, contentType = 'application/json') =>
        api.http.post('/api/v1/agents', { rawBody, headers: { 'content-type': contentType } });
      for (const response of [
        await anonymous('{"role": '),
        await anonymous(JSON.stringify({ role: 'x', goal: 'y'.repeat(1_200_000) })),
        await anonymous('role=x', 'application/x-www-form-urlencoded'),
        await anonymous(`{"role":${nestedJson(10_000)}}`),
      ]) {
        expect(response.status).toBe(401);
        expect(response.body.error.code).toBe('unauthorized');
      }
      const badToken = await api.http.post('/api/v1/agents', {
        token: 'not-a-token',
        rawBody: '{"role": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(badToken.status).toBe(401);
    });

    it('still reads the body of a signed-in caller and of public endpoints first', async () => {
      const signedIn = await postRaw('/api/v1/agents', '{"role": ');
      expect(signedIn.status).toBe(400);
      expect(signedIn.body.error.code).toBe('malformed_json');
      const login = await api.http.post('/api/v1/auth/login', {
        rawBody: '{"email": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(login.status).toBe(400);
      expect(login.body.error.code).toBe('malformed_json');
    });
  });

  it('creates a user whose display name is as long as it may be (their workspace is named after it)', async () => {
    // Found by fuzzing: the personal group's name ("<display name>'s workspace") overflowed its
    // column on Postgres, a 500.
    const displayName = 'd'.repeat(200);
    const created = await api.http.post('/api/v1/users', {
      token: api.adminToken,
      body: {
        email: `long-name-${databaseType}@kasal.test`,
        password: 'user-password-123',
        display_name: displayName,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.display_name).toBe(displayName);
    const token = await api.login(`long-name-${databaseType}@kasal.test`, 'user-password-123');
    const groups = await api.http.get('/api/v1/groups', { token });
    expect(groups.body[0].name).toBe(`${'d'.repeat(188)}'s workspace`);
  });

  it("answers what Node's HTTP parser refuses in the error shape: 431, 400", async () => {
    const { port } = new URL(api.http.baseUrl);
    const send = (request: string) =>
      new Promise<{ head: string; body: unknown }>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1');
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('end', () => {
          const [head = '', body = ''] = answer.split('\r\n\r\n');
          resolve({ head, body: JSON.parse(body) });
        });
        socket.on('error', reject);
        socket.write(request);
      });
    const large = await send(
      `GET /api/v1/agents HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(large.head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(large.head).toContain('Content-Type: application/json');
    expect(large.body).toEqual({
      error: {
        code: 'headers_too_large',
        message: 'The request headers are larger than the server accepts',
      },
    });
    const garbage = await send('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage.body).toEqual({
      error: { code: 'malformed_request', message: 'The request is not valid HTTP' },
    });
    expect((await api.http.get('/health')).status).toBe(200);
  });
});

describe('a Temporal server with a lower blob limit than the platform', () => {
  let temporal: DevServer;

  beforeAll(async () => {
    temporal = await startTemporalDevServer([
      '--dynamic-config-value',
      'limit.blobSize.error=200000',
      '--dynamic-config-value',
      'limit.blobSize.warn=100000',
    ]);
    const connection = await Connection.connect({ address: temporal.address });
    await ensureSearchAttributes(connection, 'default', createLogger('warn', 'test-setup'));
    await connection.close();
  });
  afterAll(() => temporal?.stop());

  it.each(['postgres', 'sqlite'] as const)(
    'answers its refusal with a 413 and keeps no execution on %s',
    async (databaseType) => {
      const api = await startApi(databaseType, {
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      });
      try {
        const response = await api.http.post('/api/v1/executions', {
          token: api.adminToken,
          body: { crew: threeTaskCrew(), inputs: { topic: 'x'.repeat(100_000) } },
        });
        expect(response.status).toBe(413);
        expect(response.body.error.code).toBe('payload_too_large');
        expect(response.body.error.message).toContain('Temporal refused its plan');
        expect(await api.orm.em.fork().count(ExecutionEntity, {})).toBe(0);
      } finally {
        await api.close();
      }
    },
  );
});

describe.each(['postgres', 'sqlite'] as const)(
  'a scheduled run that grew too large on %s',
  (databaseType) => {
    let api: ApiHarness;

    beforeAll(async () => {
      api = await startApi(databaseType, {
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
        KASAL_MAX_START_PAYLOAD_BYTES: '100000',
      });
    });
    afterAll(() => api?.close());

    it('fails the run saying what is too large', async () => {
      const token = api.adminToken;
      const saved = await api.http.post('/api/v1/crews', { token, body: threeTaskCrew() });
      expect(saved.status).toBe(201);
      const schedule = await api.http.post('/api/v1/schedules', {
        token,
        body: {
          name: 'Grows',
          crew_id: saved.body.id,
          inputs: { topic: 'news' },
          cron: '0 0 1 1 *',
        },
      });
      expect(schedule.status).toBe(201);
      // The crew changes after it was scheduled: its runs no longer fit.
      const grown = await api.http.patch(`/api/v1/crews/${saved.body.id}`, {
        token,
        body: {
          tasks: threeTaskCrew().tasks.map((task) => ({
            ...task,
            description: `${'long '.repeat(8_000)}{topic}`,
          })),
        },
      });
      expect(grown.status).toBe(200);

      const activities = createScheduleActivities({
        orm: api.orm,
        defaultModel: api.config.llm.defaultModel,
        historyLimits: api.config.temporal.historyLimits,
        maxStartPayloadBytes: api.config.temporal.maxStartPayloadBytes,
      });
      const executionId = randomUUID();
      const prepared = await activities.prepareScheduledRun({
        scheduleId: schedule.body.id,
        groupId: schedule.body.group_id,
        executionId,
      });
      expect(prepared).toMatchObject({ ok: false, executionId });
      const error = (prepared as { error: string }).error;
      expect(error).toMatch(
        /^The scheduled run is too large to start: its compiled plan with its inputs comes to 1\d\d,\d{3} bytes, over the limit of 100,000 bytes/,
      );
      expect(error).toContain('tasks[0].description');
      const run = await api.http.get(`/api/v1/executions/${executionId}`, { token });
      expect(run.body).toMatchObject({ status: 'FAILED', error });

      const deleted = await api.http.delete(`/api/v1/schedules/${schedule.body.id}`, { token });
      expect(deleted.status).toBe(204);
    });
  },
);
