/**
 * A schedule: a saved crew or flow run on a cron expression or an interval. The row is what the
 * user asked for; the Temporal schedule `kasal-schedule-<id>` carries it out. `syncState` and
 * `revision` say whether both agree, so an interrupted change can be finished or undone
 * (api/services/schedule-sync.ts).
 */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

export const SCHEDULE_OVERLAP_POLICIES = [
  'skip',
  'buffer_one',
  'allow_all',
  'cancel_other',
] as const;
export const SCHEDULE_PINS = ['latest', 'snapshot'] as const;
/**
 * `creating`: the row is written, the Temporal schedule may not exist yet; `deleting`: the
 * Temporal schedule and then the row are being removed (runs no longer start); `synced`: both
 * exist. A change of settings goes to Temporal first and is committed by the row's `revision`.
 */
export const SCHEDULE_SYNC_STATES = ['creating', 'deleting', 'synced'] as const;

export const ScheduleEntity = defineEntity({
  name: 'Schedule',
  tableName: 'schedules',
  indexes: [{ properties: ['groupId', 'createdAt'] }],
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    name: p.string().length(200),
    targetKind: p.enum(['crew', 'flow'] as const),
    /** The saved crew or flow. */
    targetId: p.uuid().index(),
    /** `latest`: the definition as it is at each run; `snapshot`: as it was when pinned. */
    pin: p.enum(SCHEDULE_PINS),
    /** For `snapshot`: the compiled plan every run uses. */
    snapshotPlan: p.json<Record<string, unknown>>().nullable().lazy(),
    /** For `snapshot`: the definition's version and when it was pinned. */
    pinnedVersion: p.integer().nullable(),
    pinnedAt: p.datetime().nullable(),
    inputs: p.json<Record<string, unknown>>(),
    /** Exactly one of `cron` (5 fields) and `intervalSeconds`. */
    cron: p.string().length(200).nullable(),
    intervalSeconds: p.integer().nullable(),
    timezone: p.string().length(100),
    startAt: p.datetime().nullable(),
    endAt: p.datetime().nullable(),
    overlap: p.enum(SCHEDULE_OVERLAP_POLICIES),
    /** null: Temporal's default (one year). */
    catchupWindowSeconds: p.integer().nullable(),
    jitterSeconds: p.integer().default(0),
    paused: p.boolean().default(false),
    note: p.text().nullable(),
    /** Increases with every change of the settings; the Temporal schedule carries it too. */
    revision: p.integer().default(1),
    syncState: p.enum(SCHEDULE_SYNC_STATES),
    /** The last failure to bring Temporal in line with the row, if any. */
    syncError: p.text().nullable(),
    createdBy: p.uuid(),
    ...timestamps(),
  },
});

export type Schedule = InferEntity<typeof ScheduleEntity>;
