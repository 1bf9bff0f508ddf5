/** Columns every table carries: a UUID primary key and creation/update times. */
import { randomUUID } from 'node:crypto';
import { p } from '@mikro-orm/core';

export const uuidPrimaryKey = () =>
  p
    .uuid()
    .primary()
    .onCreate(() => randomUUID());

export const timestamps = () => ({
  createdAt: p.datetime().onCreate(() => new Date()),
  updatedAt: p
    .datetime()
    .onCreate(() => new Date())
    .onUpdate(() => new Date()),
});
