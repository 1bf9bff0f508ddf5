/** Groups (workspaces), memberships and roles. */
import type { EntityManager } from '@mikro-orm/core';
import {
  ExecutionBlobEntity,
  ExecutionEntity,
  ExecutionTaskEntity,
  GroupEntity,
  GroupMembershipEntity,
  ScheduleEntity,
  UserEntity,
  type Group,
  type GroupMembership,
} from '../../shared/node/db/entities';
import { FINAL_STATUSES } from '../../shared/plan/execution-state';
import { losesPermissions, type GroupRole } from '../../shared/roles';
import { conflict, forbidden, notFound } from '../http/errors';
import { iso } from './serialize';
import { revokeTokens } from './token-revocation';

export async function membershipOf(
  em: EntityManager,
  groupId: string,
  userId: string,
): Promise<GroupMembership | null> {
  return em.findOne(GroupMembershipEntity, { groupId, userId });
}

/** The group with the caller's membership; 404 when the caller is not a member. */
export async function groupForMember(em: EntityManager, groupId: string, userId: string) {
  const membership = await membershipOf(em, groupId, userId);
  const group = membership && (await em.findOne(GroupEntity, { id: groupId }));
  if (!membership || !group) throw notFound('Group', groupId);
  return { group, membership };
}

/** Like groupForMember, but the caller must be the group's admin (403 otherwise). */
export async function groupForAdmin(em: EntityManager, groupId: string, userId: string) {
  const found = await groupForMember(em, groupId, userId);
  if (found.membership.role !== 'admin') {
    throw forbidden('Only an admin of the group can do this');
  }
  return found;
}

export async function listGroupsOf(em: EntityManager, userId: string) {
  const memberships = await em.find(GroupMembershipEntity, { userId });
  const groups = await em.find(
    GroupEntity,
    { id: { $in: memberships.map((m) => m.groupId) } },
    { orderBy: { createdAt: 'asc' } },
  );
  const roleOf = new Map(memberships.map((m) => [m.groupId, m.role]));
  return groups.map((group) => serializeGroup(group, roleOf.get(group.id) ?? 'viewer'));
}

export async function createGroup(em: EntityManager, name: string, creatorId: string) {
  return em.transactional(async (tx) => {
    const group = tx.create(GroupEntity, { name, personalOwnerId: null });
    await tx.flush();
    tx.create(GroupMembershipEntity, { groupId: group.id, userId: creatorId, role: 'admin' });
    await tx.flush();
    return group;
  });
}

/** What a deleted group leaves outside the database, removed once the deletion has committed. */
export interface RemovedGroup {
  groupId: string;
  /** Its stored texts in the object store. */
  objectKeys: string[];
}

/** Execution ids per statement, well below every database's limit on parameters. */
const ID_BATCH = 500;

/**
 * Removes a group with every row it owns: each entity with a group id (definitions, model
 * configs, tool settings, MCP servers, webhooks, executions with their events, approvals, stored
 * texts and conversations, memberships) and the tasks of its executions. Its schedules are
 * marked for deletion, so they start no more runs; their Temporal side goes after the commit.
 * Call inside a transaction. A 409 while one of its executions has not finished: its workflow
 * would go on writing into the deleted group.
 */
export async function deleteGroupContents(
  em: EntityManager,
  groupId: string,
): Promise<RemovedGroup> {
  const unfinished = await em.count(ExecutionEntity, {
    groupId,
    status: { $nin: [...FINAL_STATUSES] },
  });
  if (unfinished > 0) {
    throw conflict(
      `The group has ${unfinished} executions that have not finished: stop them before deleting it`,
      { unfinished_executions: unfinished },
    );
  }
  const blobs = await em.find(
    ExecutionBlobEntity,
    { groupId, objectKey: { $ne: null } },
    { fields: ['objectKey'] },
  );
  const executions = await em.find(ExecutionEntity, { groupId }, { fields: ['id'] });
  for (let start = 0; start < executions.length; start += ID_BATCH) {
    const ids = executions.slice(start, start + ID_BATCH).map((execution) => execution.id);
    await em.nativeDelete(ExecutionTaskEntity, { executionId: { $in: ids } });
  }
  await em.nativeUpdate(ScheduleEntity, { groupId }, { syncState: 'deleting' });
  for (const meta of em.getMetadata().getAll().values()) {
    if (meta.properties.groupId && meta.class !== ScheduleEntity.class) {
      await em.nativeDelete(meta.class, { groupId });
    }
  }
  await em.nativeDelete(GroupEntity, { id: groupId });
  return { groupId, objectKeys: blobs.map((blob) => blob.objectKey as string) };
}

export async function listMembers(em: EntityManager, groupId: string) {
  const memberships = await em.find(
    GroupMembershipEntity,
    { groupId },
    { orderBy: { createdAt: 'asc' } },
  );
  const users = await em.find(UserEntity, { id: { $in: memberships.map((m) => m.userId) } });
  const byId = new Map(users.map((user) => [user.id, user]));
  return memberships.flatMap((membership) => {
    const user = byId.get(membership.userId);
    return user
      ? [
          {
            user_id: user.id,
            email: user.email,
            display_name: user.displayName,
            role: membership.role,
            added_at: iso(membership.createdAt),
          },
        ]
      : [];
  });
}

/**
 * Changes or removes a membership, refusing to leave a group without an admin. A member who
 * loses a permission through someone else has their tokens revoked, so whoever holds one signs
 * in again to the rights the member has now (members leaving or stepping down keep theirs).
 */
export async function changeMember(
  em: EntityManager,
  change: { groupId: string; userId: string; role: GroupRole | null; actorId: string },
): Promise<void> {
  const { groupId, userId, role } = change;
  await em.transactional(async (tx) => {
    const membership = await membershipOf(tx, groupId, userId);
    if (!membership) throw notFound('Member', userId);
    if (membership.role === 'admin' && role !== 'admin') {
      const admins = await tx.count(GroupMembershipEntity, { groupId, role: 'admin' });
      if (admins <= 1) throw conflict('A group must keep at least one admin');
    }
    if (change.actorId !== userId && losesPermissions(membership.role, role)) {
      revokeTokens(await tx.findOneOrFail(UserEntity, { id: userId }));
    }
    if (role === null) tx.remove(membership);
    else membership.role = role;
    await tx.flush();
  });
}

export function serializeGroup(group: Group, role: GroupRole) {
  return {
    id: group.id,
    name: group.name,
    personal: group.personalOwnerId !== null && group.personalOwnerId !== undefined,
    role,
    created_at: iso(group.createdAt),
    updated_at: iso(group.updatedAt),
  };
}
