/**
 * Keeps each schedule row and its Temporal schedule (`kasal-schedule-<id>`) one thing.
 *
 * - create: the row is written first (`creating`), then the Temporal schedule; if Temporal
 *   refuses, the row is deleted again.
 * - change: Temporal first, carrying the new `revision` in the action's memo; the row's write
 *   (guarded by the old revision) commits it. If the row cannot be written, Temporal is put
 *   back.
 * - delete: the row is marked `deleting` (runs no longer start), the Temporal schedule is
 *   deleted, then the row; if Temporal fails, the mark is undone.
 *
 * Whatever a crash leaves behind, `reconcile` repairs on the next read and the periodic sweep
 * repairs otherwise: a `creating` row whose Temporal schedule never appeared is dropped, one
 * whose schedule exists is marked synced; a Temporal schedule that vanished is re-created from
 * its row; one with another revision gets the row's settings; a pause or resume made in
 * Temporal itself (Web UI, CLI) is adopted by the row; a `deleting` row is finished; a Temporal
 * schedule of this task queue without a row is deleted.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  ServiceError,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/core';
import { API_ERROR_CODES } from '../../shared/errors';
import { temporalCronExpressions } from '../../shared/schedules/cron';
import { isUuid } from '../../shared/schemas/common.schema';
import { SEARCH_ATTRIBUTE_KEYS } from '../../shared/search-attributes';
import { GroupEntity, ScheduleEntity, type Schedule } from '../../shared/node/db/entities';
import type { Orm } from '../../shared/node/db/orm';
import type { Logger } from '../../shared/node/logger';
import { ApiError, conflict, validationError } from '../http/errors';

export const TEMPORAL_SCHEDULE_PREFIX = 'kasal-schedule-';
export const temporalScheduleId = (id: string) => `${TEMPORAL_SCHEDULE_PREFIX}${id}`;

/** The workflow a schedule starts (workflows/scheduled-run.workflow.ts). */
const SCHEDULED_RUN_WORKFLOW = 'scheduledRunWorkflow';
/** The action memo key that carries the row's revision. */
const REVISION_MEMO = 'kasal_schedule_revision';
/** How long a create or change may take between its Temporal call and its row write. */
const IN_FLIGHT_MS = 60_000;
/** Changes may take a while; reads answer without Temporal's figures rather than wait long. */
const CHANGE_TIMEOUT_MS = 10_000;
const READ_TIMEOUT_MS = 5_000;

export const TEMPORAL_OVERLAP = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
} as const;

/** What Temporal is told about a schedule. */
export type ScheduleSettings = Pick<
  Schedule,
  | 'id'
  | 'groupId'
  | 'name'
  | 'cron'
  | 'intervalSeconds'
  | 'timezone'
  | 'startAt'
  | 'endAt'
  | 'overlap'
  | 'catchupWindowSeconds'
  | 'jitterSeconds'
  | 'paused'
  | 'note'
  | 'revision'
>;

/** A describe's answer: the schedule, `undefined` when Temporal has none, or unreachable. */
export type Lookup = { found: ScheduleDescription | undefined } | 'unreachable';

export interface Reconciled {
  /** null: the schedule is gone (its deletion or its failed creation was finished). */
  row: Schedule | null;
  description?: ScheduleDescription | undefined;
}

export class ScheduleSync {
  constructor(private readonly deps: { temporal: Client; taskQueue: string; logger: Logger }) {}

  async create(settings: ScheduleSettings): Promise<void> {
    await this.call(() => this.deps.temporal.schedule.create(this.options(settings)));
  }

  /**
   * Replaces the Temporal schedule's settings (creating it when it is missing). Its paused
   * state stays as Temporal has it (a pause made meanwhile is kept) unless `setsPause`.
   */
  async update(settings: ScheduleSettings, setsPause = true): Promise<void> {
    const { spec, action, policies, typedSearchAttributes, state } = this.options(settings);
    const options = {
      spec,
      action,
      ...(policies && { policies }),
      ...(typedSearchAttributes && { typedSearchAttributes }),
    };
    try {
      await this.call(() =>
        this.handle(settings.id).update((previous) => ({
          ...options,
          state: setsPause ? (state ?? {}) : previous.state,
        })),
      );
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
      await this.create(settings);
    }
  }

