/**
 * How many event streams (SSE) each user and each group holds open, so one client cannot tie up
 * the API's memory and database polling. Counted in this API process: with several processes
 * behind a load balancer, each one enforces the limits on its own share.
 */
import { tooManyRequests } from '../http/errors';

/** Streams end when clients go away; a few seconds is a fair time to try again. */
const RETRY_AFTER_SECONDS = 5;

export class StreamSlots {
  private readonly byUser = new Map<string, number>();
  private readonly byGroup = new Map<string, number>();

  constructor(private readonly limits: { maxPerUser: number; maxPerGroup: number }) {}

  /** Takes a slot for a stream of the user's in the group (429 when over a limit); returns its release. */
  take(userId: string, groupId: string): () => void {
    const user = this.byUser.get(userId) ?? 0;
    const group = this.byGroup.get(groupId) ?? 0;
    if (user >= this.limits.maxPerUser) {
      throw tooManyRequests(
        `You already have ${user} event streams open, the most one user may (${this.limits.maxPerUser}): close one first`,
        RETRY_AFTER_SECONDS,
        { open: user, limit: this.limits.maxPerUser, per: 'user' },
      );
    }
    if (group >= this.limits.maxPerGroup) {
      throw tooManyRequests(
        `This group already has ${group} event streams open, the most one group may (${this.limits.maxPerGroup}): close one first`,
        RETRY_AFTER_SECONDS,
        { open: group, limit: this.limits.maxPerGroup, per: 'group' },
      );
    }
    this.byUser.set(userId, user + 1);
    this.byGroup.set(groupId, group + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.byUser, userId);
      decrement(this.byGroup, groupId);
    };
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const next = (counts.get(key) ?? 1) - 1;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
