/**
 * Sign-in throttling, token revocation, strict token claims, group invitations, the password
 * policy and rehashing of old password hashes: over real HTTP, on Postgres and on SQLite.
 */
import { randomBytes, scryptSync } from 'node:crypto';
import { CompactSign } from 'jose';
import { clientNetwork } from '../../api/services/login-throttle';
import {
  GroupInvitationEntity,
  LoginThrottleEntity,
  UserEntity,
} from '../../shared/node/db/entities';
import {
  ADMIN_EMAIL,
  TEST_JWT_SECRET,
  startApi,
  type ApiHarness,
  type TestUser,
} from '../support/api-harness';
import type { HttpResponse } from '../support/http-client';

const PASSWORD = 'user-password-123';
const LOCKOUT_SECONDS = 60;

type Claims = Record<string, unknown>;

/**
 * A token signed with the API's real secret, whatever its claims (CompactSign checks none), so
 * only the API's claim checks can refuse it.
 */
async function signedToken(claims: Claims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: 'kasal', aud: 'kasal-api', iat: now, exp: now + 600, ...claims };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

describe.each(['postgres', 'sqlite'] as const)('authentication hardening on %s', (databaseType) => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi(databaseType, {
      KASAL_LOGIN_MAX_FAILURES: '3',
      KASAL_LOGIN_MAX_FAILURES_PER_ADDRESS: '4',
      KASAL_LOGIN_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
      KASAL_LOGIN_MAX_LOCKOUT_SECONDS: '600',
    });
  });
  afterAll(() => api.close());

  /** Signs in from the given client address (the API trusts X-Forwarded-For from loopback). */
  const signIn = (email: string, password: string, address: string) =>
    api.http.post('/api/v1/auth/login', {
      body: { email, password },
      headers: { 'x-forwarded-for': address },
    });

  /** Lets a lockout run out, as if its time had passed. */
  const endLockout = (key: string) =>
    api.orm.em.fork().nativeUpdate(LoginThrottleEntity, { key }, { lockedUntil: 1 });

  const summary = (response: HttpResponse) => ({
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: response.body,
  });

  describe('sign-in throttling', () => {
    it('locks an account after repeated failures, for the right password too, with growing backoff', async () => {
      const email = 'throttled@kasal.test';
      await api.createUser(email);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await signIn(email, 'wrong-password-0', '198.51.100.1')).status).toBe(401);
      }
      const locked = await signIn(email, PASSWORD, '198.51.100.1');
      expect(summary(locked)).toEqual({
        status: 429,
        retryAfter: String(LOCKOUT_SECONDS),
        body: {
          error: {
            code: 'too_many_requests',
            message: `Too many failed sign-in attempts; try again in ${LOCKOUT_SECONDS} seconds`,
            details: { retry_after_seconds: LOCKOUT_SECONDS },
          },
        },
      });
      // Another address does not help: the account itself is locked.
      expect((await signIn(email, PASSWORD, '198.51.100.2')).status).toBe(429);

      // After the lockout, three more failures lock it for twice as long.
      await endLockout(`account:${email}`);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await signIn(email, 'wrong-password-0', '198.51.100.3')).status).toBe(401);
      }
      const again = await signIn(email, 'wrong-password-0', '198.51.100.3');
      expect(again.status).toBe(429);
      expect(again.headers.get('retry-after')).toBe(String(2 * LOCKOUT_SECONDS));

      // A success starts the account afresh: three failures are needed again for a lockout,
      // and it is the first lockout again.
      await endLockout(`account:${email}`);
      expect((await signIn(email, PASSWORD, '198.51.100.4')).status).toBe(200);
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await signIn(email, 'wrong-password-0', '198.51.100.4')).status).toBe(401);
      }
      const fresh = await signIn(email, 'wrong-password-0', '198.51.100.4');
      expect(fresh.headers.get('retry-after')).toBe(String(LOCKOUT_SECONDS));
    });

    it('answers an unknown email exactly like a known one', async () => {
      const known = 'known-throttle@kasal.test';
      await api.createUser(known);
      const attempts = async (email: string, address: string) => {
        const answers = [];
        for (let attempt = 0; attempt < 3; attempt += 1) {
          answers.push(summary(await signIn(email, 'wrong-password-0', address)));
        }
        answers.push(summary(await signIn(email, 'wrong-password-0', address)));
        return answers;
      };
      const forKnown = await attempts(known, '198.51.100.10');
      const forUnknown = await attempts('nobody-throttle@kasal.test', '198.51.100.11');
      expect(forUnknown).toEqual(forKnown);
      expect(forKnown.map((answer) => answer.status)).toEqual([401, 401, 401, 429]);
    });

    it('limits failures per client address, across accounts', async () => {
      const victim = 'address-victim@kasal.test';
      await api.createUser(victim);
      const guess = (attempt: number, address: string) =>
        signIn(`guess-${attempt}@kasal.test`, 'wrong-password-0', address);
      // Four failures on four different accounts: no account is locked, the address is.
      for (let attempt = 0; attempt < 4; attempt += 1) {
        expect((await guess(attempt, '203.0.113.7')).status).toBe(401);
      }
      const blocked = await signIn(victim, PASSWORD, '203.0.113.7');
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe(String(LOCKOUT_SECONDS));
      // The refused attempt did not count against the account: from elsewhere it signs in.
      expect((await signIn(victim, PASSWORD, '203.0.113.8')).status).toBe(200);

      // Successful sign-ins give their attempt back: only the failures count.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await guess(attempt, '203.0.113.9')).status).toBe(401);
      }
      expect((await signIn(victim, PASSWORD, '203.0.113.9')).status).toBe(200);
      expect((await signIn(victim, PASSWORD, '203.0.113.9')).status).toBe(200);
      expect((await guess(3, '203.0.113.9')).status).toBe(401);
      expect((await guess(4, '203.0.113.9')).status).toBe(429);
    });

    it('shares the counters between API processes through the database', async () => {
      const email = 'replicas@kasal.test';
      await api.createUser(email);
      const replica = await startApi(
        databaseType,
        {
          KASAL_LOGIN_MAX_FAILURES: '3',
          KASAL_LOGIN_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
        },
        api,
      );
      try {
        for (let attempt = 0; attempt < 3; attempt += 1) {
          expect((await signIn(email, 'wrong-password-0', '198.51.100.20')).status).toBe(401);
        }
        const onReplica = await replica.http.post('/api/v1/auth/login', {
          body: { email, password: PASSWORD },
          headers: { 'x-forwarded-for': '198.51.100.21' },
        });
        expect(onReplica.status).toBe(429);
      } finally {
        await replica.close({ keepDatabase: true });
      }
    });

    it('counts an IPv6 client by its /64', () => {
      expect(clientNetwork('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
      expect(clientNetwork('2001:0DB8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
      expect(clientNetwork('::ffff:192.0.2.1')).toBe('192.0.2.1');
      expect(clientNetwork('192.0.2.1')).toBe('192.0.2.1');
    });
  });

  describe('token revocation', () => {
    const revoked = async (token: string) => {
      const response = await api.http.get('/api/v1/auth/me', { token });
      expect(response.status).toBe(401);
      expect(response.body.error.message).toContain('revoked');
    };

    it('revokes tokens when users change their own password', async () => {
      const user = await api.createUser('changer@kasal.test');
      const wrong = await api.http.post('/api/v1/auth/password', {
        token: user.token,
        body: { current_password: 'not-my-password-1', new_password: 'a-new-password-456' },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.body.error.details.fields).toEqual([
        { path: 'current_password', message: 'is not your current password' },
      ]);
      const changed = await api.http.post('/api/v1/auth/password', {
        token: user.token,
        body: { current_password: PASSWORD, new_password: 'a-new-password-456' },
      });
      expect(changed.status).toBe(200);
      await revoked(user.token);
      expect(
        (await api.http.get('/api/v1/auth/me', { token: changed.body.access_token })).status,
      ).toBe(200);
      expect((await signIn(user.email, PASSWORD, '198.51.100.30')).status).toBe(401);
      const fresh = await api.login(user.email, 'a-new-password-456');
      expect((await api.http.get('/api/v1/auth/me', { token: fresh })).status).toBe(200);
    });

    it('revokes tokens on an admin password reset, disabling and losing system admin', async () => {
      const user = await api.createUser('reset@kasal.test');
      const patch = (body: Record<string, unknown>) =>
        api.http.patch(`/api/v1/users/${user.id}`, { token: api.adminToken, body });

      expect((await patch({ display_name: 'Renamed' })).status).toBe(200);
      expect((await api.http.get('/api/v1/auth/me', { token: user.token })).status).toBe(200);

      expect((await patch({ password: 'reset-by-admin-789' })).status).toBe(200);
      await revoked(user.token);
      let token = await api.login(user.email, 'reset-by-admin-789');

      expect((await patch({ disabled: true })).status).toBe(200);
      expect((await patch({ disabled: false })).status).toBe(200);
      await revoked(token); // enabling again does not bring old tokens back
      token = await api.login(user.email, 'reset-by-admin-789');

      expect((await patch({ is_system_admin: true })).status).toBe(200);
      expect((await api.http.get('/api/v1/users', { token })).status).toBe(200);
      expect((await patch({ is_system_admin: false })).status).toBe(200);
      await revoked(token);
    });

    it('revokes tokens when a member loses a role or the membership; API keys follow the role', async () => {
      const team = await api.http.post('/api/v1/groups', {
        token: api.adminToken,
        body: { name: 'Revocation team' },
      });
      const groupId: string = team.body.id;
      const member = await api.createUser('demoted@kasal.test');
      await api.addMember(groupId, member, 'operator');
      const key = await api.http.post('/api/v1/auth/api-keys', {
        token: member.token,
        body: { name: 'member key' },
      });
      const apiKey: string = key.body.key;
      const setRole = (role: string) =>
        api.http.patch(`/api/v1/groups/${groupId}/members/${member.id}`, {
          token: api.adminToken,
          body: { role },
        });
      const write = (token: string) =>
        api.http.post('/api/v1/agents', {
          token,
          groupId,
          body: { role: 'Analyst', goal: 'Analyse' },
        });

      // Gaining a permission revokes nothing.
      expect((await setRole('editor')).status).toBe(200);
      expect((await write(member.token)).status).toBe(201);
      expect((await write(apiKey)).status).toBe(201);

      // Losing one revokes the member's tokens; a new sign-in gets the new role only.
      expect((await setRole('viewer')).status).toBe(200);
      await revoked(member.token);
      const viewerToken = await api.login(member.email, PASSWORD);
      expect((await write(viewerToken)).status).toBe(403);
      expect((await api.http.get('/api/v1/agents', { token: viewerToken, groupId })).status).toBe(
        200,
      );
      // The API key still signs in, but with the role the member has now.
      expect((await write(apiKey)).status).toBe(403);

      // Removal: the token is revoked and the key no longer reaches the group.
      expect(
        (
          await api.http.delete(`/api/v1/groups/${groupId}/members/${member.id}`, {
            token: api.adminToken,
          })
        ).status,
      ).toBe(204);
      await revoked(viewerToken);
      expect((await api.http.get('/api/v1/agents', { token: apiKey, groupId })).status).toBe(403);
      const afterRemoval = await api.login(member.email, PASSWORD);
      expect((await api.http.get('/api/v1/agents', { token: afterRemoval, groupId })).status).toBe(
        403,
      );
    });

    it('keeps the tokens of members who leave a group themselves', async () => {
      const team = await api.http.post('/api/v1/groups', {
        token: api.adminToken,
        body: { name: 'Left team' },
      });
      const member = await api.createUser('leaver@kasal.test');
      await api.addMember(team.body.id, member, 'editor');
      const left = await api.http.delete(`/api/v1/groups/${team.body.id}/members/${member.id}`, {
        token: member.token,
      });
      expect(left.status).toBe(204);
      expect((await api.http.get('/api/v1/auth/me', { token: member.token })).status).toBe(200);
    });
  });

  describe('strict token claims', () => {
    it('refuses tokens whose claims have the wrong types, even with a valid signature', async () => {
      const admin = await api.orm.em.fork().findOneOrFail(UserEntity, { email: ADMIN_EMAIL });
      const good = { sub: admin.id, ver: admin.tokenVersion };
      expect(
        (await api.http.get('/api/v1/auth/me', { token: await signedToken(good) })).status,
      ).toBe(200);

      const forged: Record<string, Claims> = {
        'object sub': { ...good, sub: { $ne: null } },
        'numeric sub': { ...good, sub: 42 },
        'sub that is no user id': { ...good, sub: 'admin' },
        'string version': { ...good, ver: '0' },
        'missing version': { sub: admin.id },
        'unknown claim': { ...good, role: 'admin' },
        'string iat': { ...good, iat: 'yesterday' },
        'array email': { ...good, email: ['a@b.c'] },
      };
      for (const [name, claims] of Object.entries(forged)) {
        const response = await api.http.get('/api/v1/auth/me', {
          token: await signedToken(claims),
        });
        expect({ name, status: response.status }).toEqual({ name, status: 401 });
        expect(response.body.error.code).toBe('unauthorized');
      }
      const objectSub = await api.http.get('/api/v1/auth/me', {
        token: await signedToken(forged['object sub'] as Claims),
      });
      expect(objectSub.body.error.message).toContain("claim 'sub' is invalid");
    });
  });

  describe('invitations', () => {
    let owner: TestUser;
    let groupId: string;

    beforeAll(async () => {
      owner = await api.createUser('owner@kasal.test');
      const team = await api.http.post('/api/v1/groups', {
        token: owner.token,
        body: { name: 'Invited team' },
      });
      groupId = team.body.id;
    });

    const invite = (email: string, role = 'editor', token = owner.token) =>
      api.http.post(`/api/v1/groups/${groupId}/invitations`, { token, body: { email, role } });
    const pendingOf = async (token: string) =>
      (await api.http.get('/api/v1/invitations', { token })).body as { id: string }[];

    it('answers the same whether or not the email has an account, and no longer adds directly', async () => {
      const carol = await api.createUser('carol-invite@kasal.test');
      const withAccount = await invite(carol.email);
      const withoutAccount = await invite('no-account-yet@kasal.test');
      expect(withAccount.status).toBe(201);
      expect(withoutAccount.status).toBe(201);
      const shape = (body: Record<string, unknown>) => ({
        ...body,
        id: 'id',
        email: 'email',
        created_at: 'time',
        expires_at: 'time',
      });
      expect(shape(withoutAccount.body)).toEqual(shape(withAccount.body));
      expect(withAccount.body).toMatchObject({
        group_id: groupId,
        group_name: 'Invited team',
        email: carol.email,
        role: 'editor',
        invited_by: owner.email,
      });

      const direct = await api.http.post(`/api/v1/groups/${groupId}/members`, {
        token: owner.token,
        body: { email: carol.email, role: 'editor' },
      });
      expect(direct.status).toBe(404);

      // The invitation waits for whoever gets the account later.
      const later = await api.createUser('no-account-yet@kasal.test');
      expect((await pendingOf(later.token)).map((item) => item.id)).toEqual([
        withoutAccount.body.id,
      ]);
    });

    it('lets the invitee accept: only then are they a member, with the role', async () => {
      const dave = await api.createUser('dave-invite@kasal.test');
      const invited = await invite(dave.email, 'operator');
      expect((await api.http.get(`/api/v1/groups/${groupId}`, { token: dave.token })).status).toBe(
        404,
      );
      const pending = await api.http.get('/api/v1/invitations', { token: dave.token });
      expect(pending.body).toEqual([
        expect.objectContaining({ id: invited.body.id, role: 'operator' }),
      ]);
      // Nobody else can see or answer it.
      expect(await pendingOf(owner.token)).toEqual([]);
      expect(
        (
          await api.http.post(`/api/v1/invitations/${invited.body.id}/accept`, {
            token: owner.token,
          })
        ).status,
      ).toBe(404);

      const accepted = await api.http.post(`/api/v1/invitations/${invited.body.id}/accept`, {
        token: dave.token,
      });
      expect(accepted.status).toBe(200);
      expect(accepted.body).toMatchObject({ id: groupId, role: 'operator', personal: false });
      const members = await api.http.get(`/api/v1/groups/${groupId}/members`, {
        token: dave.token,
      });
      expect(members.body).toEqual(
        expect.arrayContaining([expect.objectContaining({ email: dave.email, role: 'operator' })]),
      );
      expect(await pendingOf(dave.token)).toEqual([]);
      // A member cannot be invited again, and a non-admin member cannot invite or list.
      expect((await invite(dave.email)).status).toBe(409);
      expect((await invite('someone@kasal.test', 'viewer', dave.token)).status).toBe(403);
      expect(
        (await api.http.get(`/api/v1/groups/${groupId}/invitations`, { token: dave.token })).status,
      ).toBe(403);
    });

    it('lets the invitee decline and the group admin revoke', async () => {
      const erin = await api.createUser('erin-invite@kasal.test');
      const declined = await invite(erin.email);
      expect(
        (
          await api.http.post(`/api/v1/invitations/${declined.body.id}/decline`, {
            token: erin.token,
          })
        ).status,
      ).toBe(204);
      expect(await pendingOf(erin.token)).toEqual([]);
      expect(
        (
          await api.http.post(`/api/v1/invitations/${declined.body.id}/accept`, {
            token: erin.token,
          })
        ).status,
      ).toBe(404);

      const revokedInvite = await invite(erin.email, 'viewer');
      const listed = await api.http.get(`/api/v1/groups/${groupId}/invitations`, {
        token: owner.token,
      });
      expect(listed.body.map((item: { id: string }) => item.id)).toContain(revokedInvite.body.id);
      expect(
        (
          await api.http.delete(`/api/v1/groups/${groupId}/invitations/${revokedInvite.body.id}`, {
            token: owner.token,
          })
        ).status,
      ).toBe(204);
      expect(await pendingOf(erin.token)).toEqual([]);
      expect(
        (
          await api.http.post(`/api/v1/invitations/${revokedInvite.body.id}/accept`, {
            token: erin.token,
          })
        ).status,
      ).toBe(404);
      expect((await api.http.get(`/api/v1/groups/${groupId}`, { token: erin.token })).status).toBe(
        404,
      );
    });

    it('never adds the system admin without their acceptance', async () => {
      const invited = await invite(ADMIN_EMAIL, 'viewer');
      expect(invited.status).toBe(201);
      expect(
        (await api.http.get(`/api/v1/groups/${groupId}`, { token: api.adminToken })).status,
      ).toBe(404);
      const accepted = await api.http.post(`/api/v1/invitations/${invited.body.id}/accept`, {
        token: api.adminToken,
      });
      expect(accepted.status).toBe(200);
      expect(
        (await api.http.get(`/api/v1/groups/${groupId}`, { token: api.adminToken })).status,
      ).toBe(200);
    });

    it('lets invitations expire', async () => {
      const frank = await api.createUser('frank-invite@kasal.test');
      const invited = await invite(frank.email);
      await api.orm.em
        .fork()
        .nativeUpdate(
          GroupInvitationEntity,
          { id: invited.body.id },
          { expiresAt: new Date(Date.now() - 1000) },
        );
      expect(await pendingOf(frank.token)).toEqual([]);
      expect(
        (
          await api.http.post(`/api/v1/invitations/${invited.body.id}/accept`, {
            token: frank.token,
          })
        ).status,
      ).toBe(404);
      // Inviting again renews it.
      const renewed = await invite(frank.email);
      expect(renewed.status).toBe(201);
      expect(renewed.body.id).toBe(invited.body.id);
      expect((await pendingOf(frank.token)).map((item) => item.id)).toEqual([invited.body.id]);
    });
  });

  describe('password policy', () => {
    it('refuses short and common passwords, naming the rule', async () => {
      const create = (password: string) =>
        api.http.post('/api/v1/users', {
          token: api.adminToken,
          body: { email: 'policy@kasal.test', password },
        });
      const common = {
        path: 'password',
        message: 'is one of the most common passwords; choose one that is harder to guess',
      };
      const short = await create('password');
      expect(short.status).toBe(400);
      expect(short.body.error.message).toContain('password: must be at least 12 characters');
      expect(short.body.error.details.fields).toEqual([
        { path: 'password', message: 'must be at least 12 characters' },
        common,
      ]);
      for (const password of ['password1234', 'QWERTY123456']) {
        const refused = await create(password);
        expect(refused.status).toBe(400);
        expect(refused.body.error.details.fields).toEqual([common]);
      }
      expect((await create('correct horse battery')).status).toBe(201);

      const user = await api.createUser('policy-change@kasal.test');
      const change = await api.http.post('/api/v1/auth/password', {
        token: user.token,
        body: { current_password: PASSWORD, new_password: 'qwertyuiop123' },
      });
      expect(change.status).toBe(400);
      expect(change.body.error.details.fields[0].path).toBe('new_password');
      const reset = await api.http.patch(`/api/v1/users/${user.id}`, {
        token: api.adminToken,
        body: { password: 'too-short' },
      });
      expect(reset.status).toBe(400);
      expect(reset.body.error.message).toContain('password: must be at least 12 characters');
    });
  });

  describe('password hashing', () => {
    it('rehashes a hash made with the old scrypt parameters on the next sign-in', async () => {
      const user = await api.createUser('old-hash@kasal.test');
      const salt = randomBytes(16);
      const oldKey = scryptSync(PASSWORD, salt, 64, { N: 2 ** 14, r: 8, p: 1 });
      const oldHash = [
        'scrypt',
        16384,
        8,
        1,
        salt.toString('base64url'),
        oldKey.toString('base64url'),
      ].join('$');
      await api.orm.em.fork().nativeUpdate(UserEntity, { id: user.id }, { passwordHash: oldHash });

      await api.login(user.email, PASSWORD);
      const stored = await api.orm.em.fork().findOneOrFail(UserEntity, { id: user.id });
      expect(stored.passwordHash).not.toBe(oldHash);
      expect(stored.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
      // The new hash verifies the same password, and nothing else changed for the user.
      await api.login(user.email, PASSWORD);
      expect((await api.http.get('/api/v1/auth/me', { token: user.token })).status).toBe(200);
    });
  });
});
