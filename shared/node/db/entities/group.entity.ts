import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

/** A workspace. Every user has a personal one; every tenant row carries a group id. */
export const GroupEntity = defineEntity({
  name: 'Group',
  tableName: 'groups',
  properties: {
    id: uuidPrimaryKey(),
    name: p.string().length(200),
    /** Set on personal groups: the user the group belongs to. */
    personalOwnerId: p.uuid().nullable().unique(),
    ...timestamps(),
  },
});

export type Group = InferEntity<typeof GroupEntity>;
