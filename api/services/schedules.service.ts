/**
 * Schedules: a saved crew or flow run on a cron expression or an interval by a Temporal
 * Schedule. The row and the Temporal schedule are kept one thing by ScheduleSync; this service
 * validates, compiles (the target must compile now, and a `snapshot` keeps the plan), and
 * answers with what Temporal plans next and what ran last.
 */
import type { EntityManager } from '@mikro-orm/core';
import type { ScheduleDescription } from '@temporalio/client';
import { compileSavedTarget, type SavedTarget } from '../../shared/node/definitions/compile-saved';
import { ExecutionEntity, ScheduleEntity, type Schedule } from '../../shared/node/db/entities';
import type { Logger } from '../../shared/node/logger';
import { cronShortestGapSeconds } from '../../shared/schedules/cron';
import { conflict, notFound, validationError } from '../http/errors';
import type {
  CreateScheduleInput,
  ScheduleFromExecutionInput,
  UpdateScheduleInput,
} from '../schemas/schedule.schema';
import {
  temporalFailure,
  temporalScheduleId,
  type Lookup,
  type ScheduleSettings,
  type ScheduleSync,
} from './schedule-sync';
import { iso } from './serialize';
import { assertStartFits } from './start-size';

const RECENT_RUNS = 5;
const NEXT_RUNS = 5;

export interface SchedulesDeps {
  sync: ScheduleSync;
  defaultModel: string;
  /** The largest start of a run (KASAL_MAX_START_PAYLOAD_BYTES). */
  maxStartPayloadBytes: number;
  logger: Logger;
  /** The shortest time between runs, and how many unpaused schedules a group may have. */
  limits: { minIntervalSeconds: number; maxPerGroup: number };
}

/** What the compile step decides for the row: for a snapshot, the plan and its version. */
interface Pinned {
  snapshotPlan: Record<string, unknown> | null;
  pinnedVersion: number | null;
  pinnedAt: Date | null;
}

export class SchedulesService {
  constructor(private readonly deps: SchedulesDeps) {}

  async list(
    em: EntityManager,
    groupId: string,
    query: {
      limit: number;
      offset: number;
      crew_id?: string | undefined;
      flow_id?: string | undefined;
    },
  ) {
    if (query.crew_id && query.flow_id) {
      throw validationError('query', [
        { path: 'flow_id', message: 'filter by crew_id or flow_id, not both' },
      ]);
    }
    const [rows, total] = await em.findAndCount(
      ScheduleEntity,
      {
        groupId,
        syncState: { $ne: 'deleting' },
        ...(query.crew_id && { targetKind: 'crew' as const, targetId: query.crew_id }),
        ...(query.flow_id && { targetKind: 'flow' as const, targetId: query.flow_id }),
      },
      { orderBy: { createdAt: 'desc', id: 'asc' }, limit: query.limit, offset: query.offset },
    );
    // Temporal is asked about all of them at once; repairs (rare) go one by one.
    const lookups = await Promise.all(rows.map((row) => this.deps.sync.lookup(row.id)));
    const items = [];
    for (const [index, row] of rows.entries()) {
      const { row: current, description } = await this.deps.sync.reconcile(em, row, lookups[index]);
      if (current) items.push(await this.present(em, current, description));
    }
    return { items, total, limit: query.limit, offset: query.offset };
  }

  async get(em: EntityManager, groupId: string, id: string) {
    const { row, description } = await this.current(em, groupId, id);
    return this.present(em, row, description);
  }

  async create(em: EntityManager, groupId: string, userId: string, input: CreateScheduleInput) {
    this.checkTiming(input);
    if (!input.paused) await this.checkActiveCount(em, groupId);
    const target = targetOf(input) as SavedTarget;
    const pinned = await this.compile(em, groupId, target, input.inputs, input.pin);
    const row = em.create(ScheduleEntity, {
      groupId,
      name: input.name,
      targetKind: target.kind,
      targetId: target.id,
      pin: input.pin,
      ...pinned,
      inputs: input.inputs,
      cron: input.cron ?? null,
      intervalSeconds: input.interval_seconds ?? null,
      timezone: input.timezone,
      startAt: date(input.start_at),
      endAt: date(input.end_at),
      overlap: input.overlap,
      catchupWindowSeconds: input.catchup_window_seconds ?? null,
      jitterSeconds: input.jitter_seconds,
      paused: input.paused,
      note: input.note ?? null,
      revision: 1,
      syncState: 'creating',
      syncError: null,
      createdBy: userId,
    });
    await em.flush();
    try {
      await this.deps.sync.create(row);
    } catch (error) {
      // Nothing half-made: without its Temporal schedule the row goes too (and the schedule,
      // should the call have reached Temporal after all, e.g. when only its answer timed out).
      await this.deps.sync.delete(row.id).catch(() => undefined);
      await em.nativeDelete(ScheduleEntity, { id: row.id }).catch((cleanup: unknown) => {
        this.deps.logger.error({ err: cleanup, scheduleId: row.id }, 'could not drop the row');
      });
      throw temporalFailure(error, this.deps.logger);
    }
    row.syncState = 'synced';
    await em.flush();
    return this.present(em, row, await this.describeQuietly(row.id));
  }

