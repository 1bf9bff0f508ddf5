import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { GROUP_ROLES } from '../../../roles';
import { timestamps, uuidPrimaryKey } from './common-columns';

/**
 * An invitation to join a group, addressed to an email. The user who signs in with that email
 * accepts or declines it; until then they are not a member. Removed once answered or revoked.
 */
export const GroupInvitationEntity = defineEntity({
  name: 'GroupInvitation',
  tableName: 'group_invitations',
  uniques: [{ properties: ['groupId', 'email'] }],
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    email: p.string().length(320).index(),
    role: p.enum(GROUP_ROLES),
    invitedBy: p.uuid(),
    expiresAt: p.datetime(),
    ...timestamps(),
  },
});

export type GroupInvitation = InferEntity<typeof GroupInvitationEntity>;
