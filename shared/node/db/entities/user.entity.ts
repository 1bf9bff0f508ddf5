import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'users',
  properties: {
    id: uuidPrimaryKey(),
    email: p.string().length(320).unique(),
    displayName: p.string().length(200),
    /** scrypt hash; null for users who only sign in through an external identity provider. */
    passwordHash: p.string().length(512).nullable().hidden(),
    isSystemAdmin: p.boolean().default(false),
    authProvider: p.enum(['local', 'external'] as const).default('local'),
    disabled: p.boolean().default(false),
    lastLoginAt: p.datetime().nullable(),
    /**
     * Carried in every token Kasal issues (`ver`); raising it revokes them all. Raised when the
     * password changes, the account is disabled, or the user loses a role or a membership.
     */
    tokenVersion: p.integer().default(0),
    ...timestamps(),
  },
});

export type User = InferEntity<typeof UserEntity>;
