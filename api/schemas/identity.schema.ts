/** Request and response bodies of the identity endpoints: auth, users, groups, API keys. */
import { z } from 'zod';
import { GROUP_ROLES } from '../../shared/roles';
import {
  PASSWORD_MAX_LENGTH,
  passwordSchema,
  type PasswordPolicy,
} from '../../shared/node/auth/password-policy';

const Email = z
  .email()
  .max(320)
  .transform((value) => value.toLowerCase());
const DisplayName = z.string().trim().min(1).max(200);

export const LoginRequestSchema = z
  .strictObject({ email: Email, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) })
  .meta({ id: 'LoginRequest' });

export const changePasswordRequestSchema = (policy: PasswordPolicy) =>
  z
    .strictObject({
      current_password: z.string().min(1).max(PASSWORD_MAX_LENGTH),
      new_password: passwordSchema(policy),
    })
    .meta({ id: 'ChangePasswordRequest' });

export const TokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('bearer'),
    expires_in: z.number().int(),
  })
  .meta({ id: 'TokenResponse' });

export const GroupRoleSchema = z.enum(GROUP_ROLES).meta({ id: 'GroupRole' });

export const UserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    display_name: z.string(),
    is_system_admin: z.boolean(),
    auth_provider: z.enum(['local', 'external']),
    disabled: z.boolean(),
    last_login_at: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'User' });

export const createUserRequestSchema = (policy: PasswordPolicy) =>
  z
    .strictObject({
      email: Email,
      password: passwordSchema(policy),
      display_name: DisplayName.optional(),
      is_system_admin: z.boolean().default(false),
    })
    .meta({ id: 'CreateUserRequest' });

export const updateUserRequestSchema = (policy: PasswordPolicy) =>
  z
    .strictObject({
      display_name: DisplayName.optional(),
      password: passwordSchema(policy)
        .optional()
        .describe("A new password; revokes the user's tokens"),
      is_system_admin: z
        .boolean()
        .optional()
        .describe("Taking the flag away revokes the user's tokens"),
      disabled: z.boolean().optional().describe("Disabling revokes the user's tokens"),
    })
    .meta({ id: 'UpdateUserRequest' });

export const GroupSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    personal: z.boolean(),
    role: GroupRoleSchema.describe("The caller's role in the group"),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Group' });

export const GroupRequestSchema = z
  .strictObject({ name: z.string().trim().min(1).max(200) })
  .meta({ id: 'GroupRequest' });

export const MemberSchema = z
  .object({
    user_id: z.uuid(),
    email: z.string(),
    display_name: z.string(),
    role: GroupRoleSchema,
    added_at: z.string(),
  })
  .meta({ id: 'GroupMember' });

export const UpdateMemberRequestSchema = z
  .strictObject({ role: GroupRoleSchema })
  .meta({ id: 'UpdateMemberRequest' });

export const InviteRequestSchema = z
  .strictObject({
    email: Email.describe('Whoever signs in with this email may accept'),
    role: GroupRoleSchema,
  })
  .meta({ id: 'InviteRequest' });

export const InvitationSchema = z
  .object({
    id: z.uuid(),
    group_id: z.uuid(),
    group_name: z.string(),
    email: z.string(),
    role: GroupRoleSchema,
    invited_by: z.string().nullable().describe("The inviter's email (null once they are gone)"),
    created_at: z.string(),
    expires_at: z.string(),
  })
  .meta({ id: 'Invitation' });

export const MeSchema = z
  .object({ user: UserSchema, groups: z.array(GroupSchema), current_group_id: z.uuid() })
  .meta({ id: 'Me' });

export const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The key itself. Shown only in this response; store it now.'),
}).meta({ id: 'CreatedApiKey' });

export const CreateApiKeyRequestSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    expires_in_days: z.number().int().min(1).max(3650).optional(),
  })
  .meta({ id: 'CreateApiKeyRequest' });

export const IdParamsSchema = z.object({ id: z.uuid() });
export const MemberParamsSchema = z.object({ id: z.uuid(), userId: z.uuid() });
export const InvitationParamsSchema = z.object({ id: z.uuid(), invitationId: z.uuid() });
