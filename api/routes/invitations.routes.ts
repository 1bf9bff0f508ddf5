/**
 * Invitations: group admins invite by email (`/groups/{id}/invitations`); the invitee answers
 * (`/invitations`). Joining a group always takes the invitee's yes.
 */
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import {
  GroupSchema,
  IdParamsSchema,
  InvitationParamsSchema,
  InvitationSchema,
  InviteRequestSchema,
} from '../schemas/identity.schema';
import { groupForAdmin } from '../services/groups.service';
import {
  acceptInvitation,
  declineInvitation,
  invite,
  listGroupInvitations,
  listInvitationsFor,
  revokeInvitation,
} from '../services/invitations.service';

export function addInvitationsRoutes(
  endpoints: EndpointRouter,
  settings: { invitationTtlMs: number },
): void {
  const tags = ['Groups'];
  endpoints.add({
    method: 'post',
    path: '/groups/:id/invitations',
    tags,
    summary: 'Invite an email to the group with a role (group admins)',
    description:
      'The invitee becomes a member only by accepting. The answer is the same whether or not ' +
      'the email has an account; inviting an email again renews its invitation.',
    access: 'user',
    params: IdParamsSchema,
    body: InviteRequestSchema,
    subject: 'invitation',
    status: 201,
    response: InvitationSchema,
    errors: { 409: 'The email is already a member of the group' },
    handler: async ({ req, auth, params, body }) => {
      await groupForAdmin(req.em, params.id, auth.user.id);
      return invite(req.em, {
        groupId: params.id,
        email: body.email,
        role: body.role,
        invitedBy: auth.user.id,
        ttlMs: settings.invitationTtlMs,
      });
    },
  });
  endpoints.add({
    method: 'get',
    path: '/groups/:id/invitations',
    tags,
    summary: "The group's invitations waiting for an answer (group admins)",
    access: 'user',
    params: IdParamsSchema,
    response: z.array(InvitationSchema),
    handler: async ({ req, auth, params }) => {
      await groupForAdmin(req.em, params.id, auth.user.id);
      return listGroupInvitations(req.em, params.id);
    },
  });
  endpoints.add({
    method: 'delete',
    path: '/groups/:id/invitations/:invitationId',
    tags,
    summary: 'Revoke an invitation (group admins)',
    access: 'user',
    params: InvitationParamsSchema,
    status: 204,
    handler: async ({ req, auth, params }) => {
      await groupForAdmin(req.em, params.id, auth.user.id);
      await revokeInvitation(req.em, params.id, params.invitationId);
    },
  });
  endpoints.add({
    method: 'get',
    path: '/invitations',
    tags,
    summary: "The caller's invitations waiting for an answer",
    access: 'user',
    response: z.array(InvitationSchema),
    handler: ({ req, auth }) => listInvitationsFor(req.em, auth.user),
  });
  endpoints.add({
    method: 'post',
    path: '/invitations/:id/accept',
    tags,
    summary: 'Accept an invitation and join the group with its role',
    access: 'user',
    params: IdParamsSchema,
    response: GroupSchema,
    errors: { 409: 'The caller is already a member of the group' },
    handler: ({ req, auth, params }) => acceptInvitation(req.em, auth.user, params.id),
  });
  endpoints.add({
    method: 'post',
    path: '/invitations/:id/decline',
    tags,
    summary: 'Decline an invitation',
    access: 'user',
    params: IdParamsSchema,
    status: 204,
    handler: ({ req, auth, params }) => declineInvitation(req.em, auth.user, params.id),
  });
}
