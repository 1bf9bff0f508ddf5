import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { GROUP_ROLES } from '../../../roles';
import { timestamps } from './timestamps';

export const GroupMembershipEntity = defineEntity({
  name: 'GroupMembership',
  tableName: 'group_memberships',
  uniques: [{ properties: ['groupId', 'userId'] }],
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    groupId: p.uuid().index(),
    userId: p.uuid().index(),
    role: p.enum(GROUP_ROLES),
    ...timestamps(),
  },
});

export type GroupMembership = InferEntity<typeof GroupMembershipEntity>;
