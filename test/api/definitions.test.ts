/** CRUD of agents, tasks and crews over real HTTP, on Postgres and on SQLite. */
import { startApi, type ApiHarness } from '../support/api-harness';

const agent = (overrides: Record<string, unknown> = {}) => ({
  name: 'Researcher',
  role: 'Senior researcher',
  goal: 'Find facts about {topic}',
  backstory: 'Careful and thorough.',
  ...overrides,
});

const task = (overrides: Record<string, unknown> = {}) => ({
  name: 'Research',
  description: 'Research {topic}',
  expected_output: 'A list of facts',
  ...overrides,
});

describe.each(['postgres', 'sqlite'] as const)('definitions CRUD on %s', (databaseType) => {
  let api: ApiHarness;
  let token: string;

  beforeAll(async () => {
    api = await startApi(databaseType);
    token = api.adminToken;
  });
  afterAll(() => api.close());

  it('creates, reads, lists, replaces, patches and deletes an agent', async () => {
    const created = await api.http.post('/api/v1/agents', { token, body: agent() });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Researcher',
      role: 'Senior researcher',
      max_iter: 25,
      allow_delegation: false,
      version: 1,
    });
    const id: string = created.body.id;

    const read = await api.http.get(`/api/v1/agents/${id}`, { token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);

    const replaced = await api.http.put(`/api/v1/agents/${id}`, {
      token,
      body: agent({ goal: 'Find better facts', tools: ['fetch_url'] }),
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      goal: 'Find better facts',
      tools: ['fetch_url'],
      version: 2,
    });

    const patched = await api.http.patch(`/api/v1/agents/${id}`, {
      token,
      body: { temperature: 0.2, backstory: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      temperature: 0.2,
      backstory: '',
      goal: 'Find better facts',
      version: 3,
    });

    const listed = await api.http.get('/api/v1/agents?q=research', { token });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(id);

    expect((await api.http.delete(`/api/v1/agents/${id}`, { token })).status).toBe(204);
    expect((await api.http.get(`/api/v1/agents/${id}`, { token })).status).toBe(404);
  });

  it('paginates lists with limit and offset', async () => {
    for (let index = 0; index < 5; index += 1) {
      const response = await api.http.post('/api/v1/tasks', {
        token,
        body: task({ name: `Paged ${index}` }),
      });
      expect(response.status).toBe(201);
    }
    const first = await api.http.get('/api/v1/tasks?limit=2&offset=0&q=paged', { token });
    const second = await api.http.get('/api/v1/tasks?limit=2&offset=2&q=paged', { token });
    expect(first.body).toMatchObject({ total: 5, limit: 2, offset: 0 });
    expect(first.body.items).toHaveLength(2);
    expect(second.body.items).toHaveLength(2);
    const ids = [...first.body.items, ...second.body.items].map((item: { id: string }) => item.id);
    expect(new Set(ids).size).toBe(4);

    const bad = await api.http.get('/api/v1/tasks?limit=1000', { token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].path).toBe('limit');
  });

  it('keeps a crew with inline and saved agents and tasks, and checks its references', async () => {
    const savedAgent = await api.http.post('/api/v1/agents', {
      token,
      body: agent({ name: 'Saved' }),
    });
    const savedTask = await api.http.post('/api/v1/tasks', {
      token,
      body: task({ agent: savedAgent.body.id }),
    });
    expect(savedTask.status).toBe(201);

    const crew = {
      name: 'Research crew',
      process: 'sequential',
      inputs: { topic: 'Temporal' },
      agents: [savedAgent.body.id, { id: 'writer', role: 'Writer', goal: 'Write it up' }],
      tasks: [
        savedTask.body.id,
        {
          id: 'write',
          description: 'Write a report on {topic}',
          expected_output: 'A report',
          agent: 'writer',
          context: [savedTask.body.id],
        },
      ],
    };
    const created = await api.http.post('/api/v1/crews', { token, body: crew });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Research crew',
      process: 'sequential',
      planning: false,
    });
    expect(created.body.tasks[1]).toMatchObject({ id: 'write', async_execution: false });

    // A saved agent that a crew uses cannot be deleted.
    const blocked = await api.http.delete(`/api/v1/agents/${savedAgent.body.id}`, { token });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.message).toContain("crew 'Research crew'");

    const renamed = await api.http.patch(`/api/v1/crews/${created.body.id}`, {
      token,
      body: { name: 'Renamed' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.name).toBe('Renamed');
    expect((await api.http.delete(`/api/v1/crews/${created.body.id}`, { token })).status).toBe(204);
  });

  it('rejects invalid crews with messages that name the field', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ process: 'parallel' }, 'process', 'expected one of'],
      [
        {
          agents: [
            { id: 'a', role: 'r', goal: 'g' },
            { id: 'a', role: 'r2', goal: 'g2' },
          ],
        },
        'agents[1].id',
        "duplicate agent id 'a'",
      ],
      [
        { tasks: [{ id: 't', description: 'd', expected_output: 'e', agent: 'ghost' }] },
        'tasks[0].agent',
        "unknown agent 'ghost'",
      ],
      [
        {
          tasks: [
            { id: 't1', description: 'd', expected_output: 'e', agent: 'a', context: ['t2'] },
            { id: 't2', description: 'd', expected_output: 'e', agent: 'a', context: ['t1'] },
          ],
        },
        'tasks[0].context',
        'context cycle: t1 → t2 → t1',
      ],
      [
        {
          tasks: [
            { id: 't1', description: 'd', expected_output: 'e', agent: 'a', context: ['nope'] },
          ],
        },
        'tasks[0].context[0]',
        "unknown task 'nope'",
      ],
      [
        {
          tasks: [
            { id: 't1', description: 'd', expected_output: 'e', agent: 'a' },
            { id: 't1', description: 'd', expected_output: 'e', agent: 'a' },
          ],
        },
        'tasks[1]',
        "duplicate task id 't1'",
      ],
      [{ process: 'hierarchical' }, 'manager_llm', 'required when process is "hierarchical"'],
      [
        { agents: ['00000000-0000-4000-8000-000000000000'] },
        'agents[0]',
        'not found in this group',
      ],
      [{ colour: 'blue' }, '', 'colour'],
    ];
    for (const [overrides, path, message] of cases) {
      const body = {
        name: 'Bad crew',
        agents: [{ id: 'a', role: 'r', goal: 'g' }],
        tasks: [{ id: 't', description: 'd', expected_output: 'e', agent: 'a' }],
        ...overrides,
      };
      const response = await api.http.post('/api/v1/crews', { token, body });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_error');
      const fields: Array<{ path: string; message: string }> = response.body.error.details.fields;
      expect(fields).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      expect(response.body.error.message).toContain(message);
    }
  });

  it('rejects tasks that reference unknown agents or tasks', async () => {
    const response = await api.http.post('/api/v1/tasks', {
      token,
      body: task({
        agent: '00000000-0000-4000-8000-000000000001',
        context: ['11111111-1111-4111-8111-111111111111'],
      }),
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details.fields).toEqual([
      {
        path: 'agent',
        message: "agent '00000000-0000-4000-8000-000000000001' not found in this group",
      },
      {
        path: 'context[0]',
        message: "task '11111111-1111-4111-8111-111111111111' not found in this group",
      },
    ]);
    const missing = await api.http.post('/api/v1/tasks', {
      token,
      body: { description: 'only this' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.fields).toEqual([
      expect.objectContaining({ path: 'expected_output' }),
    ]);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    const unknown = await api.http.get('/api/v1/crews/00000000-0000-4000-8000-000000000000', {
      token,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
    const malformed = await api.http.get('/api/v1/crews/not-a-uuid', { token });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.fields[0].path).toBe('id');
  });
});
