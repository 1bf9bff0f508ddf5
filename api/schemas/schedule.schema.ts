/** Request and response bodies of `/schedules`. */
import { z } from 'zod';
import { EXECUTION_STATUSES } from '../../shared/plan/execution-state';
import { NameSchema } from '../../shared/schemas/common.schema';
import { cronProblem } from '../../shared/schedules/cron';
import {
  SCHEDULE_OVERLAP_POLICIES,
  SCHEDULE_PINS,
  SCHEDULE_SYNC_STATES,
} from '../../shared/node/db/entities/schedule.entity';

const YEAR_SECONDS = 366 * 24 * 3600;

/** An IANA time zone name that this runtime (and so, in practice, Temporal's tz data) knows. */
export function isTimeZone(name: string): boolean {
  // Intl also accepts offsets such as "+01:00", which Temporal does not.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const Cron = z
  .string()
  .trim()
  .max(200)
  .superRefine((value, ctx) => {
    const problem = cronProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `invalid cron expression: ${problem}` });
  })
  .describe(
    '5-field cron expression: minute hour day-of-month month day-of-week, e.g. `0 7 * * MON-FRI`',
  );
const TimeZone = z
  .string()
  .trim()
  .max(100)
  .refine(isTimeZone, { message: 'unknown time zone (use an IANA name such as Europe/Berlin)' })
  // Temporal's zone lookup is case-sensitive: `europe/berlin` is stored as `Europe/Berlin`.
  .transform(
    (name) => new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone,
  )
  .describe('IANA time zone the cron expression is read in, e.g. `Europe/Berlin`');
const Timestamp = z.iso.datetime({ offset: true });

/** Every setting; a create takes them with defaults, a patch takes any of them. */
const settings = {
  name: NameSchema,
  crew_id: z.uuid().describe('Run this saved crew'),
  flow_id: z.uuid().describe('Run this saved flow'),
  pin: z
    .enum(SCHEDULE_PINS)
    .describe(
      '`latest`: each run uses the crew or flow as it is then; `snapshot`: every run uses it as it is now (giving `snapshot` again re-pins)',
    ),
  inputs: z.record(z.string(), z.unknown()).describe("The run's inputs (a flow's initial state)"),
  cron: Cron,
  interval_seconds: z
    .number()
    .int()
    .min(1)
    .max(YEAR_SECONDS)
    .describe('Run every this many seconds (instead of `cron`)'),
  timezone: TimeZone,
  start_at: Timestamp.nullable().describe('No runs before this time'),
  end_at: Timestamp.nullable().describe('No runs after this time'),
  overlap: z
    .enum(SCHEDULE_OVERLAP_POLICIES)
    .describe(
      'When a run is due while the previous one still runs: `skip` it, `buffer_one` (run it afterwards, at most one waiting), `allow_all` (run both), `cancel_other` (cancel the running one)',
    ),
  catchup_window_seconds: z
    .number()
    .int()
    .min(10)
    .max(YEAR_SECONDS)
    .nullable()
    .describe(
      'Runs missed while Temporal was unavailable are made up if they are at most this old (default: one year)',
    ),
  jitter_seconds: z
    .number()
    .int()
    .min(0)
    .max(YEAR_SECONDS)
    .describe('Delay each run by a random time up to this'),
  paused: z.boolean(),
  note: z.string().max(1000).nullable().describe('Why the schedule is paused'),
};

type Timing = {
  crew_id?: string | undefined;
  flow_id?: string | undefined;
  cron?: string | undefined;
  interval_seconds?: number | undefined;
  start_at?: string | null | undefined;
  end_at?: string | null | undefined;
};

const TARGET = ['crew_id', 'flow_id', 'give exactly one of "crew_id" and "flow_id"'] as const;
const TIMING = [
  'cron',
  'interval_seconds',
  'give exactly one of "cron" and "interval_seconds"',
] as const;

/** At most (or, for a create, exactly) one target and one timing; the end after the start. */
function checkChoices(required: boolean, pairs: readonly (typeof TARGET | typeof TIMING)[]) {
  return (value: Timing, ctx: z.RefinementCtx) => {
    for (const [first, second, message] of pairs) {
      const given = [value[first], value[second]].filter((item) => item !== undefined).length;
      if (given > 1 || (required && given === 0)) {
        ctx.addIssue({ code: 'custom', path: given > 1 ? [second] : [first], message });
      }
    }
    if (value.start_at && value.end_at && Date.parse(value.end_at) <= Date.parse(value.start_at)) {
      ctx.addIssue({ code: 'custom', path: ['end_at'], message: 'must be after start_at' });
    }
  };
}