  async createFromExecution(
    em: EntityManager,
    groupId: string,
    userId: string,
    input: ScheduleFromExecutionInput,
  ) {
    const execution = await em.findOne(ExecutionEntity, { id: input.execution_id, groupId });
    if (!execution) throw notFound('Execution', input.execution_id);
    const problem = execution.parentExecutionId
      ? 'this run was a step of a flow execution: schedule the flow instead'
      : !execution.crewId && !execution.flowId
        ? 'this execution ran a crew or flow written inline: save it first, then schedule it'
        : undefined;
    if (problem) throw validationError('schedule', [{ path: 'execution_id', message: problem }]);
    const { execution_id: _execution, name, ...settings } = input;
    return this.create(em, groupId, userId, {
      ...settings,
      name: name ?? execution.name,
      ...(execution.kind === 'flow'
        ? { flow_id: execution.flowId as string }
        : { crew_id: execution.crewId as string }),
      inputs: execution.inputs,
    });
  }

  async update(em: EntityManager, groupId: string, id: string, input: UpdateScheduleInput) {
    this.checkTiming(input);
    // Reconciled first, so a pause made in Temporal meanwhile is not undone by this change.
    const { row } = await this.current(em, groupId, id);
    if (row.paused && input.paused === false) await this.checkActiveCount(em, groupId);
    const target: SavedTarget =
      input.crew_id !== undefined
        ? { kind: 'crew', id: input.crew_id }
        : input.flow_id !== undefined
          ? { kind: 'flow', id: input.flow_id }
          : { kind: row.targetKind, id: row.targetId };
    const inputs = input.inputs ?? row.inputs;
    const pin = input.pin ?? row.pin;
    if (row.pin === 'snapshot' && input.pin === undefined && input.inputs !== undefined) {
      // New inputs mean a new compile, which would silently move the pinned version.
      throw validationError('schedule', [
        {
          path: 'inputs',
          message:
            'this schedule is pinned to a snapshot: send "pin": "snapshot" with the new inputs to re-pin it to the current definition',
        },
      ]);
    }
    const recompile =
      input.crew_id !== undefined ||
      input.flow_id !== undefined ||
      input.inputs !== undefined ||
      input.pin !== undefined;
    const pinned = recompile ? await this.compile(em, groupId, target, inputs, pin) : undefined;

    const timing =
      input.cron !== undefined
        ? { cron: input.cron, intervalSeconds: null }
        : input.interval_seconds !== undefined
          ? { cron: null, intervalSeconds: input.interval_seconds }
          : {};
    const next = {
      ...(input.name !== undefined && { name: input.name }),
      targetKind: target.kind,
      targetId: target.id,
      pin,
      ...pinned,
      inputs,
      ...timing,
      ...(input.timezone !== undefined && { timezone: input.timezone }),
      ...(input.start_at !== undefined && { startAt: date(input.start_at) }),
      ...(input.end_at !== undefined && { endAt: date(input.end_at) }),
      ...(input.overlap !== undefined && { overlap: input.overlap }),
      ...(input.catchup_window_seconds !== undefined && {
        catchupWindowSeconds: input.catchup_window_seconds,
      }),
      ...(input.jitter_seconds !== undefined && { jitterSeconds: input.jitter_seconds }),
      ...(input.paused !== undefined && { paused: input.paused }),
      ...(input.note !== undefined && { note: input.note }),
      revision: row.revision + 1,
    };
    const candidate = { ...settingsOf(row), ...next };
    if (candidate.startAt && candidate.endAt && candidate.endAt <= candidate.startAt) {
      throw validationError('schedule', [{ path: 'end_at', message: 'must be after start_at' }]);
    }

    // Temporal first; the row's write, guarded by the revision it started from, commits.
    try {
      await this.deps.sync.update(candidate, input.paused !== undefined);
    } catch (error) {
      throw temporalFailure(error, this.deps.logger);
    }
    let written: number;
    try {
      written = await em.nativeUpdate(
        ScheduleEntity,
        { id, groupId, revision: row.revision, syncState: { $ne: 'deleting' } },
        { ...next, syncError: null, updatedAt: new Date() },
      );
    } catch (error) {
      await this.restore(em, id);
      throw error;
    }
    if (written === 0) {
      await this.restore(em, id);
      throw conflict('The schedule was changed or deleted meanwhile; reload it and try again');
    }
    em.clear();
    return this.get(em, groupId, id);
  }

