import { randomUUID } from 'node:crypto';
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps } from './timestamps';

/** A workspace. Every user has a personal one; every tenant row carries a group id. */
export const GroupEntity = defineEntity({
  name: 'Group',
  tableName: 'groups',
  properties: {
    id: p
      .uuid()
      .primary()
      .onCreate(() => randomUUID()),
    name: p.string().length(200),
    /** Set on personal groups: the user the group belongs to. */
    personalOwnerId: p.uuid().nullable().unique(),
    ...timestamps(),
  },
});

export type Group = InferEntity<typeof GroupEntity>;
