/** Signing in, and turning a bearer token or API key into a user. */
import type { EntityManager } from '@mikro-orm/core';
import { UserEntity, ApiKeyEntity, type User } from '../../shared/node/db/entities';
import { hashApiKey, looksLikeApiKey } from '../../shared/node/auth/api-keys';
import { hashPassword, needsRehash, verifyPassword } from '../../shared/node/auth/passwords';
import { InvalidTokenError, type TokenService } from '../../shared/node/auth/tokens';
import { conflict, unauthorized, validationError } from '../http/errors';
import type { AuthContext } from '../http/request-context';
import type { LoginThrottle } from './login-throttle';
import { revokeTokens } from './token-revocation';
import { createUser } from './users.service';

export interface SignInDeps {
  tokens: TokenService;
  throttle: LoginThrottle;
}

let decoy: Promise<string> | undefined;
/** Compared against when the email is unknown, so timing does not reveal which emails exist. */
const decoyHash = () => (decoy ??= hashPassword('kasal-decoy-password'));

export async function login(
  em: EntityManager,
  deps: SignInDeps,
  credentials: { email: string; password: string; address: string | undefined },
) {
  const email = credentials.email.toLowerCase();
  const attempt = await deps.throttle.begin(em, { email, address: credentials.address });
  const user = await em.findOne(UserEntity, { email });
  const valid = user?.passwordHash
    ? await verifyPassword(credentials.password, user.passwordHash)
    : await verifyPassword(credentials.password, await decoyHash()).then(() => false);
  if (!user?.passwordHash || !valid || user.disabled) {
    throw unauthorized('Invalid email or password');
  }
  await attempt.succeeded();
  // Hashes made with older parameters are replaced while the password is at hand.
  if (needsRehash(user.passwordHash)) user.passwordHash = await hashPassword(credentials.password);
  user.lastLoginAt = new Date();
  await em.flush();
  return tokenResponse(deps.tokens, user);
}

/**
 * Changes the caller's own password, checking the current one (throttled like sign-in), and
 * revokes every token issued before; the answer carries a new one.
 */
export async function changeOwnPassword(
  em: EntityManager,
  deps: SignInDeps,
  user: User,
  change: { currentPassword: string; newPassword: string; address: string | undefined },
) {
  if (!user.passwordHash) {
    throw conflict('This account signs in through the identity provider and has no password');
  }
  const attempt = await deps.throttle.begin(em, { email: user.email, address: change.address });
  if (!(await verifyPassword(change.currentPassword, user.passwordHash))) {
    throw validationError('password change', [
      { path: 'current_password', message: 'is not your current password' },
    ]);
  }
  await attempt.succeeded();
  user.passwordHash = await hashPassword(change.newPassword);
  revokeTokens(user);
  await em.flush();
  return tokenResponse(deps.tokens, user);
}

async function tokenResponse(tokens: TokenService, user: User) {
  const { token, expiresIn } = await tokens.issue(user);
  return { access_token: token, token_type: 'bearer' as const, expires_in: expiresIn };
}

/** Reads `Authorization: Bearer …` (a JWT or an API key) or `X-API-Key`. */
export function credentialsFrom(headers: {
  authorization?: string | undefined;
  'x-api-key'?: string | string[] | undefined;
}): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return match?.[1];
}

export async function authenticate(
  em: EntityManager,
  tokens: TokenService,
  credential: string | undefined,
): Promise<AuthContext> {
  if (!credential) throw unauthorized('Authentication required: send a bearer token or API key');
  if (looksLikeApiKey(credential)) return authenticateApiKey(em, credential);

  let verified;
  try {
    verified = await tokens.verify(credential);
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthorized(`Invalid token: ${error.message}`);
    throw error;
  }
  if (verified.source === 'external') {
    const user = await externalUser(em, verified.email, verified.name);
    return { user: activeUser(user), method: 'external_jwt' };
  }
  const user = activeUser(await em.findOne(UserEntity, { id: verified.subject }));
  if (user.tokenVersion !== verified.version) {
    throw unauthorized(
      'Invalid token: it was revoked when the password, roles or status of the account changed; sign in again',
    );
  }
  return { user, method: 'jwt' };
}

async function authenticateApiKey(em: EntityManager, key: string): Promise<AuthContext> {
  const apiKey = await em.findOne(ApiKeyEntity, { keyHash: hashApiKey(key) });
  const now = new Date();
  if (!apiKey || apiKey.revokedAt || (apiKey.expiresAt && apiKey.expiresAt <= now)) {
    throw unauthorized('Invalid, revoked or expired API key');
  }
  const user = activeUser(await em.findOne(UserEntity, { id: apiKey.userId }));
  // Record use at most once a minute, so authenticated reads are not all writes.
  if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > 60_000) {
    apiKey.lastUsedAt = now;
    await em.flush();
  }
  return { user, method: 'api_key' };
}

function activeUser(user: User | null): User {
  if (!user || user.disabled)
    throw unauthorized('The account behind this credential is not active');
  return user;
}

/**
 * Users of the external identity provider get an account on first sign-in. An account created
 * with a password is never taken over by a token that merely carries the same email.
 */
async function externalUser(em: EntityManager, email: string, name?: string): Promise<User | null> {
  const existing = await em.findOne(UserEntity, { email });
  if (existing?.authProvider === 'local') {
    throw unauthorized(`The account ${email} signs in with a password, not the identity provider`);
  }
  if (existing) return existing;
  await createUser(em, { email, displayName: name, authProvider: 'external' });
  return em.findOne(UserEntity, { email });
}
