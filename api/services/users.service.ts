/** Users and their personal groups. */
import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import {
  ApiKeyEntity,
  GroupEntity,
  GroupMembershipEntity,
  UserEntity,
  type User,
} from '../../shared/node/db/entities';
import { hashPassword } from '../../shared/node/auth/passwords';
import { conflict, notFound } from '../http/errors';
import type { GroupDeletion } from './group-deletion';
import { deleteGroupContents } from './groups.service';
import { iso } from './serialize';
import { revokeTokens } from './token-revocation';

export interface NewUser {
  email: string;
  displayName?: string | undefined;
  password?: string | undefined;
  isSystemAdmin?: boolean;
  authProvider?: 'local' | 'external';
}

const WORKSPACE_SUFFIX = "'s workspace";
/** As long as a group's name may be (the column and `NameSchema`). */
const GROUP_NAME_MAX = 200;

/** "Ada's workspace", with a display name as long as it may be cut to fit a group's name. */
function personalGroupName(displayName: string): string {
  return `${displayName.slice(0, GROUP_NAME_MAX - WORKSPACE_SUFFIX.length)}${WORKSPACE_SUFFIX}`;
}

/** Creates the user, their personal group and their admin membership in one transaction. */
export async function createUser(em: EntityManager, input: NewUser): Promise<User> {
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  try {
    return await em.transactional(async (tx) => {
      const user = tx.create(UserEntity, {
        email: input.email.toLowerCase(),
        displayName: input.displayName ?? input.email.split('@')[0] ?? input.email,
        passwordHash,
        isSystemAdmin: input.isSystemAdmin ?? false,
        authProvider: input.authProvider ?? 'local',
      });
      await tx.flush();
      const group = tx.create(GroupEntity, {
        name: personalGroupName(user.displayName),
        personalOwnerId: user.id,
      });
      await tx.flush();
      tx.create(GroupMembershipEntity, { groupId: group.id, userId: user.id, role: 'admin' });
      await tx.flush();
      return user;
    });
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw conflict(`A user with email '${input.email}' already exists`);
    }
    throw error;
  }
}

export async function getUser(em: EntityManager, id: string): Promise<User> {
  const user = await em.findOne(UserEntity, { id });
  if (!user) throw notFound('User', id);
  return user;
}

export async function personalGroupId(em: EntityManager, userId: string): Promise<string> {
  const group = await em.findOne(GroupEntity, { personalOwnerId: userId });
  if (!group) throw new Error(`user ${userId} has no personal group`);
  return group.id;
}

export interface UserChanges {
  display_name?: string | undefined;
  password?: string | undefined;
  is_system_admin?: boolean | undefined;
  disabled?: boolean | undefined;
}

/** Applies an administrator's changes; a new password, a lost admin flag or disabling revoke. */
export async function updateUser(em: EntityManager, id: string, changes: UserChanges) {
  const user = await getUser(em, id);
  const revokes =
    changes.password !== undefined ||
    (changes.is_system_admin === false && user.isSystemAdmin) ||
    (changes.disabled === true && !user.disabled);
  if (changes.display_name !== undefined) user.displayName = changes.display_name;
  if (changes.password !== undefined) user.passwordHash = await hashPassword(changes.password);
  if (changes.is_system_admin !== undefined) user.isSystemAdmin = changes.is_system_admin;
  if (changes.disabled !== undefined) user.disabled = changes.disabled;
  if (revokes) revokeTokens(user);
  await em.flush();
  return user;
}

/** Deletes the user with their personal group (and all it owns), memberships and keys. */
export async function deleteUser(
  em: EntityManager,
  id: string,
  groups: GroupDeletion,
): Promise<void> {
  const removed = await em.transactional(async (tx) => {
    const user = await getUser(tx, id);
    const personal = await tx.findOne(GroupEntity, { personalOwnerId: id });
    // A shared group must keep an admin.
    for (const membership of await tx.find(GroupMembershipEntity, { userId: id, role: 'admin' })) {
      if (membership.groupId === personal?.id) continue;
      const admins = await tx.count(GroupMembershipEntity, {
        groupId: membership.groupId,
        role: 'admin',
      });
      if (admins <= 1) {
        throw conflict(
          `${user.email} is the last admin of group '${membership.groupId}'; name another first`,
        );
      }
    }
    const removed = personal ? await deleteGroupContents(tx, personal.id) : undefined;
    await tx.nativeDelete(GroupMembershipEntity, { userId: id });
    await tx.nativeDelete(ApiKeyEntity, { userId: id });
    tx.remove(user);
    await tx.flush();
    return removed;
  });
  if (removed) await groups.afterCommit(em, removed);
}

export function serializeUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    display_name: user.displayName,
    is_system_admin: user.isSystemAdmin,
    auth_provider: user.authProvider,
    disabled: user.disabled,
    last_login_at: iso(user.lastLoginAt),
    created_at: iso(user.createdAt),
    updated_at: iso(user.updatedAt),
  };
}