  /** Deletes the Temporal schedule; one that is already gone is fine. */
  async delete(id: string): Promise<void> {
    try {
      await this.call(() => this.handle(id).delete());
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }

  /**
   * Pauses or resumes. Callers reconcile first, so a missing Temporal schedule means the
   * schedule was deleted meanwhile: nothing is re-created behind a deletion.
   */
  async setPaused(settings: ScheduleSettings, paused: boolean, note?: string): Promise<void> {
    await this.call(() =>
      paused
        ? this.handle(settings.id).pause(note ?? 'Paused in Kasal')
        : this.handle(settings.id).unpause(note ?? 'Resumed in Kasal'),
    );
  }

  async trigger(settings: ScheduleSettings, overlap: Schedule['overlap']): Promise<void> {
    await this.call(() => this.handle(settings.id).trigger(TEMPORAL_OVERLAP[overlap]));
  }

  /** The Temporal schedule, or undefined when there is none; throws when Temporal is down. */
  async describe(id: string): Promise<ScheduleDescription | undefined> {
    try {
      return await this.call(() => this.handle(id).describe(), READ_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return undefined;
      throw error;
    }
  }

  async lookup(id: string): Promise<Lookup> {
    try {
      return { found: await this.describe(id) };
    } catch (error) {
      this.deps.logger.warn({ err: error, scheduleId: id }, 'could not describe the schedule');
      return 'unreachable';
    }
  }

  /** Brings the Temporal schedule and the row in line (see the top of this file). */
  async reconcile(em: EntityManager, row: Schedule, known?: Lookup): Promise<Reconciled> {
    const lookup = known ?? (await this.lookup(row.id));
    if (lookup === 'unreachable') return { row };
    let found = lookup.found;
    try {
      if (row.syncState === 'deleting') {
        if (found) await this.delete(row.id);
        await em.nativeDelete(ScheduleEntity, { id: row.id });
        return { row: null };
      }
      if (!found) {
        if (row.syncState === 'creating') {
          if (Date.now() - new Date(row.createdAt).getTime() < IN_FLIGHT_MS) return { row };
          // The creation never reached Temporal (and its caller was told so, or nothing).
          await em.nativeDelete(ScheduleEntity, { id: row.id, syncState: 'creating' });
          return { row: null };
        }
        await this.create(row);
        // Deleted while this repair ran: the deletion wins, nothing is left firing.
        if (!(await em.fork().findOne(ScheduleEntity, { id: row.id }, { fields: ['id'] }))) {
          await this.delete(row.id);
          return { row: null };
        }
        this.deps.logger.warn({ scheduleId: row.id }, 'Temporal schedule was missing: re-created');
        found = await this.describe(row.id);
      } else {
        const revision = revisionOf(found);
        const changing =
          revision > row.revision &&
          Date.now() - (found.info.lastUpdatedAt?.getTime() ?? 0) < IN_FLIGHT_MS;
        if (revision !== row.revision && !changing) {
          await this.update(row);
          found = await this.describe(row.id);
        } else if (revision === row.revision && found.state.paused !== row.paused) {
          // Paused or resumed in Temporal itself (Web UI, CLI): the row follows.
          row.paused = found.state.paused;
          row.note = found.state.note ?? null;
        }
      }
      row.syncState = 'synced';
      row.syncError = null;
    } catch (error) {
      this.deps.logger.warn({ err: error, scheduleId: row.id }, 'could not reconcile schedule');
      row.syncError = error instanceof Error ? error.message : String(error);
    }
    await em.flush();
    return { row, description: found };
  }

  /**
   * Reconciles every schedule, each read afresh just before, so a change or deletion made
   * meanwhile is not undone. Then deletes Temporal schedules this deployment made (their
   * group is one of this database's) whose row is gone, once two sweeps in a row found them
   * so: another Kasal sharing the namespace, or one starting on an empty database, is left
   * alone. Safe to run from several API processes.
   */
  async reconcileAll(orm: Orm): Promise<{ checked: number; removed: number; orphans: number }> {
    const ids = (
      await orm.em
        .fork()
        .find(ScheduleEntity, {}, { fields: ['id'], orderBy: { createdAt: 'asc' } })
    ).map((row) => row.id);
    let removed = 0;
    for (const id of ids) {
      const em = orm.em.fork();
      const row = await em.findOne(ScheduleEntity, { id });
      if (!row) continue;
      try {
        if (!(await this.reconcile(em, row)).row) removed += 1;
      } catch (error) {
        this.deps.logger.warn({ err: error, scheduleId: id }, 'could not reconcile schedule');
      }
    }
    const orphans = await this.removeOrphans(orm);
    return { checked: ids.length, removed, orphans };
  }

  /** Orphans seen by the previous sweep: only those still orphaned now are deleted. */
  private suspects = new Set<string>();

  private async removeOrphans(orm: Orm): Promise<number> {
    const em = orm.em.fork();
    const seen = new Set<string>();
    let removed = 0;
    for await (const summary of this.deps.temporal.schedule.list()) {
      if (!summary.scheduleId.startsWith(TEMPORAL_SCHEDULE_PREFIX)) continue;
      const id = summary.scheduleId.slice(TEMPORAL_SCHEDULE_PREFIX.length);
      if (!isUuid(id) || (await em.findOne(ScheduleEntity, { id }, { fields: ['id'] }))) continue;
      const description = await this.describe(id);
      const groupId = description?.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.groupId);
      const ours =
        description?.action.taskQueue === this.deps.taskQueue &&
        typeof groupId === 'string' &&
        (await em.findOne(GroupEntity, { id: groupId }, { fields: ['id'] })) !== null;
      if (!ours) continue;
      seen.add(id);
      if (!this.suspects.has(id)) continue;
      await this.delete(id);
      this.deps.logger.warn({ scheduleId: id }, 'deleted a Temporal schedule without a row');
      removed += 1;
    }
    this.suspects = seen;
    return removed;
  }

  private options(settings: ScheduleSettings): ScheduleOptions {
    const spec: ScheduleOptions['spec'] = {
      ...(settings.cron
        ? { cronExpressions: temporalCronExpressions(settings.cron) }
        : { intervals: [{ every: (settings.intervalSeconds ?? 60) * 1000 }] }),
      timezone: settings.timezone,
      ...(settings.startAt && { startAt: new Date(settings.startAt) }),
      ...(settings.endAt && { endAt: new Date(settings.endAt) }),
      ...(settings.jitterSeconds > 0 && { jitter: settings.jitterSeconds * 1000 }),
    };
    return {
      scheduleId: temporalScheduleId(settings.id),
      spec,
      action: {
        type: 'startWorkflow',
        workflowType: SCHEDULED_RUN_WORKFLOW,
        // Temporal appends the scheduled time to each run's id.
        workflowId: `kasal-scheduled-${settings.id}`,
        taskQueue: this.deps.taskQueue,
        args: [{ scheduleId: settings.id, groupId: settings.groupId }],
        memo: { [REVISION_MEMO]: settings.revision },
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTE_KEYS.groupId, value: settings.groupId },
          { key: SEARCH_ATTRIBUTE_KEYS.scheduleId, value: settings.id },
          { key: SEARCH_ATTRIBUTE_KEYS.trigger, value: 'scheduled' },
          { key: SEARCH_ATTRIBUTE_KEYS.name, value: settings.name },
        ],
        staticSummary: `Scheduled run · ${settings.name}`,
        staticDetails: `Kasal schedule \`${settings.id}\` in group \`${settings.groupId}\``,
      },
      policies: {
        overlap: TEMPORAL_OVERLAP[settings.overlap],
        ...(settings.catchupWindowSeconds != null && {
          catchupWindow: settings.catchupWindowSeconds * 1000,
        }),
      },
      state: { paused: settings.paused, ...(settings.note && { note: settings.note }) },
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTE_KEYS.groupId, value: settings.groupId },
        { key: SEARCH_ATTRIBUTE_KEYS.scheduleId, value: settings.id },
      ],
    };
  }

  private handle(id: string) {
    return this.deps.temporal.schedule.getHandle(temporalScheduleId(id));
  }

  private call<T>(fn: () => Promise<T>, timeoutMs = CHANGE_TIMEOUT_MS): Promise<T> {
    return this.deps.temporal.connection.withDeadline(Date.now() + timeoutMs, fn);
  }
}

