/** Query helpers that behave the same on Postgres and SQLite. */
import { raw } from '@mikro-orm/core';

/** `column` contains `text`, ignoring case (SQLite has no ILIKE). */
export function containsIgnoringCase(column: string, text: string) {
  return {
    [raw((alias) => `lower(${alias}.${column})`)]: { $like: `%${text.toLowerCase()}%` },
  };
}
