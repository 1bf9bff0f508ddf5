/** `/users`: account administration, for system administrators. */
import { z } from 'zod';
import { PaginationQuerySchema, pageOf } from '../../shared/schemas/common.schema';
import { UserEntity } from '../../shared/node/db/entities';
import { containsIgnoringCase } from '../../shared/node/db/filters';
import type { EndpointRouter } from '../http/endpoint';
import type { GroupDeletion } from '../services/group-deletion';
import { conflict } from '../http/errors';
import {
  createUserRequestSchema,
  IdParamsSchema,
  updateUserRequestSchema,
  UserSchema,
} from '../schemas/identity.schema';
import type { PasswordPolicy } from '../../shared/node/auth/password-policy';
import {
  createUser,
  deleteUser,
  getUser,
  serializeUser,
  updateUser,
} from '../services/users.service';

const UserListQuery = PaginationQuerySchema.extend({
  q: z.string().trim().min(1).max(200).optional().describe('Filter by email (case-insensitive)'),
});

export function addUsersRoutes(
  endpoints: EndpointRouter,
  groups: GroupDeletion,
  passwordPolicy: PasswordPolicy,
): void {
  endpoints.add({
    method: 'get',
    path: '/users',
    tags: ['Users'],
    summary: 'List users',
    access: 'system_admin',
    query: UserListQuery,
    response: pageOf(UserSchema),
    handler: async ({ req, query }) => {
      const [users, total] = await req.em.findAndCount(
        UserEntity,
        query.q ? containsIgnoringCase('email', query.q) : {},
        { orderBy: { createdAt: 'asc', id: 'asc' }, limit: query.limit, offset: query.offset },
      );
      return { items: users.map(serializeUser), total, limit: query.limit, offset: query.offset };
    },
  });
  endpoints.add({
    method: 'post',
    path: '/users',
    tags: ['Users'],
    summary: 'Create a user (with a personal group)',
    access: 'system_admin',
    body: createUserRequestSchema(passwordPolicy),
    subject: 'user',
    status: 201,
    response: UserSchema,
    errors: { 409: 'A user with this email already exists' },
    handler: async ({ req, body }) =>
      serializeUser(
        await createUser(req.em, {
          email: body.email,
          password: body.password,
          displayName: body.display_name,
          isSystemAdmin: body.is_system_admin,
        }),
      ),
  });
  endpoints.add({
    method: 'get',
    path: '/users/:id',
    tags: ['Users'],
    summary: 'Get a user',
    access: 'system_admin',
    params: IdParamsSchema,
    response: UserSchema,
    handler: async ({ req, params }) => serializeUser(await getUser(req.em, params.id)),
  });
  endpoints.add({
    method: 'patch',
    path: '/users/:id',
    tags: ['Users'],
    summary: 'Change a user (name, password, admin flag, disabled)',
    access: 'system_admin',
    params: IdParamsSchema,
    body: updateUserRequestSchema(passwordPolicy),
    subject: 'user',
    response: UserSchema,
    errors: { 409: 'You cannot disable yourself or remove your own admin rights' },
    handler: async ({ req, auth, params, body }) => {
      if (params.id === auth.user.id && (body.disabled || body.is_system_admin === false)) {
        throw conflict('You cannot disable yourself or remove your own admin rights');
      }
      return serializeUser(await updateUser(req.em, params.id, body));
    },
  });
  endpoints.add({
    method: 'delete',
    path: '/users/:id',
    tags: ['Users'],
    summary: 'Delete a user, their personal group (with all it owns) and their API keys',
    access: 'system_admin',
    params: IdParamsSchema,
    status: 204,
    errors: {
      409: 'Yourself, the last admin of a shared group, or executions in their personal group have not finished',
    },
    handler: async ({ req, auth, params }) => {
      if (params.id === auth.user.id) throw conflict('You cannot delete yourself');
      await deleteUser(req.em, params.id, groups);
    },
  });
}
