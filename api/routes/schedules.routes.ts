/** `/schedules`: run saved crews and flows on a cron expression or an interval (Temporal Schedules). */
import { z } from 'zod';
import { pageOf } from '../../shared/schemas/common.schema';
import type { EndpointRouter } from '../http/endpoint';
import { IdParamsSchema } from '../schemas/identity.schema';
import {
  CreateScheduleSchema,
  PauseRequestSchema,
  ScheduleFromExecutionSchema,
  ScheduleListQuerySchema,
  ScheduleSchema,
  TriggerRequestSchema,
  UpdateScheduleSchema,
} from '../schemas/schedule.schema';
import type { SchedulesService } from '../services/schedules.service';
import { START_TOO_LARGE_ERRORS } from '../services/start-size';

const TOO_MANY =
  'the group already has as many active (unpaused) schedules as it may (KASAL_SCHEDULE_MAX_PER_GROUP)';
const UNAVAILABLE = 'Temporal is unreachable; nothing was changed';

export function addSchedulesRoutes(endpoints: EndpointRouter, schedules: SchedulesService): void {
  const tags = ['Schedules'];
  endpoints.add({
    method: 'get',
    path: '/schedules',
    tags,
    summary: "The group's schedules (newest first), with their next and latest runs",
    access: 'definitions:read',
    query: ScheduleListQuerySchema,
    response: pageOf(ScheduleSchema),
    handler: ({ req, group, query }) => schedules.list(req.em, group.id, query),
  });
  endpoints.add({
    method: 'post',
    path: '/schedules',
    tags,
    summary: 'Schedule a saved crew or flow: a 5-field cron expression or an interval',
    description:
      'Runs may be no closer together than KASAL_SCHEDULE_MIN_INTERVAL_SECONDS (default 60): a shorter `interval_seconds`, or a `cron` that runs more often, is a 400.',
    access: 'executions:run',
    body: CreateScheduleSchema,
    subject: 'schedule',
    status: 201,
    errors: { ...START_TOO_LARGE_ERRORS, 409: `Refused: ${TOO_MANY}`, 503: UNAVAILABLE },
    response: ScheduleSchema,
    handler: ({ req, auth, group, body }) => schedules.create(req.em, group.id, auth.user.id, body),
  });
  endpoints.add({
    method: 'post',
    path: '/schedules/from-execution',
    tags,
    summary: 'Schedule the crew or flow an earlier execution ran, with the same inputs',
    access: 'executions:run',
    body: ScheduleFromExecutionSchema,
    subject: 'schedule',
    status: 201,
    errors: { ...START_TOO_LARGE_ERRORS, 409: `Refused: ${TOO_MANY}`, 503: UNAVAILABLE },
    response: ScheduleSchema,
    handler: ({ req, auth, group, body }) =>
      schedules.createFromExecution(req.em, group.id, auth.user.id, body),
  });
  endpoints.add({
    method: 'get',
    path: '/schedules/:id',
    tags,
    summary: 'A schedule with its next run times and latest runs',
    access: 'definitions:read',
    params: IdParamsSchema,
    response: ScheduleSchema,
    handler: ({ req, group, params }) => schedules.get(req.em, group.id, params.id),
  });
  endpoints.add({
    method: 'patch',
    path: '/schedules/:id',
    tags,
    summary: 'Change a schedule (`null` clears an optional setting)',
    access: 'executions:run',
    params: IdParamsSchema,
    body: UpdateScheduleSchema,
    subject: 'schedule',
    errors: {
      ...START_TOO_LARGE_ERRORS,
      409: `Changed or deleted meanwhile; or, resuming it, ${TOO_MANY}`,
      503: UNAVAILABLE,
    },
    response: ScheduleSchema,
    handler: ({ req, group, params, body }) => schedules.update(req.em, group.id, params.id, body),
  });
  endpoints.add({
    method: 'delete',
    path: '/schedules/:id',
    tags,
    summary: 'Delete a schedule (runs in progress go on)',
    access: 'executions:run',
    params: IdParamsSchema,
    status: 204,
    errors: {
      409: 'The schedule was changed or deleted meanwhile',
      503: 'Temporal is unreachable; nothing was changed',
    },
    handler: ({ req, group, params }) => schedules.delete(req.em, group.id, params.id),
  });
  for (const [action, paused, summary] of [
    ['pause', true, 'Pause a schedule (with an optional note saying why)'],
    ['resume', false, 'Resume a paused schedule'],
    ['toggle', 'toggle', 'Pause a running schedule or resume a paused one'],
  ] as const) {
    endpoints.add({
      method: 'post',
      path: `/schedules/:id/${action}`,
      tags,
      summary,
      access: 'executions:run',
      params: IdParamsSchema,
      body: PauseRequestSchema.optional(),
      subject: 'pause request',
      errors: {
        409:
          paused === true
            ? 'Changed or deleted meanwhile'
            : `Changed or deleted meanwhile; or, resuming it, ${TOO_MANY}`,
        503: UNAVAILABLE,
      },
      response: ScheduleSchema,
      handler: ({ req, group, params, body }) =>
        schedules.setPaused(req.em, group.id, params.id, paused, body?.note),
    });
  }
  endpoints.add({
    method: 'post',
    path: '/schedules/:id/trigger',
    tags,
    summary: "Run now, once (the schedule's overlap policy applies unless the body names another)",
    access: 'executions:run',
    params: IdParamsSchema,
    body: TriggerRequestSchema.optional(),
    subject: 'trigger request',
    status: 202,
    response: z.object({
      schedule_id: z.uuid(),
      triggered: z.literal(true),
      overlap: ScheduleSchema.shape.overlap,
    }),
    errors: { 503: 'Temporal is unreachable; nothing was started' },
    handler: ({ req, group, params, body }) =>
      schedules.trigger(req.em, group.id, params.id, body?.overlap),
  });
}
