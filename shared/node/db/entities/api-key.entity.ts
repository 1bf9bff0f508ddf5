import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

/** A machine client's key. Only its SHA-256 is stored; the key itself is shown once. */
export const ApiKeyEntity = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: uuidPrimaryKey(),
    userId: p.uuid().index(),
    name: p.string().length(200),
    /** The first characters of the key, so people can tell their keys apart. */
    prefix: p.string().length(32),
    keyHash: p.string().length(64).unique().hidden(),
    expiresAt: p.datetime().nullable(),
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
    ...timestamps(),
  },
});

export type ApiKey = InferEntity<typeof ApiKeyEntity>;
