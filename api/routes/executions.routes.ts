/** `/executions`: run crews as durable workflows, follow them, stop them. */
import { pageOf } from '../../shared/schemas/common.schema';
import { ExecutionRequestSchema } from '../../shared/schemas/execution.schema';
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import {
  ExecutionListQuerySchema,
  ExecutionSchema,
  ExecutionStartedSchema,
  ExecutionSummarySchema,
  StopRequestSchema,
} from '../schemas/execution-response.schema';
import { IdParamsSchema } from '../schemas/identity.schema';
import type { ExecutionsService } from '../services/executions.service';
import { START_TOO_LARGE_ERRORS } from '../services/start-size';

export function addExecutionsRoutes(
  endpoints: EndpointRouter,
  executions: ExecutionsService,
): void {
  const tags = ['Executions'];
  endpoints.add({
    method: 'post',
    path: '/executions',
    tags,
    summary:
      "Run a crew: saved (`crew_id`), inline (`crew`), or in Kasal's `agents_yaml`/`tasks_yaml` shape",
    access: 'executions:run',
    body: ExecutionRequestSchema,
    subject: 'execution request',
    status: 202,
    response: ExecutionStartedSchema,
    errors: {
      ...START_TOO_LARGE_ERRORS,
      503: 'Temporal is unreachable; nothing was started',
    },
    handler: ({ req, auth, group, body }) => executions.start(req.em, group.id, auth.user.id, body),
  });
  endpoints.add({
    method: 'get',
    path: '/executions',
    tags,
    summary: 'List executions (newest first), filtered by status, crew, schedule and creation time',
    access: 'definitions:read',
    query: ExecutionListQuerySchema,
    response: pageOf(ExecutionSummarySchema),
    handler: ({ req, group, query }) => executions.list(req.em, group.id, query),
  });
  endpoints.add({
    method: 'get',
    path: '/executions/:id',
    tags,
    summary: "An execution with each task's status, output and usage (live while it runs)",
    access: 'definitions:read',
    params: IdParamsSchema,
    response: ExecutionSchema,
    errors: { 503: 'Temporal is unreachable' },
    handler: ({ req, group, params }) => executions.get(req.em, group.id, params.id),
  });
  endpoints.add({
    method: 'post',
    path: '/executions/:id/stop',
    tags,
    summary:
      'Stop an execution: gracefully (STOPPED, partial results kept) or by force (CANCELLED)',
    access: 'executions:run',
    params: IdParamsSchema,
    body: StopRequestSchema.optional(),
    status: 202,
    response: z.object({
      execution_id: z.uuid(),
      status: z.string(),
      stop: z.enum(['requested', 'forced']),
    }),
    errors: { 409: 'The execution has already finished', 503: 'Temporal is unreachable' },
    handler: ({ req, group, params, body }) =>
      executions.stop(req.em, group.id, params.id, body?.force ?? false, body?.reason),
  });
}
