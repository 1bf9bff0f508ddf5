/**
 * Requests the platform makes on a group's behalf stay out of the operator's network: model
 * configs and webhooks pointing at loopback, private or metadata addresses are refused when
 * saved (400), the worker refuses to connect to one at run time (a name that resolves inside),
 * and a failed LLM call never repeats the endpoint's answer. A system administrator may allow a
 * model config inside (a local Ollama), the operator all of them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ModelConfigEntity } from '../../shared/node/db/entities';
import { FINAL_STATUSES } from '../../shared/plan/execution-state';
import { ADMIN_EMAIL, startApi } from '../support/api-harness';
import type { DatabaseType } from '../support/databases';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';

/** What an internal service would give away: it must never reach an execution or its events. */
const MARKER = 'INTERNAL-SECRET-7f3a9c';

/** A service inside the network that answers every request with its secret. */
async function startInternalService() {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    received.push(req.url ?? '');
    res
      .writeHead(403, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message: `instance credentials: ${MARKER}` } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const crewUsing = (llm: string) => ({
  crew: {
    name: 'Inside job',
    agents: [{ id: 'a', role: 'Worker', goal: 'Work', llm }],
    tasks: [{ id: 't', description: 'Work', expected_output: 'x', agent: 'a' }],
  },
});

describe.each<DatabaseType>(['postgres', 'sqlite'])('private networks on %s', (database) => {
  let platform: Platform;
  let internal: Awaited<ReturnType<typeof startInternalService>>;
  let alice: { id: string; token: string; personalGroupId: string };

  beforeAll(async () => {
    internal = await startInternalService();
    platform = await startPlatform({}, database);
    alice = await platform.api.createUser(`alice-${database}@kasal.test`);
  });
  afterAll(async () => {
    await platform?.close();
    await internal?.close();
  });

  const saveModel = (token: string, body: Record<string, unknown>, groupId?: string) =>
    platform.api.http.post('/api/v1/models', {
      token,
      groupId,
      body: { model: 'm', ...body },
    });

  it('refuses a model config whose base URL is inside the network when it is saved', async () => {
    const inside = `http://127.0.0.1:${internal.port}/v1`;
    for (const [baseUrl, address] of [
      ['http://169.254.169.254/v1', '169.254.169.254'],
      [`http://localhost:${internal.port}/v1`, '127.0.0.1'],
      [inside, '127.0.0.1'],
      ['http://[::1]:11434/v1', '::1'],
      ['http://10.1.2.3/v1', '10.1.2.3'],
    ] as const) {
      const refused = await saveModel(alice.token, { name: 'inside', base_url: baseUrl });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('validation_error');
      const [field] = refused.body.error.details.fields;
      expect(field.path).toBe('base_url');
      expect(field.message).toContain(`the private or loopback address ${address}`);
      expect(field.message).toContain('allow_private_networks');
    }
    // Only a system administrator may allow it, for one config.
    const allowing = await saveModel(alice.token, {
      name: 'inside',
      base_url: inside,
      allow_private_networks: true,
    });
    expect(allowing.status).toBe(403);
    expect(allowing.body.error.message).toContain('system administrator');
    const { api } = platform;
    expect((await saveModel(api.adminToken, { name: 'ollama', base_url: inside })).status).toBe(
      400,
    );
    const ollama = await saveModel(api.adminToken, {
      name: 'ollama',
      base_url: inside,
      allow_private_networks: true,
    });
    expect(ollama.status).toBe(201);
    expect(ollama.body).toMatchObject({ base_url: inside, allow_private_networks: true });
    expect(
      await api.orm.em.fork().count(ModelConfigEntity, { groupId: alice.personalGroupId }),
    ).toBe(0);

    // Someone else moving a config the administrator allowed takes the permission away.
    const team = await api.http.post('/api/v1/groups', {
      token: alice.token,
      body: { name: `Team ${database}` },
    });
    await api.addMember(
      team.body.id,
      { email: ADMIN_EMAIL, token: api.adminToken },
      'admin',
      alice.token,
    );
    const shared = await saveModel(
      api.adminToken,
      { name: 'local', base_url: inside, allow_private_networks: true },
      team.body.id,
    );
    expect(shared.status).toBe(201);
    const path = `/api/v1/models/${shared.body.id}`;
    const elsewhereInside = await api.http.patch(path, {
      token: alice.token,
      groupId: team.body.id,
      body: { base_url: 'http://192.168.1.20/v1' },
    });
    expect(elsewhereInside.status).toBe(400);
    const outside = await api.http.patch(path, {
      token: alice.token,
      groupId: team.body.id,
      body: { base_url: 'https://llm.example.test/v1' },
    });
    expect(outside.status).toBe(200);
    expect(outside.body).toMatchObject({
      base_url: 'https://llm.example.test/v1',
      allow_private_networks: false,
    });
  });

  it('refuses to connect to a private address at run time, whatever the name resolves to', async () => {
    const { api } = platform;
    const saved = await saveModel(alice.token, {
      name: 'rebound',
      base_url: 'https://llm.example.test/v1',
    });
    expect(saved.status).toBe(201);
    // The name resolves inside the network now (or the row predates the check): the worker
    // resolves it when it connects, and refuses.
    await api.orm.em
      .fork()
      .nativeUpdate(
        ModelConfigEntity,
        { id: saved.body.id },
        { baseUrl: `http://localhost:${internal.port}/v1` },
      );
    const started = await api.http.post('/api/v1/executions', {
      token: alice.token,
      body: crewUsing('rebound'),
    });
    expect(started.status).toBe(202);
    const execution = await waitFor('the refused run to end', async () => {
      const current = await api.http.get(`/api/v1/executions/${started.body.execution_id}`, {
        token: alice.token,
      });
      return FINAL_STATUSES.includes(current.body.status) ? current.body : undefined;
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toContain(
      "Refused to call the LLM endpoint for 'm': localhost is the private or loopback address 127.0.0.1",
    );
    expect(internal.received).toEqual([]);
  });

  it("never repeats a failed endpoint's answer in the execution or its events", async () => {
    const { api } = platform;
    const allowed = await saveModel(api.adminToken, {
      name: 'leaky',
      base_url: `http://127.0.0.1:${internal.port}/v1`,
      allow_private_networks: true,
    });
    expect(allowed.status).toBe(201);
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: crewUsing('leaky'),
    });
    const execution = await finishedExecution(api, started.body.execution_id);
    expect(execution.status).toBe('FAILED');
    expect(internal.received).toEqual(['/v1/chat/completions']);
    expect(execution.error).toContain(
      "LLM call to 'm' failed with HTTP 403 (Forbidden); the endpoint's answer is not shown",
    );
    const logs = await api.http.get(
      `/api/v1/executions/${started.body.execution_id}/logs?limit=100`,
      { token: api.adminToken },
    );
    expect(logs.body.items.map((event: { type: string }) => event.type)).toContain(
      'llm_call_failed',
    );
    expect(JSON.stringify([execution, logs.body])).not.toContain(MARKER);
  });

  it('refuses webhook URLs inside the network when they are saved', async () => {
    const { api } = platform;
    const hook = (url: string) =>
      api.http.post('/api/v1/webhooks', {
        token: alice.token,
        body: { name: 'Hook', url, events: ['gate_reached'] },
      });
    for (const url of [
      `http://127.0.0.1:${internal.port}/hook`,
      'http://localhost/hook',
      'http://169.254.169.254/latest/meta-data',
    ]) {
      const refused = await hook(url);
      expect(refused.status).toBe(400);
      expect(refused.body.error.details.fields[0]).toMatchObject({ path: 'url' });
      expect(refused.body.error.message).toContain('KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS');
    }
    const outside = await hook('https://hooks.example.test/kasal');
    expect(outside.status).toBe(201);
    const moved = await api.http.patch(`/api/v1/webhooks/${outside.body.id}`, {
      token: alice.token,
      body: { url: 'http://[::ffff:127.0.0.1]/hook' },
    });
    expect(moved.status).toBe(400);
    const listed = await api.http.get('/api/v1/webhooks', { token: alice.token });
    expect(listed.body.map((webhook: { url: string }) => webhook.url)).toEqual([
      'https://hooks.example.test/kasal',
    ]);
  });
});

describe('private networks the operator allows', () => {
  it('lets every group save model configs and webhooks inside the network', async () => {
    const api = await startApi('sqlite', {
      KASAL_MODELS_ALLOW_PRIVATE_NETWORKS: 'true',
      KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    try {
      const bob = await api.createUser('bob@kasal.test');
      const model = await api.http.post('/api/v1/models', {
        token: bob.token,
        body: { name: 'ollama', model: 'llama3', base_url: 'http://localhost:11434/v1' },
      });
      expect(model.status).toBe(201);
      expect(model.body.allow_private_networks).toBe(false); // allowed for all, not for it
      const hook = await api.http.post('/api/v1/webhooks', {
        token: bob.token,
        body: { name: 'Local', url: 'http://127.0.0.1:9000/hook', events: ['gate_reached'] },
      });
      expect(hook.status).toBe(201);
    } finally {
      await api.close();
    }
  });
});
