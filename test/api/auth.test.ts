/** Sign-in and credential checks: real signed JWTs, API keys, and an external identity provider. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK } from 'jose';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  TEST_JWT_SECRET,
  startApi,
  type ApiHarness,
} from '../support/api-harness';

const secret = new TextEncoder().encode(TEST_JWT_SECRET);

async function kasalToken(
  subject: string,
  options: { expiresAt?: number; key?: Uint8Array; issuer?: string; audience?: string } = {},
) {
  // `ver` 0: the token version of a user whose tokens were never revoked.
  return new SignJWT({ ver: 0 })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer(options.issuer ?? 'kasal')
    .setAudience(options.audience ?? 'kasal-api')
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? '1h')
    .sign(options.key ?? secret);
}

/** Serves a JWKS over real HTTP, as an identity provider does. */
async function startJwksServer(jwk: JWK): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`, server };
}

describe('authentication', () => {
  let api: ApiHarness;
  let adminId: string;
  let jwks: { url: string; server: Server };
  let idpKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    idpKey = privateKey;
    jwks = await startJwksServer({ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256' });
    api = await startApi('postgres', {
      JWKS_URL: jwks.url,
      JWKS_ISSUER: 'https://idp.example.test',
      JWKS_AUDIENCE: 'kasal',
    });
    adminId = (await api.http.get('/api/v1/auth/me', { token: api.adminToken })).body.user.id;
  });
  afterAll(async () => {
    await api.close();
    jwks.server.close();
  });

  it('logs in with the right password and returns a bearer token', async () => {
    const response = await api.http.post('/api/v1/auth/login', {
      body: { email: ADMIN_EMAIL.toUpperCase(), password: ADMIN_PASSWORD },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    const me = await api.http.get('/api/v1/auth/me', { token: response.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: ADMIN_EMAIL, is_system_admin: true });
    expect(me.body.user).not.toHaveProperty('password_hash');
    expect(me.body.groups).toEqual([expect.objectContaining({ personal: true, role: 'admin' })]);
  });

  it('rejects a wrong password and an unknown email alike', async () => {
    for (const body of [
      { email: ADMIN_EMAIL, password: 'wrong-password' },
      { email: 'nobody@kasal.test', password: ADMIN_PASSWORD },
    ]) {
      const response = await api.http.post('/api/v1/auth/login', { body });
      expect(response.status).toBe(401);
      expect(response.body.error).toEqual({
        code: 'unauthorized',
        message: 'Invalid email or password',
      });
    }
  });

  it('requires credentials', async () => {
    const response = await api.http.get('/api/v1/agents');
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('unauthorized');
  });

  it('rejects expired, wrongly signed, wrongly addressed and unsigned tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = {
      expired: await kasalToken(adminId, { expiresAt: now - 10 }),
      'wrong key': await kasalToken(adminId, { key: new TextEncoder().encode('x'.repeat(48)) }),
      'wrong audience': await kasalToken(adminId, { audience: 'someone-else' }),
      'alg none': new UnsecuredJWT({ sub: adminId })
        .setIssuer('kasal')
        .setAudience('kasal-api')
        .setExpirationTime('1h')
        .encode(),
      garbage: 'not.a.jwt',
    };
    const messages: Record<string, string> = {};
    for (const [name, token] of Object.entries(bad)) {
      const response = await api.http.get('/api/v1/auth/me', { token });
      expect({ name, status: response.status }).toEqual({ name, status: 401 });
      messages[name] = response.body.error.message;
    }
    expect(messages.expired).toContain('expired');
    expect(messages['wrong key']).toContain('signature');

    const good = await kasalToken(adminId);
    expect((await api.http.get('/api/v1/auth/me', { token: good })).status).toBe(200);
  });

  it('creates API keys that are shown once, work, and stop working when revoked', async () => {
    const created = await api.http.post('/api/v1/auth/api-keys', {
      token: api.adminToken,
      body: { name: 'ci', expires_in_days: 30 },
    });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^kasal_/);

    const listed = await api.http.get('/api/v1/auth/api-keys', { token: api.adminToken });
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect(listed.body[0]).toMatchObject({ name: 'ci', prefix: key.slice(0, 12) });

    expect((await api.http.get('/api/v1/agents', { token: key })).status).toBe(200);
    expect((await api.http.get('/api/v1/agents', { headers: { 'x-api-key': key } })).status).toBe(
      200,
    );

    const revoked = await api.http.delete(`/api/v1/auth/api-keys/${created.body.id}`, {
      token: api.adminToken,
    });
    expect(revoked.status).toBe(204);
    const after = await api.http.get('/api/v1/agents', { token: key });
    expect(after.status).toBe(401);
    expect((await api.http.get('/api/v1/agents', { token: 'kasal_made-up' })).status).toBe(401);
  });

  it('accepts tokens from the external identity provider and provisions the user', async () => {
    const token = await new SignJWT({ email: 'Ada@Example.test', name: 'Ada' })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setSubject('idp|ada')
      .setIssuer('https://idp.example.test')
      .setAudience('kasal')
      .setExpirationTime('10m')
      .sign(idpKey);
    const me = await api.http.get('/api/v1/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({
      email: 'ada@example.test',
      auth_provider: 'external',
      display_name: 'Ada',
    });
    expect((await api.http.get('/api/v1/agents', { token })).status).toBe(200);

    // The same key, but a token for another audience, is refused.
    const wrongAudience = await new SignJWT({ email: 'ada@example.test' })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setSubject('idp|ada')
      .setIssuer('https://idp.example.test')
      .setAudience('not-kasal')
      .setExpirationTime('10m')
      .sign(idpKey);
    expect((await api.http.get('/api/v1/auth/me', { token: wrongAudience })).status).toBe(401);
  });

  it('never lets an identity-provider token take over a password account', async () => {
    const idpToken = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
        .setSubject('idp|mallory')
        .setIssuer('https://idp.example.test')
        .setAudience('kasal')
        .setExpirationTime('10m')
        .sign(idpKey);
    const takeover = await api.http.get('/api/v1/auth/me', {
      token: await idpToken({ email: ADMIN_EMAIL }),
    });
    expect(takeover.status).toBe(401);
    expect(takeover.body.error.message).toContain('signs in with a password');
    const unverified = await api.http.get('/api/v1/auth/me', {
      token: await idpToken({ email: 'new@example.test', email_verified: false }),
    });
    expect(unverified.status).toBe(401);
    expect(unverified.body.error.message).toContain('not verified');
  });

  it('refuses disabled users', async () => {
    const user = await api.createUser('disabled@kasal.test');
    const disabled = await api.http.patch(`/api/v1/users/${user.id}`, {
      token: api.adminToken,
      body: { disabled: true },
    });
    expect(disabled.status).toBe(200);
    expect((await api.http.get('/api/v1/auth/me', { token: user.token })).status).toBe(401);
    const login = await api.http.post('/api/v1/auth/login', {
      body: { email: 'disabled@kasal.test', password: 'user-password-123' },
    });
    expect(login.status).toBe(401);
  });
});
