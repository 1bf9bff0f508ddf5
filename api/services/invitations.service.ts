/**
 * Group invitations: a group admin invites an email with a role; whoever signs in with that
 * email sees the invitation and accepts (becoming a member) or declines. Nobody joins a group
 * without saying yes, and inviting answers the same whether or not the email has an account.
 */
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import {
  GroupEntity,
  GroupInvitationEntity,
  GroupMembershipEntity,
  UserEntity,
  type GroupInvitation,
  type User,
} from '../../shared/node/db/entities';
import type { GroupRole } from '../../shared/roles';
import { conflict, notFound } from '../http/errors';
import { membershipOf, serializeGroup } from './groups.service';
import { iso } from './serialize';

/** Invites `email`, or renews (new role, new expiry) the invitation it already has. */
export async function invite(
  em: EntityManager,
  request: { groupId: string; email: string; role: GroupRole; invitedBy: string; ttlMs: number },
) {
  const email = request.email.toLowerCase();
  const user = await em.findOne(UserEntity, { email });
  if (user && (await membershipOf(em, request.groupId, user.id))) {
    throw conflict(`'${email}' is already a member of this group`);
  }
  const terms = {
    role: request.role,
    invitedBy: request.invitedBy,
    expiresAt: new Date(Date.now() + request.ttlMs),
  };
  const existing = await em.findOne(GroupInvitationEntity, { groupId: request.groupId, email });
  const invitation = existing
    ? Object.assign(existing, terms)
    : em.create(GroupInvitationEntity, { groupId: request.groupId, email, ...terms });
  try {
    await em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw conflict(`'${email}' was invited by someone else at the same moment; try again`);
    }
    throw error;
  }
  const [serialized] = await serializeInvitations(em, [invitation]);
  return serialized as NonNullable<typeof serialized>;
}

/** A group's invitations that still wait for an answer. */
export async function listGroupInvitations(em: EntityManager, groupId: string) {
  return serializeInvitations(
    em,
    await em.find(
      GroupInvitationEntity,
      { groupId, expiresAt: { $gt: new Date() } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    ),
  );
}

export async function revokeInvitation(
  em: EntityManager,
  groupId: string,
  invitationId: string,
): Promise<void> {
  const deleted = await em.nativeDelete(GroupInvitationEntity, { id: invitationId, groupId });
  if (!deleted) throw notFound('Invitation', invitationId);
}

/** The invitations waiting for the user (addressed to their email, not expired). */
export async function listInvitationsFor(em: EntityManager, user: User) {
  return serializeInvitations(
    em,
    await em.find(
      GroupInvitationEntity,
      { email: user.email, expiresAt: { $gt: new Date() } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    ),
  );
}

/** Joins the group with the invitation's role; returns the group as the new member sees it. */
export async function acceptInvitation(em: EntityManager, user: User, invitationId: string) {
  return em.transactional(async (tx) => {
    const invitation = await pendingInvitationOf(tx, user, invitationId);
    const group = await tx.findOne(GroupEntity, { id: invitation.groupId });
    if (!group) throw notFound('Invitation', invitationId);
    if (await membershipOf(tx, group.id, user.id)) {
      throw conflict('You are already a member of this group');
    }
    tx.create(GroupMembershipEntity, { groupId: group.id, userId: user.id, role: invitation.role });
    tx.remove(invitation);
    await tx.flush();
    return serializeGroup(group, invitation.role);
  });
}

export async function declineInvitation(
  em: EntityManager,
  user: User,
  invitationId: string,
): Promise<void> {
  const invitation = await pendingInvitationOf(em, user, invitationId);
  em.remove(invitation);
  await em.flush();
}

/** Someone else's invitation, or an expired one, is not found. */
async function pendingInvitationOf(
  em: EntityManager,
  user: User,
  invitationId: string,
): Promise<GroupInvitation> {
  const invitation = await em.findOne(GroupInvitationEntity, {
    id: invitationId,
    email: user.email,
    expiresAt: { $gt: new Date() },
  });
  if (!invitation) throw notFound('Invitation', invitationId);
  return invitation;
}

async function serializeInvitations(em: EntityManager, invitations: GroupInvitation[]) {
  const groups = await em.find(GroupEntity, { id: { $in: invitations.map((i) => i.groupId) } });
  const inviters = await em.find(UserEntity, { id: { $in: invitations.map((i) => i.invitedBy) } });
  const groupName = new Map(groups.map((group) => [group.id, group.name]));
  const inviterEmail = new Map(inviters.map((inviter) => [inviter.id, inviter.email]));
  return invitations.map((invitation) => ({
    id: invitation.id,
    group_id: invitation.groupId,
    group_name: groupName.get(invitation.groupId) ?? '',
    email: invitation.email,
    role: invitation.role,
    invited_by: inviterEmail.get(invitation.invitedBy) ?? null,
    created_at: iso(invitation.createdAt),
    expires_at: iso(invitation.expiresAt),
  }));
}
