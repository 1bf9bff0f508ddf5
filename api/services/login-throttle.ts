/**
 * Sign-in throttling per account and per client address, kept in the database so that every API
 * process shares the counters. An attempt is counted before the password is checked (so
 * parallel guesses cannot slip past the limit) and given back when it succeeds; past the limit,
 * sign-in answers 429 with `Retry-After`, for the right password too, for a lockout that doubles
 * each time in a row. Unknown emails are counted like known ones, so answers never tell which
 * accounts exist.
 */
import { isIPv6 } from 'node:net';
import type { EntityManager } from '@mikro-orm/core';
import type { LoginThrottleSettings } from '../../shared/node/config';
import { tooManyRequests } from '../http/errors';

export interface SignInAttempt {
  /** The password was right: the account starts afresh and the address gets its attempt back. */
  succeeded(): Promise<void>;
}

interface CountedKey {
  key: string;
  maxFailures: number;
}

interface ThrottleRow {
  failures: number;
  lockouts: number;
  lockedUntil: number;
}

const PURGE_INTERVAL_MS = 60_000;

export class LoginThrottle {
  private lastPurge = 0;

  constructor(
    private readonly settings: LoginThrottleSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Counts an attempt of `email` from `address`; throws a 429 when either is locked. */
  async begin(
    em: EntityManager,
    who: { email: string; address: string | undefined },
  ): Promise<SignInAttempt> {
    const now = this.clock();
    await this.purge(em, now);
    const keys: CountedKey[] = [
      {
        key: `account:${who.email.toLowerCase()}`,
        maxFailures: this.settings.maxFailuresPerAccount,
      },
      {
        key: `address:${clientNetwork(who.address ?? 'unknown')}`,
        maxFailures: this.settings.maxFailuresPerAddress,
      },
    ];
    let lockedUntil = 0;
    const counted: CountedKey[] = [];
    for (const entry of keys) {
      const row = await this.count(em, entry.key, now);
      if (row.lockedUntil > now) {
        lockedUntil = Math.max(lockedUntil, row.lockedUntil);
      } else if (row.failures > entry.maxFailures) {
        lockedUntil = Math.max(lockedUntil, await this.lock(em, entry, row, now));
      } else {
        counted.push(entry);
      }
    }
    if (lockedUntil > now) {
      // Refused without checking the password: the attempt costs the other key nothing.
      for (const entry of counted) await this.giveBack(em, entry.key);
      const seconds = Math.max(1, Math.ceil((lockedUntil - now) / 1000));
      throw tooManyRequests(
        `Too many failed sign-in attempts; try again in ${seconds} seconds`,
        seconds,
      );
    }
    const [account, address] = keys as [CountedKey, CountedKey];
    return {
      succeeded: async () => {
        await this.execute(em, 'delete from "login_throttles" where "key" = ?', [account.key]);
        await this.giveBack(em, address.key);
      },
    };
  }

  /** One more attempt in the current window (a new window once the last one has passed). */
  private async count(em: EntityManager, key: string, now: number): Promise<ThrottleRow> {
    const windowStart = now - this.settings.windowMs;
    const locked = `"login_throttles"."locked_until" > ${now}`;
    const expired = `"login_throttles"."window_started_at" <= ${windowStart}`;
    const [row] = await this.execute(
      em,
      `insert into "login_throttles" ("key", "failures", "window_started_at", "locked_until", "lockouts")
       values (?, 1, ${now}, 0, 0)
       on conflict ("key") do update set
         "failures" = case when ${locked} then "login_throttles"."failures"
           when ${expired} then 1 else "login_throttles"."failures" + 1 end,
         "lockouts" = case when ${locked} then "login_throttles"."lockouts"
           when ${expired} then 0 else "login_throttles"."lockouts" end,
         "window_started_at" = case when ${locked} then "login_throttles"."window_started_at"
           when ${expired} then ${now} else "login_throttles"."window_started_at" end
       returning "failures", "lockouts", "locked_until"`,
      [key],
    );
    return toThrottleRow(row);
  }

  /** Locks the key for the next lockout in a row; returns until when it is locked. */
  private async lock(
    em: EntityManager,
    entry: CountedKey,
    row: ThrottleRow,
    now: number,
  ): Promise<number> {
    const duration = Math.min(
      this.settings.lockoutMs * 2 ** row.lockouts,
      this.settings.maxLockoutMs,
    );
    const until = now + duration;
    // The next window starts when the lockout ends; the guard lets one of several
    // concurrent attempts lock it.
    const [locked] = await this.execute(
      em,
      `update "login_throttles" set "failures" = 0, "lockouts" = "lockouts" + 1,
         "locked_until" = ${until}, "window_started_at" = ${until}
       where "key" = ? and "failures" > ${entry.maxFailures} and "locked_until" <= ${now}
       returning "locked_until"`,
      [entry.key],
    );
    if (locked) return toThrottleRow(locked).lockedUntil;
    const [current] = await this.execute(
      em,
      'select "failures", "lockouts", "locked_until" from "login_throttles" where "key" = ?',
      [entry.key],
    );
    return current ? toThrottleRow(current).lockedUntil : until;
  }

  private async giveBack(em: EntityManager, key: string): Promise<void> {
    await this.execute(
      em,
      'update "login_throttles" set "failures" = "failures" - 1 where "key" = ? and "failures" > 0',
      [key],
    );
  }

  /** Forgets keys whose window has passed and that are not locked: they would start afresh. */
  private async purge(em: EntityManager, now: number): Promise<void> {
    if (now - this.lastPurge < PURGE_INTERVAL_MS) return;
    this.lastPurge = now;
    await this.execute(
      em,
      `delete from "login_throttles"
       where "locked_until" <= ${now} and "window_started_at" <= ${now - this.settings.windowMs}`,
      [],
    );
  }

  private async execute(
    em: EntityManager,
    sql: string,
    params: unknown[],
  ): Promise<Record<string, unknown>[]> {
    const rows: unknown = await em.getConnection().execute(sql, params, 'all');
    return rows as Record<string, unknown>[];
  }
}

function toThrottleRow(row: Record<string, unknown> | undefined): ThrottleRow {
  // Postgres returns bigint columns as strings.
  return {
    failures: Number(row?.failures ?? 0),
    lockouts: Number(row?.lockouts ?? 0),
    lockedUntil: Number(row?.locked_until ?? 0),
  };
}

/**
 * The unit an attacker controls: one IPv4 address, or an IPv6 /64 (a single host usually has
 * the whole /64 to choose from).
 */
export function clientNetwork(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [
          ...headGroups,
          ...Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'),
          ...tailGroups,
        ];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
