/** `max_rpm` with durable timers: a call waits in the workflow, never in an activity. */
import { sleep } from '@temporalio/workflow';

const MINUTE_MS = 60_000;

export class RateLimiter {
  private readonly calls = new Map<string, number[]>();

  /** Waits until one more call fits every limit given (scope → requests per minute). */
  async acquire(limits: ReadonlyArray<[scope: string, rpm: number | undefined]>): Promise<void> {
    for (;;) {
      const now = Date.now();
      let waitMs = 0;
      for (const [scope, rpm] of limits) {
        if (rpm === undefined) continue;
        const recent = (this.calls.get(scope) ?? []).filter((at) => now - at < MINUTE_MS);
        this.calls.set(scope, recent);
        if (recent.length >= rpm)
          waitMs = Math.max(waitMs, (recent[0] as number) + MINUTE_MS - now);
      }
      if (waitMs <= 0) break;
      await sleep(waitMs);
    }
    const now = Date.now();
    for (const [scope, rpm] of limits) {
      if (rpm !== undefined) this.calls.set(scope, [...(this.calls.get(scope) ?? []), now]);
    }
  }
}
