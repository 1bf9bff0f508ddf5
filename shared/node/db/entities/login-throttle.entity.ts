import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/**
 * Failed sign-ins of one account (`account:<email>`) or one client address (`address:<ip>`),
 * shared by every API process. Times are epoch milliseconds, so the counters are updated with
 * one atomic statement that does the same arithmetic on Postgres and SQLite.
 */
export const LoginThrottleEntity = defineEntity({
  name: 'LoginThrottle',
  tableName: 'login_throttles',
  properties: {
    key: p.string().length(400).primary(),
    /** Attempts in the current window that did not succeed (or are still being checked). */
    failures: p.integer(),
    windowStartedAt: p.bigint('number'),
    /** Sign-in is refused until then (0: not locked). */
    lockedUntil: p.bigint('number'),
    /** Lockouts in a row: each one lasts twice as long as the one before. */
    lockouts: p.integer(),
  },
});

export type LoginThrottle = InferEntity<typeof LoginThrottleEntity>;