  async delete(em: EntityManager, groupId: string, id: string): Promise<void> {
    const row = await this.find(em, groupId, id);
    const before = row.syncState;
    row.syncState = 'deleting';
    await em.flush();
    try {
      await this.deps.sync.delete(id);
    } catch (error) {
      row.syncState = before;
      await em.flush();
      throw temporalFailure(error, this.deps.logger);
    }
    await em.nativeDelete(ScheduleEntity, { id });
  }

  async setPaused(
    em: EntityManager,
    groupId: string,
    id: string,
    paused: boolean | 'toggle',
    note?: string,
  ) {
    const { row } = await this.current(em, groupId, id);
    const pause = paused === 'toggle' ? !row.paused : paused;
    if (row.paused && !pause) await this.checkActiveCount(em, groupId);
    try {
      await this.deps.sync.setPaused(row, pause, note);
    } catch (error) {
      throw temporalFailure(error, this.deps.logger);
    }
    row.paused = pause;
    row.note = note ?? null;
    await em.flush();
    return this.get(em, groupId, id);
  }

  async trigger(
    em: EntityManager,
    groupId: string,
    id: string,
    overlap: Schedule['overlap'] | undefined,
  ) {
    const { row } = await this.current(em, groupId, id);
    const policy = overlap ?? row.overlap;
    try {
      await this.deps.sync.trigger(row, policy);
    } catch (error) {
      throw temporalFailure(error, this.deps.logger);
    }
    return { schedule_id: row.id, triggered: true as const, overlap: policy };
  }

  /** Runs no closer together than the platform's minimum interval (a 400 naming the field). */
  private checkTiming(timing: {
    cron?: string | undefined;
    interval_seconds?: number | undefined;
  }) {
    const minimum = this.deps.limits.minIntervalSeconds;
    if (timing.interval_seconds !== undefined && timing.interval_seconds < minimum) {
      throw validationError('schedule', [
        {
          path: 'interval_seconds',
          message: `must be at least ${minimum}: the shortest interval between runs on this platform`,
        },
      ]);
    }
    const gap = timing.cron === undefined ? Infinity : cronShortestGapSeconds(timing.cron);
    if (gap < minimum) {
      throw validationError('schedule', [
        {
          path: 'cron',
          message: `runs as often as every ${gap} seconds; the shortest interval between runs on this platform is ${minimum} seconds`,
        },
      ]);
    }
  }

  /** A 409 when the group already has as many unpaused schedules as it may. */
  private async checkActiveCount(em: EntityManager, groupId: string): Promise<void> {
    const maximum = this.deps.limits.maxPerGroup;
    const active = await em.count(ScheduleEntity, {
      groupId,
      paused: false,
      syncState: { $ne: 'deleting' },
    });
    if (active >= maximum) {
      throw conflict(
        `This group already has ${active} active schedules, the most it may have (${maximum}): pause or delete one first`,
        { active, limit: maximum },
      );
    }
  }

  /**
   * After a change reached Temporal but not the row: Temporal gets the row's settings back (or
   * loses the schedule, when the row is being deleted). If that fails too, reads and the sweep
   * repair it, as the revisions differ.
   */
  private async restore(em: EntityManager, id: string): Promise<void> {
    try {
      const current = await em.fork().findOne(ScheduleEntity, { id });
      if (current && current.syncState !== 'deleting') await this.deps.sync.update(current);
      else await this.deps.sync.delete(id);
    } catch (error) {
      this.deps.logger.error({ err: error, scheduleId: id }, 'could not restore the schedule');
    }
  }

