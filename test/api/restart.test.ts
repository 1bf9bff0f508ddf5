/** The API process is killed and started again: nothing it stored is lost, tokens stay valid. */
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { ADMIN_EMAIL, ADMIN_PASSWORD, baseTestEnv } from '../support/api-harness';
import { HttpClient } from '../support/http-client';
import { healthy, startNodeEntry, waitFor, type RunningProcess } from '../support/processes';
import { freePort } from '../support/temporal-dev-server';

describe('API restart', () => {
  let database: TestDatabase;
  let api: RunningProcess | undefined;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    api?.child.kill('SIGKILL');
    await database.drop();
  });

  it('keeps definitions, users and sessions across a hard kill', async () => {
    const port = await freePort();
    const env = { ...baseTestEnv(database), PORT: String(port), HOST: '127.0.0.1' };
    const http = new HttpClient(`http://127.0.0.1:${port}`);

    api = startNodeEntry('api/server', env);
    await waitFor('the API', () => healthy(http.baseUrl));
    const login = await http.post('/api/v1/auth/login', {
      body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    const token: string = login.body.access_token;
    const agent = await http.post('/api/v1/agents', {
      token,
      body: { role: 'Keeper', goal: 'Remember' },
    });
    const crew = await http.post('/api/v1/crews', {
      token,
      body: {
        name: 'Durable crew',
        agents: [agent.body.id],
        tasks: [{ id: 'remember', description: 'd', expected_output: 'e', agent: agent.body.id }],
      },
    });
    expect(crew.status).toBe(201);
    const key = await http.post('/api/v1/auth/api-keys', { token, body: { name: 'survivor' } });

    api.child.kill('SIGKILL');
    await api.exited;
    api = startNodeEntry('api/server', env);
    await waitFor('the restarted API', () => healthy(http.baseUrl));

    expect((await http.get(`/api/v1/crews/${crew.body.id}`, { token })).body).toEqual(crew.body);
    expect(
      (await http.get(`/api/v1/agents/${agent.body.id}`, { token: key.body.key })).status,
    ).toBe(200);
    const users = await http.get('/api/v1/users', { token });
    expect(
      users.body.items.filter((user: { email: string }) => user.email === ADMIN_EMAIL),
    ).toHaveLength(1);

    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
  });
});
