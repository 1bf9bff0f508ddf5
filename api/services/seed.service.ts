/** First start: makes sure the configured admin exists. */
import type { EntityManager } from '@mikro-orm/core';
import { UserEntity } from '../../shared/node/db/entities';
import { generatePassword } from '../../shared/node/auth/passwords';
import { createUser } from './users.service';

export interface SeedResult {
  email: string;
  created: boolean;
  /** Set only when the admin was created just now with a generated password. */
  generatedPassword?: string;
}

export async function ensureAdmin(
  em: EntityManager,
  admin: { email: string; password?: string },
): Promise<SeedResult> {
  const email = admin.email.toLowerCase();
  if (await em.findOne(UserEntity, { email })) return { email, created: false };
  const password = admin.password ?? generatePassword();
  await createUser(em, { email, password, displayName: 'Administrator', isSystemAdmin: true });
  return { email, created: true, ...(!admin.password && { generatedPassword: password }) };
}
