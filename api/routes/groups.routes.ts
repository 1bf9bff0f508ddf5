/**
 * `/groups`: workspaces and their members. Non-members get 404, members without admin 403.
 * Members join by invitation only (invitations.routes.ts).
 */
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import {
  GroupRequestSchema,
  GroupSchema,
  IdParamsSchema,
  MemberParamsSchema,
  MemberSchema,
  UpdateMemberRequestSchema,
} from '../schemas/identity.schema';
import {
  changeMember,
  createGroup,
  groupForAdmin,
  groupForMember,
  listGroupsOf,
  listMembers,
  serializeGroup,
} from '../services/groups.service';
import { forbidden } from '../http/errors';
import type { GroupDeletion } from '../services/group-deletion';

export function addGroupsRoutes(endpoints: EndpointRouter, deletion: GroupDeletion): void {
  const tags = ['Groups'];
  endpoints.add({
    method: 'get',
    path: '/groups',
    tags,
    summary: 'Groups the caller belongs to, with their role',
    access: 'user',
    response: z.array(GroupSchema),
    handler: ({ req, auth }) => listGroupsOf(req.em, auth.user.id),
  });
  endpoints.add({
    method: 'post',
    path: '/groups',
    tags,
    summary: 'Create a group; the caller becomes its admin',
    access: 'user',
    body: GroupRequestSchema,
    subject: 'group',
    status: 201,
    response: GroupSchema,
    handler: async ({ req, auth, body }) =>
      serializeGroup(await createGroup(req.em, body.name, auth.user.id), 'admin'),
  });
  endpoints.add({
    method: 'get',
    path: '/groups/:id',
    tags,
    summary: 'Get a group',
    access: 'user',
    params: IdParamsSchema,
    response: GroupSchema,
    handler: async ({ req, auth, params }) => {
      const { group, membership } = await groupForMember(req.em, params.id, auth.user.id);
      return serializeGroup(group, membership.role);
    },
  });
  endpoints.add({
    method: 'patch',
    path: '/groups/:id',
    tags,
    summary: 'Rename a group (group admins)',
    access: 'user',
    params: IdParamsSchema,
    body: GroupRequestSchema,
    subject: 'group',
    response: GroupSchema,
    handler: async ({ req, auth, params, body }) => {
      const { group } = await groupForAdmin(req.em, params.id, auth.user.id);
      group.name = body.name;
      await req.em.flush();
      return serializeGroup(group, 'admin');
    },
  });
  endpoints.add({
    method: 'delete',
    path: '/groups/:id',
    tags,
    summary: 'Delete a group and everything in it (group admins; not personal groups)',
    description:
      'Deletes every row the group owns in one transaction (definitions, model configs, tool settings, MCP servers, webhooks, schedules, executions with their tasks, events, approvals and stored texts), then its objects in the object store and its Temporal schedules.',
    access: 'user',
    params: IdParamsSchema,
    status: 204,
    errors: { 409: 'A personal group, or executions of the group have not finished' },
    handler: async ({ req, auth, params }) => {
      const { group } = await groupForAdmin(req.em, params.id, auth.user.id);
      await deletion.deleteGroup(req.em, group);
    },
  });
  endpoints.add({
    method: 'get',
    path: '/groups/:id/members',
    tags,
    summary: 'Members of a group',
    access: 'user',
    params: IdParamsSchema,
    response: z.array(MemberSchema),
    handler: async ({ req, auth, params }) => {
      await groupForMember(req.em, params.id, auth.user.id);
      return listMembers(req.em, params.id);
    },
  });
  endpoints.add({
    method: 'patch',
    path: '/groups/:id/members/:userId',
    tags,
    summary: "Change a member's role (group admins)",
    description:
      "Taking a permission away from another member revokes that member's tokens: they sign in again.",
    access: 'user',
    params: MemberParamsSchema,
    body: UpdateMemberRequestSchema,
    subject: 'member',
    response: z.array(MemberSchema),
    errors: { 409: 'The group would be left without an admin' },
    handler: async ({ req, auth, params, body }) => {
      await groupForAdmin(req.em, params.id, auth.user.id);
      await changeMember(req.em, {
        groupId: params.id,
        userId: params.userId,
        role: body.role,
        actorId: auth.user.id,
      });
      return listMembers(req.em, params.id);
    },
  });
  endpoints.add({
    method: 'delete',
    path: '/groups/:id/members/:userId',
    tags,
    summary: 'Remove a member (group admins), or leave the group (yourself)',
    description: "Removing another member revokes that member's tokens: they sign in again.",
    access: 'user',
    params: MemberParamsSchema,
    status: 204,
    errors: { 409: 'The group would be left without an admin' },
    handler: async ({ req, auth, params }) => {
      const { membership } = await groupForMember(req.em, params.id, auth.user.id);
      if (params.userId !== auth.user.id && membership.role !== 'admin') {
        throw forbidden('Only an admin of the group can remove other members');
      }
      await changeMember(req.em, {
        groupId: params.id,
        userId: params.userId,
        role: null,
        actorId: auth.user.id,
      });
    },
  });
}
