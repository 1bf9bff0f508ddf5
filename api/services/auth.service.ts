/** Signing in, and turning a bearer token or API key into a user. */
import type { EntityManager } from '@mikro-orm/core';
import { UserEntity, ApiKeyEntity, type User } from '../../shared/node/db/entities';
import { hashApiKey, looksLikeApiKey } from '../../shared/node/auth/api-keys';
import { hashPassword, verifyPassword } from '../../shared/node/auth/passwords';
import { InvalidTokenError, type TokenService } from '../../shared/node/auth/tokens';
import { unauthorized } from '../http/errors';
import type { AuthContext } from '../http/request-context';
import { createUser } from './users.service';

/** Compared against when the email is unknown, so timing does not reveal which emails exist. */
const decoyHash = hashPassword('kasal-decoy-password');

export async function login(
  em: EntityManager,
  tokens: TokenService,
  email: string,
  password: string,
) {
  const user = await em.findOne(UserEntity, { email: email.toLowerCase() });
  const valid = user?.passwordHash
    ? await verifyPassword(password, user.passwordHash)
    : await verifyPassword(password, await decoyHash).then(() => false);
  if (!user || !valid || user.disabled) throw unauthorized('Invalid email or password');
  user.lastLoginAt = new Date();
  await em.flush();
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
    const user = await externalUser(em, verified.email as string, verified.name);
    return { user: activeUser(user), method: 'external_jwt' };
  }
  const user = await em.findOne(UserEntity, { id: verified.subject });
  return { user: activeUser(user), method: 'jwt' };
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
