import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { GROUP_ROLES } from '../../../roles';
import { timestamps, uuidPrimaryKey } from './common-columns';

export const GroupMembershipEntity = defineEntity({
  name: 'GroupMembership',
  tableName: 'group_memberships',
  uniques: [{ properties: ['groupId', 'userId'] }],
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    userId: p.uuid().index(),
    role: p.enum(GROUP_ROLES),
    ...timestamps(),
  },
});

export type GroupMembership = InferEntity<typeof GroupMembershipEntity>;
