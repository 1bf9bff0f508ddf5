/** `/auth`: sign in, who am I, and the caller's API keys. */
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import {
  ApiKeySchema,
  changePasswordRequestSchema,
  CreateApiKeyRequestSchema,
  CreatedApiKeySchema,
  IdParamsSchema,
  LoginRequestSchema,
  MeSchema,
  TokenResponseSchema,
} from '../schemas/identity.schema';
import { createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys.service';
import { changeOwnPassword, login, type SignInDeps } from '../services/auth.service';
import { listGroupsOf } from '../services/groups.service';
import { personalGroupId, serializeUser } from '../services/users.service';
import type { PasswordPolicy } from '../../shared/node/auth/password-policy';

const THROTTLED =
  'Too many failed attempts for this account or from this address; `Retry-After` says when to try again';

export function addAuthRoutes(
  endpoints: EndpointRouter,
  deps: SignInDeps & { passwordPolicy: PasswordPolicy },
): void {
  endpoints.add({
    method: 'post',
    path: '/auth/login',
    tags: ['Auth'],
    summary: 'Sign in with email and password',
    description:
      'Failed attempts are counted per account and per client address: past ' +
      'KASAL_LOGIN_MAX_FAILURES (or KASAL_LOGIN_MAX_FAILURES_PER_ADDRESS) within ' +
      'KASAL_LOGIN_WINDOW_SECONDS, sign-in answers 429, even with the right password, for a ' +
      'lockout that doubles each time in a row. Unknown emails are answered like known ones.',
    access: 'public',
    body: LoginRequestSchema,
    response: TokenResponseSchema,
    errors: { 401: 'Wrong email or password, or the account is disabled', 429: THROTTLED },
    handler: ({ req, body }) =>
      login(req.em, deps, { email: body.email, password: body.password, address: req.ip }),
  });
  endpoints.add({
    method: 'post',
    path: '/auth/password',
    tags: ['Auth'],
    summary: 'Change your password',
    description:
      'Checks the current password (throttled like sign-in), revokes every token issued to you ' +
      'before, and answers with a new one. API keys stay valid: revoke them separately.',
    access: 'user',
    body: changePasswordRequestSchema(deps.passwordPolicy),
    subject: 'password change',
    response: TokenResponseSchema,
    errors: { 409: 'The account signs in through the identity provider', 429: THROTTLED },
    handler: ({ req, auth, body }) =>
      changeOwnPassword(req.em, deps, auth.user, {
        currentPassword: body.current_password,
        newPassword: body.new_password,
        address: req.ip,
      }),
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
