/** Execution events: the log, the trace tree, and live Server-Sent Event streams. */
import { z } from 'zod';
import { PaginationQuerySchema, pageOf } from '../../shared/schemas/common.schema';
import type { EndpointRouter } from '../http/endpoint';
import { IdParamsSchema } from '../schemas/identity.schema';
import type { EventsService } from '../services/events.service';

const EventSchema = z
  .object({
    id: z.number().int().describe('Orders events; SSE clients resume from it'),
    key: z.string(),
    execution_id: z.uuid(),
    type: z.string().describe('crew_started, task_started, llm_call, llm_response, tool_usage, …'),
    task_key: z.string().nullable(),
    parent_key: z.string().nullable(),
    title: z.string(),
    data: z.record(z.string(), z.unknown()),
    duration_ms: z.number().nullable(),
    occurred_at: z.string().nullable(),
  })
  .meta({ id: 'ExecutionEvent' });

const StreamQuery = z.object({
  last_event_id: z.coerce.number().int().min(0).optional().describe('Or the Last-Event-ID header'),
});

const lastEventId = (header: string | string[] | undefined, query: number | undefined) => {
  const fromHeader = Number(Array.isArray(header) ? header[0] : header);
  return Number.isInteger(fromHeader) && fromHeader > 0 ? fromHeader : (query ?? 0);
};

const STREAM_LIMITS =
  'A user may hold KASAL_STREAMS_MAX_PER_USER streams open at once (default 10) and a group KASAL_STREAMS_MAX_PER_GROUP (default 50), counted per API process; one more answers 429 with Retry-After.';
const TOO_MANY_STREAMS =
  'The caller or the group already holds as many open streams as it may; close one and try again after Retry-After seconds';

export function addEventsRoutes(endpoints: EndpointRouter, events: EventsService): void {
  const tags = ['Execution events'];
  endpoints.add({
    method: 'get',
    path: '/executions/stream',
    tags,
    summary: "Server-Sent Events of all the group's executions as they happen",
    description: STREAM_LIMITS,
    access: 'definitions:read',
    query: StreamQuery,
    errors: { 429: TOO_MANY_STREAMS },
    handler: ({ req, res, auth, group, query }) =>
      events.stream(
        req,
        res,
        { userId: auth.user.id, groupId: group.id },
        undefined,
        lastEventId(req.headers['last-event-id'], query.last_event_id),
      ),
  });
  endpoints.add({
    method: 'get',
    path: '/executions/:id/stream',
    tags,
    summary: 'Server-Sent Events of one execution; ends with an `end` event when it has finished',
    description: STREAM_LIMITS,
    access: 'definitions:read',
    params: IdParamsSchema,
    query: StreamQuery,
    errors: { 429: TOO_MANY_STREAMS },
    handler: ({ req, res, auth, group, params, query }) =>
      events.stream(
        req,
        res,
        { userId: auth.user.id, groupId: group.id },
        params.id,
        lastEventId(req.headers['last-event-id'], query.last_event_id),
      ),
  });
  endpoints.add({
    method: 'get',
    path: '/executions/:id/logs',
    tags,
    summary: 'Every event of an execution, in order (filter by `type`)',
    access: 'definitions:read',
    params: IdParamsSchema,
    query: PaginationQuerySchema.extend({ type: z.string().max(64).optional() }),
    response: pageOf(EventSchema),
    handler: ({ req, group, params, query }) => events.logs(req.em, group.id, params.id, query),
  });
  endpoints.add({
    method: 'get',
    path: '/executions/:id/trace',
    tags,
    summary: 'The events as a tree: execution → tasks → LLM and tool calls',
    access: 'definitions:read',
    params: IdParamsSchema,
    response: z.object({
      execution_id: z.uuid(),
      status: z.string(),
      usage: z.unknown(),
      roots: z.array(z.unknown()),
    }),
    handler: ({ req, group, params }) => events.trace(req.em, group.id, params.id),
  });
}
