/** Who is calling, in which group, with which role: the checks behind every endpoint. */
import type { Request } from 'express';
import { roleAllows, type Permission } from '../../shared/roles';
import { isUuid } from '../../shared/schemas/common.schema';
import type { TokenService } from '../../shared/node/auth/tokens';
import type { AccessGuards } from '../http/endpoint';
import { forbidden } from '../http/errors';
import type { AuthContext, GroupContext } from '../http/request-context';
import { authenticate, credentialsFrom } from '../services/auth.service';
import { membershipOf } from '../services/groups.service';
import { personalGroupId } from '../services/users.service';

const PERMISSION_WORDS: Record<Permission, string> = {
  'definitions:read': 'read definitions',
  'definitions:write': 'create or change definitions',
  'executions:run': 'run crews and flows',
  'group:manage': 'manage the group',
};

export function createAccessGuards(tokens: TokenService): AccessGuards {
  return {
    authenticate: (req: Request) => authenticate(req.em, tokens, credentialsFrom(req.headers)),

    requireSystemAdmin(auth: AuthContext) {
      if (!auth.user.isSystemAdmin) throw forbidden('Only a system administrator can do this');
    },

    async resolveGroup(req: Request, auth: AuthContext, permission: Permission) {
      const header = req.headers['x-group-id'];
      const requested = typeof header === 'string' && header ? header : undefined;
      const groupId = requested ?? (await personalGroupId(req.em, auth.user.id));
      const membership = isUuid(groupId) ? await membershipOf(req.em, groupId, auth.user.id) : null;
      if (!membership) throw forbidden(`You are not a member of group '${groupId}' (X-Group-Id)`);
      if (!roleAllows(membership.role, permission)) {
        throw forbidden(
          `Your role '${membership.role}' in this group cannot ${PERMISSION_WORDS[permission]}`,
        );
      }
      const group: GroupContext = { id: membership.groupId, role: membership.role };
      return group;
    },
  };
}
