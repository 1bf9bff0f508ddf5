/** `/auth`: sign in, who am I, and the caller's API keys. */
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import {
  ApiKeySchema,
  CreateApiKeyRequestSchema,
  CreatedApiKeySchema,
  IdParamsSchema,
  LoginRequestSchema,
  MeSchema,
  TokenResponseSchema,
} from '../schemas/identity.schema';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys.service';
import { login } from '../services/auth.service';
import { listGroupsOf } from '../services/groups.service';
import { personalGroupId, serializeUser } from '../services/users.service';
import type { TokenService } from '../../shared/node/auth/tokens';

export function addAuthRoutes(endpoints: EndpointRouter, tokens: TokenService): void {
  endpoints.add({
    method: 'post',
    path: '/auth/login',
    tags: ['Auth'],
    summary: 'Sign in with email and password',
    access: 'public',
    body: LoginRequestSchema,
    response: TokenResponseSchema,
    errors: { 401: 'Wrong email or password, or the account is disabled' },
    handler: ({ req, body }) => login(req.em, tokens, body.email, body.password),
  });
  endpoints.add({
    method: 'get',
    path: '/auth/me',
    tags: ['Auth'],
    summary: 'The signed-in user and their groups',
    access: 'user',
    response: MeSchema,
    handler: async ({ req, auth }) => ({
      user: serializeUser(auth.user),
      groups: await listGroupsOf(req.em, auth.user.id),
      current_group_id: await personalGroupId(req.em, auth.user.id),
    }),
  });
  endpoints.add({
    method: 'post',
    path: '/auth/api-keys',
    tags: ['Auth'],
    summary: 'Create an API key (the key is shown once)',
    access: 'user',
    body: CreateApiKeyRequestSchema,
    status: 201,
    response: CreatedApiKeySchema,
    handler: ({ req, auth, body }) =>
      createApiKey(req.em, auth.user.id, body.name, body.expires_in_days),
  });
  endpoints.add({
    method: 'get',
    path: '/auth/api-keys',
    tags: ['Auth'],
    summary: "The caller's API keys (without the keys themselves)",
    access: 'user',
    response: z.array(ApiKeySchema),
    handler: ({ req, auth }) => listApiKeys(req.em, auth.user.id),
  });
  endpoints.add({
    method: 'delete',
    path: '/auth/api-keys/:id',
    tags: ['Auth'],
    summary: 'Revoke an API key',
    access: 'user',
    params: IdParamsSchema,
    status: 204,
    handler: ({ req, auth, params }) => revokeApiKey(req.em, auth.user.id, params.id),
  });
}