const createShape = {
  ...settings,
  crew_id: settings.crew_id.optional(),
  flow_id: settings.flow_id.optional(),
  pin: settings.pin.default('latest'),
  inputs: settings.inputs.default({}),
  cron: settings.cron.optional(),
  interval_seconds: settings.interval_seconds.optional(),
  timezone: settings.timezone.default('UTC'),
  start_at: settings.start_at.optional(),
  end_at: settings.end_at.optional(),
  overlap: settings.overlap.default('skip'),
  catchup_window_seconds: settings.catchup_window_seconds.optional(),
  jitter_seconds: settings.jitter_seconds.default(0),
  paused: settings.paused.default(false),
  note: settings.note.optional(),
};

const CreateFields = z.strictObject(createShape);

export const CreateScheduleSchema = CreateFields.superRefine(
  checkChoices(true, [TARGET, TIMING]),
).meta({ id: 'CreateSchedule' });

export const ScheduleFromExecutionSchema = CreateFields.omit({
  crew_id: true,
  flow_id: true,
  inputs: true,
})
  .extend({
    execution_id: z
      .uuid()
      .describe('Schedule the crew or flow this execution ran, with its inputs'),
    name: settings.name.optional().describe("Defaults to the execution's name"),
  })
  .superRefine(checkChoices(true, [TIMING]))
  .meta({ id: 'ScheduleFromExecution' });

export const UpdateScheduleSchema = z
  .strictObject(
    Object.fromEntries(
      Object.entries(settings).map(([key, schema]) => [key, schema.optional()]),
    ) as { [K in keyof typeof settings]: z.ZodOptional<(typeof settings)[K]> },
  )
  .superRefine(checkChoices(false, [TARGET, TIMING]))
  .meta({ id: 'UpdateSchedule' });

export const PauseRequestSchema = z
  .strictObject({ note: z.string().max(1000).optional().describe('Why (shown with the schedule)') })
  .meta({ id: 'PauseRequest' });

export const TriggerRequestSchema = z
  .strictObject({
    overlap: z
      .enum(SCHEDULE_OVERLAP_POLICIES)
      .optional()
      .describe("This once, instead of the schedule's overlap policy"),
  })
  .meta({ id: 'TriggerRequest' });

export const ScheduleSchema = z
  .object({
    id: z.uuid(),
    group_id: z.uuid(),
    name: z.string(),
    crew_id: z.uuid().nullable(),
    flow_id: z.uuid().nullable(),
    pin: z.enum(SCHEDULE_PINS),
    pinned_version: z
      .number()
      .int()
      .nullable()
      .describe('For `snapshot`: the version of the crew or flow every run uses'),
    pinned_at: z.string().nullable(),
    inputs: z.record(z.string(), z.unknown()),
    cron: z.string().nullable(),
    interval_seconds: z.number().int().nullable(),
    timezone: z.string(),
    start_at: z.string().nullable(),
    end_at: z.string().nullable(),
    overlap: z.enum(SCHEDULE_OVERLAP_POLICIES),
    catchup_window_seconds: z.number().int().nullable(),
    jitter_seconds: z.number().int(),
    paused: z.boolean(),
    note: z.string().nullable(),
    temporal_schedule_id: z.string().describe('The schedule in the Temporal Web UI'),
    sync_state: z
      .enum(SCHEDULE_SYNC_STATES)
      .describe('`synced` when the Temporal schedule matches these settings'),
    sync_error: z
      .string()
      .nullable()
      .describe('Why Temporal could not be brought in line, if it could not'),
    next_run_times: z
      .array(z.string())
      .nullable()
      .describe('The next runs Temporal has planned (null when Temporal could not be asked)'),
    recent_runs: z
      .array(
        z.object({
          execution_id: z.uuid(),
          status: z.enum(EXECUTION_STATUSES),
          created_at: z.string(),
          started_at: z.string().nullable(),
          finished_at: z.string().nullable(),
          error: z.string().nullable(),
        }),
      )
      .describe("The schedule's latest runs, newest first"),
    stats: z
      .object({
        runs_started: z.number().int(),
        skipped_overlap: z.number().int().describe('Runs skipped because one was still running'),
        missed_catchup: z.number().int().describe('Runs missed beyond the catch-up window'),
        running: z.number().int(),
      })
      .nullable()
      .describe("Temporal's counts (null when Temporal could not be asked)"),
    created_by: z.uuid(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Schedule' });

export const ScheduleListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).default(0),
  crew_id: z.uuid().optional(),
  flow_id: z.uuid().optional(),
});

export type CreateScheduleInput = z.output<typeof CreateScheduleSchema>;
export type UpdateScheduleInput = z.output<typeof UpdateScheduleSchema>;
export type ScheduleFromExecutionInput = z.output<typeof ScheduleFromExecutionSchema>;