function revisionOf(description: ScheduleDescription): number {
  const value = description.action.memo?.[REVISION_MEMO];
  return typeof value === 'number' ? value : 0;
}

/**
 * A failed Temporal call as the API answers it: a spec Temporal refuses is a 400 naming the
 * field; a schedule deleted or created meanwhile a 409; another refusal (a misconfigured
 * server) a 500; anything else means Temporal is unreachable (503).
 */
export function temporalFailure(error: unknown, logger: Logger): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ScheduleNotFoundError || error instanceof ScheduleAlreadyRunning) {
    return conflict('The schedule was changed or deleted meanwhile; reload it and try again');
  }
  const refused = refusedSpec(error);
  if (refused) {
    return validationError('schedule', [{ path: fieldOf(refused), message: refused }]);
  }
  logger.error({ err: error }, 'Temporal schedule call failed');
  const invalidArgument =
    error instanceof ServiceError && (error.cause as { code?: number } | undefined)?.code === 3;
  if (error instanceof TypeError || invalidArgument) {
    // Temporal refused something that is not the user's input (e.g. a search attribute the
    // namespace lacks): the operator must look, retrying will not help.
    return new ApiError(
      500,
      API_ERROR_CODES.internal,
      'Temporal refused the schedule; the operator can find why in the API log',
    );
  }
  return new ApiError(
    503,
    API_ERROR_CODES.unavailable,
    'The workflow service (Temporal) is unreachable; try again shortly',
  );
}

