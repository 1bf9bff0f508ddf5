/** Groups, roles and isolation: another group's resources answer 404, missing rights 403. */
import { startApi, type ApiHarness, type TestUser } from '../support/api-harness';

const agentBody = { role: 'Analyst', goal: 'Analyse' };

describe('groups and roles', () => {
  let api: ApiHarness;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    api = await startApi('postgres');
    alice = await api.createUser('alice@kasal.test');
    bob = await api.createUser('bob@kasal.test');
  });
  afterAll(() => api.close());

  it("hides another group's resources: reads and writes answer 404", async () => {
    const secret = await api.http.post('/api/v1/agents', {
      token: alice.token,
      body: { ...agentBody, name: 'Secret' },
    });
    expect(secret.status).toBe(201);
    const path = `/api/v1/agents/${secret.body.id}`;

    for (const response of [
      await api.http.get(path, { token: bob.token }),
      await api.http.put(path, { token: bob.token, body: agentBody }),
      await api.http.patch(path, { token: bob.token, body: { goal: 'steal' } }),
      await api.http.delete(path, { token: bob.token }),
    ]) {
      expect(response.status).toBe(404);
      expect(JSON.stringify(response.body)).not.toContain('Secret');
    }
    const list = await api.http.get('/api/v1/agents', { token: bob.token });
    expect(list.body.items.map((item: { id: string }) => item.id)).not.toContain(secret.body.id);
    // A crew of Bob's cannot reference Alice's agent either.
    const crew = await api.http.post('/api/v1/crews', {
      token: bob.token,
      body: {
        name: 'borrowing',
        agents: [secret.body.id],
        tasks: [{ id: 't', description: 'd', expected_output: 'e', agent: secret.body.id }],
      },
    });
    expect(crew.status).toBe(400);
    expect(crew.body.error.details.fields[0]).toEqual({
      path: 'agents[0]',
      message: `agent '${secret.body.id}' not found in this group`,
    });
    expect((await api.http.get(path, { token: alice.token })).body.goal).toBe('Analyse');
  });

  it('answers 403 for an X-Group-Id the caller does not belong to', async () => {
    const response = await api.http.get('/api/v1/agents', {
      token: bob.token,
      groupId: alice.personalGroupId,
    });
    expect(response.status).toBe(403);
    expect(response.body.error.message).toContain('not a member');
    const malformed = await api.http.get('/api/v1/agents', { token: bob.token, groupId: 'nope' });
    expect(malformed.status).toBe(403);
  });

  it('shares a group with roles: viewers read, operators cannot edit, editors write', async () => {
    const team = await api.http.post('/api/v1/groups', {
      token: alice.token,
      body: { name: 'Team' },
    });
    expect(team.status).toBe(201);
    expect(team.body).toMatchObject({ name: 'Team', personal: false, role: 'admin' });
    const groupId: string = team.body.id;
    const shared = await api.http.post('/api/v1/agents', {
      token: alice.token,
      groupId,
      body: agentBody,
    });
    expect(shared.status).toBe(201);
    expect(shared.body.group_id).toBe(groupId);

    // Bob joins by accepting Alice's invitation; inviting a member again is a conflict.
    const invited = await api.http.post(`/api/v1/groups/${groupId}/invitations`, {
      token: alice.token,
      body: { email: 'bob@kasal.test', role: 'viewer' },
    });
    expect(invited.status).toBe(201);
    expect(
      (await api.http.post(`/api/v1/invitations/${invited.body.id}/accept`, { token: bob.token }))
        .status,
    ).toBe(200);
    const members = await api.http.get(`/api/v1/groups/${groupId}/members`, {
      token: alice.token,
    });
    expect(members.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ email: 'bob@kasal.test', role: 'viewer' }),
      ]),
    );
    const again = await api.http.post(`/api/v1/groups/${groupId}/invitations`, {
      token: alice.token,
      body: { email: 'bob@kasal.test', role: 'viewer' },
    });
    expect(again.status).toBe(409);

    // viewer: read yes, write no
    expect(
      (await api.http.get(`/api/v1/agents/${shared.body.id}`, { token: bob.token, groupId }))
        .status,
    ).toBe(200);
    const viewerWrite = await api.http.post('/api/v1/agents', {
      token: bob.token,
      groupId,
      body: agentBody,
    });
    expect(viewerWrite.status).toBe(403);
    expect(viewerWrite.body.error.message).toContain("role 'viewer'");

    // operator: still cannot edit definitions
    await api.http.patch(`/api/v1/groups/${groupId}/members/${bob.id}`, {
      token: alice.token,
      body: { role: 'operator' },
    });
    const operatorEdit = await api.http.patch(`/api/v1/agents/${shared.body.id}`, {
      token: bob.token,
      groupId,
      body: { goal: 'changed' },
    });
    expect(operatorEdit.status).toBe(403);

    // editor: writes
    await api.http.patch(`/api/v1/groups/${groupId}/members/${bob.id}`, {
      token: alice.token,
      body: { role: 'editor' },
    });
    const editorEdit = await api.http.patch(`/api/v1/agents/${shared.body.id}`, {
      token: bob.token,
      groupId,
      body: { goal: 'changed' },
    });
    expect(editorEdit.status).toBe(200);

    // only group admins manage members
    const bobAdds = await api.http.patch(`/api/v1/groups/${groupId}/members/${alice.id}`, {
      token: bob.token,
      body: { role: 'viewer' },
    });
    expect(bobAdds.status).toBe(403);
    // the last admin cannot step down
    const lastAdmin = await api.http.patch(`/api/v1/groups/${groupId}/members/${alice.id}`, {
      token: alice.token,
      body: { role: 'viewer' },
    });
    expect(lastAdmin.status).toBe(409);

    // removing Bob takes his access away (and revokes his token: he signs in again)
    expect(
      (await api.http.delete(`/api/v1/groups/${groupId}/members/${bob.id}`, { token: alice.token }))
        .status,
    ).toBe(204);
    expect((await api.http.get('/api/v1/agents', { token: bob.token, groupId })).status).toBe(401);
    bob.token = await api.login('bob@kasal.test', 'user-password-123');
    expect((await api.http.get('/api/v1/agents', { token: bob.token, groupId })).status).toBe(403);
    expect((await api.http.get(`/api/v1/groups/${groupId}`, { token: bob.token })).status).toBe(
      404,
    );
  });

  it('deletes a group with its contents, but never a personal group', async () => {
    const group = await api.http.post('/api/v1/groups', {
      token: alice.token,
      body: { name: 'Short-lived' },
    });
    const agent = await api.http.post('/api/v1/agents', {
      token: alice.token,
      groupId: group.body.id,
      body: agentBody,
    });
    expect(
      (await api.http.delete(`/api/v1/groups/${group.body.id}`, { token: alice.token })).status,
    ).toBe(204);
    expect(
      (await api.http.get(`/api/v1/groups/${group.body.id}`, { token: alice.token })).status,
    ).toBe(404);
    const orphan = await api.http.get(`/api/v1/agents/${agent.body.id}`, { token: alice.token });
    expect(orphan.status).toBe(404);
    const personal = await api.http.delete(`/api/v1/groups/${alice.personalGroupId}`, {
      token: alice.token,
    });
    expect(personal.status).toBe(409);
  });

  it('lets only system administrators manage users', async () => {
    const asUser = await api.http.get('/api/v1/users', { token: alice.token });
    expect(asUser.status).toBe(403);
    const asAdmin = await api.http.get('/api/v1/users?q=KASAL.TEST', { token: api.adminToken });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.total).toBeGreaterThanOrEqual(3);

    const duplicate = await api.http.post('/api/v1/users', {
      token: api.adminToken,
      body: { email: 'alice@kasal.test', password: 'another-password-456' },
    });
    expect(duplicate.status).toBe(409);
    const weak = await api.http.post('/api/v1/users', {
      token: api.adminToken,
      body: { email: 'not-an-email', password: 'short' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.error.details.fields.map((field: { path: string }) => field.path)).toEqual([
      'email',
      'password',
    ]);

    // Alice is the only admin of the shared group 'Team': she cannot be deleted yet.
    const lastAdmin = await api.http.delete(`/api/v1/users/${alice.id}`, { token: api.adminToken });
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.body.error.message).toContain('last admin');

    const carol = await api.createUser('carol@kasal.test');
    expect(
      (await api.http.delete(`/api/v1/users/${carol.id}`, { token: api.adminToken })).status,
    ).toBe(204);
    expect((await api.http.get('/api/v1/auth/me', { token: carol.token })).status).toBe(401);
  });
});