  /** Compiles the target now: it must be valid and small enough to start; a snapshot keeps the plan. */
  private async compile(
    em: EntityManager,
    groupId: string,
    target: SavedTarget,
    inputs: Record<string, unknown>,
    pin: Schedule['pin'],
  ): Promise<Pinned> {
    const compiled = await compileSavedTarget(em, groupId, target, inputs, this.deps.defaultModel);
    if (!compiled.ok) throw validationError('schedule', compiled.issues);
    assertStartFits(
      'A run of this schedule',
      { plan: compiled.plan },
      this.deps.maxStartPayloadBytes,
    );
    return pin === 'snapshot'
      ? {
          snapshotPlan: compiled.plan as unknown as Record<string, unknown>,
          pinnedVersion: compiled.version,
          pinnedAt: new Date(),
        }
      : { snapshotPlan: null, pinnedVersion: null, pinnedAt: null };
  }

  /** The schedule, reconciled with Temporal first. */
  private async current(em: EntityManager, groupId: string, id: string) {
    const { row, description } = await this.deps.sync.reconcile(
      em,
      await this.find(em, groupId, id),
    );
    if (!row) throw notFound('Schedule', id);
    return { row, description };
  }

  private async find(em: EntityManager, groupId: string, id: string): Promise<Schedule> {
    const row = await em.findOne(ScheduleEntity, { id, groupId, syncState: { $ne: 'deleting' } });
    if (!row) throw notFound('Schedule', id);
    return row;
  }

  private async describeQuietly(id: string): Promise<ScheduleDescription | undefined> {
    const lookup: Lookup = await this.deps.sync.lookup(id);
    return lookup === 'unreachable' ? undefined : lookup.found;
  }

  private async present(em: EntityManager, row: Schedule, description?: ScheduleDescription) {
    const runs = await em.find(
      ExecutionEntity,
      { scheduleId: row.id, parentExecutionId: null },
      {
        orderBy: { createdAt: 'desc', id: 'asc' },
        limit: RECENT_RUNS,
        fields: ['id', 'status', 'error', 'createdAt', 'startedAt', 'finishedAt'],
      },
    );
    return {
      id: row.id,
      group_id: row.groupId,
      name: row.name,
      crew_id: row.targetKind === 'crew' ? row.targetId : null,
      flow_id: row.targetKind === 'flow' ? row.targetId : null,
      pin: row.pin,
      pinned_version: row.pinnedVersion ?? null,
      pinned_at: iso(row.pinnedAt),
      inputs: row.inputs,
      cron: row.cron ?? null,
      interval_seconds: row.intervalSeconds ?? null,
      timezone: row.timezone,
      start_at: iso(row.startAt),
      end_at: iso(row.endAt),
      overlap: row.overlap,
      catchup_window_seconds: row.catchupWindowSeconds ?? null,
      jitter_seconds: row.jitterSeconds,
      paused: row.paused,
      note: row.note ?? null,
      temporal_schedule_id: temporalScheduleId(row.id),
      sync_state: row.syncState,
      sync_error: row.syncError ?? null,
      next_run_times: description
        ? description.info.nextActionTimes.slice(0, NEXT_RUNS).map((time) => time.toISOString())
        : null,
      recent_runs: runs.map((run) => ({
        execution_id: run.id,
        status: run.status,
        created_at: iso(run.createdAt),
        started_at: iso(run.startedAt),
        finished_at: iso(run.finishedAt),
        error: run.error ?? null,
      })),
      stats: description
        ? {
            runs_started: description.info.numActionsTaken,
            skipped_overlap: description.info.numActionsSkippedOverlap,
            missed_catchup: description.info.numActionsMissedCatchupWindow,
            running: description.info.runningActions.length,
          }
        : null,
      created_by: row.createdBy,
      created_at: iso(row.createdAt),
      updated_at: iso(row.updatedAt),
    };
  }
}

function targetOf(input: { crew_id?: string | undefined; flow_id?: string | undefined }) {
  if (input.crew_id !== undefined) return { kind: 'crew' as const, id: input.crew_id };
  if (input.flow_id !== undefined) return { kind: 'flow' as const, id: input.flow_id };
  return undefined;
}

function settingsOf(row: Schedule): ScheduleSettings {
  return {
    id: row.id,
    groupId: row.groupId,
    name: row.name,
    cron: row.cron ?? null,
    intervalSeconds: row.intervalSeconds ?? null,
    timezone: row.timezone,
    startAt: row.startAt ?? null,
    endAt: row.endAt ?? null,
    overlap: row.overlap,
    catchupWindowSeconds: row.catchupWindowSeconds ?? null,
    jitterSeconds: row.jitterSeconds,
    paused: row.paused,
    note: row.note ?? null,
    revision: row.revision,
  };
}

function date(value: string | null | undefined): Date | null {
  return value ? new Date(value) : null;
}