/** Temporal's message when it refuses a schedule's spec (cron, time zone, interval, …). */
function refusedSpec(error: unknown): string | undefined {
  // The client turns the server's "Invalid schedule spec" into a TypeError.
  const message =
    error instanceof TypeError
      ? error.message
      : error instanceof ServiceError && (error.cause as { code?: number } | undefined)?.code === 3
        ? ((error.cause as { details?: string }).details ?? error.message)
        : undefined;
  return message !== undefined && fieldOf(message) !== '' ? message : undefined;
}

function fieldOf(message: string): string {
  if (
    /invalid schedule spec/i.test(message) &&
    !/cron|time ?zone|location|interval|jitter|catch ?up/i.test(message)
  ) {
    return 'schedule';
  }
  if (/cron/i.test(message)) return 'cron';
  if (/time ?zone|location/i.test(message)) return 'timezone';
  if (/interval/i.test(message)) return 'interval_seconds';
  if (/jitter/i.test(message)) return 'jitter_seconds';
  if (/catch ?up/i.test(message)) return 'catchup_window_seconds';
  return '';
}

/**
 * Reconciles all schedules now and then (and soon after start), so drift is repaired even for
 * schedules nobody reads. Returns a function that stops it.
 */
export function startScheduleSweep(deps: {
  sync: ScheduleSync;
  orm: Orm;
  logger: Logger;
  intervalMs: number;
}): () => Promise<void> {
  let running: Promise<void> | undefined;
  const sweep = () => {
    running ??= deps.sync
      .reconcileAll(deps.orm)
      .then((result) => {
        if (result.removed || result.orphans) deps.logger.info(result, 'schedules reconciled');
      })
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'schedule sweep failed; the next one tries again');
      })
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(sweep, Math.min(deps.intervalMs, 10_000));
  const timer = setInterval(sweep, deps.intervalMs);
  first.unref();
  timer.unref();
  return async () => {
    clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
