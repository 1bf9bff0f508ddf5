/** API keys belong to a user and act as that user. */
import type { EntityManager } from '@mikro-orm/core';
import { ApiKeyEntity, type ApiKey } from '../../shared/node/db/entities';
import { generateApiKey } from '../../shared/node/auth/api-keys';
import { notFound } from '../http/errors';
import { iso } from './serialize';

const DAY_MS = 86_400_000;

export async function createApiKey(
  em: EntityManager,
  userId: string,
  name: string,
  expiresInDays?: number,
) {
  const { key, prefix, hash } = generateApiKey();
  const apiKey = em.create(ApiKeyEntity, {
    userId,
    name,
    prefix,
    keyHash: hash,
    expiresAt: expiresInDays ? new Date(Date.now() + expiresInDays * DAY_MS) : null,
  });
  await em.flush();
  return { ...serializeApiKey(apiKey), key };
}

export async function listApiKeys(em: EntityManager, userId: string) {
  const keys = await em.find(ApiKeyEntity, { userId }, { orderBy: { createdAt: 'desc' } });
  return keys.map(serializeApiKey);
}

export async function revokeApiKey(em: EntityManager, userId: string, id: string): Promise<void> {
  const apiKey = await em.findOne(ApiKeyEntity, { id, userId });
  if (!apiKey) throw notFound('API key', id);
  apiKey.revokedAt ??= new Date();
  await em.flush();
}

export function serializeApiKey(apiKey: ApiKey) {
  return {
    id: apiKey.id,
    name: apiKey.name,
    prefix: apiKey.prefix,
    created_at: iso(apiKey.createdAt),
    expires_at: iso(apiKey.expiresAt),
    last_used_at: iso(apiKey.lastUsedAt),
    revoked_at: iso(apiKey.revokedAt),
  };
}
