/** `/agents`, `/tasks`, `/crews`: the same CRUD surface for each kind of definition. */
import { z } from 'zod';
import { PaginationQuerySchema, pageOf } from '../../shared/schemas/common.schema';
import type { StoredSpec } from '../../shared/node/db/entities';
import type { EndpointRouter } from '../http/endpoint';
import {
  AGENTS,
  CREWS,
  DefinitionsService,
  FLOWS,
  TASKS,
  type DefinitionKind,
  type RunLimits,
} from '../services/definitions.service';
import { START_TOO_LARGE_ERRORS } from '../services/start-size';

const ResourceMetaSchema = z.object({
  id: z.uuid(),
  group_id: z.uuid(),
  version: z.number().int().describe('Increases by one on every change'),
  created_by: z.uuid(),
  created_at: z.string(),
  updated_at: z.string(),
});

const IdParams = z.object({ id: z.uuid() });
const ListQuery = PaginationQuerySchema.extend({
  q: z.string().trim().min(1).max(200).optional().describe('Filter by name (case-insensitive)'),
});
const PatchBody = z
  .record(z.string(), z.unknown())
  .describe('Top-level fields to change; `null` removes an optional field');

function addDefinitionRoutes<Spec extends StoredSpec & { name?: string | undefined }>(
  endpoints: EndpointRouter,
  options: {
    path: string;
    tag: string;
    kind: DefinitionKind<Spec>;
    limits: RunLimits;
  },
): void {
  const { path, tag, kind } = options;
  const service = new DefinitionsService(kind, options.limits);
  // A stored definition: the spec's fields and the resource's own (not `allOf` of the strict
  // spec, which would forbid the resource's fields).
  const Resource = z
    .object({ ...kind.schema.shape, ...ResourceMetaSchema.shape })
    .meta({ id: `${tag.slice(0, -1)}` });
  const noun = kind.noun;
  // Saving a crew or flow checks the size of what its runs start with.
  const sizeErrors = kind.plan && { errors: START_TOO_LARGE_ERRORS };

  endpoints.add({
    method: 'get',
    path,
    tags: [tag],
    summary: `List ${noun}s in the group`,
    access: 'definitions:read',
    query: ListQuery,
    response: pageOf(Resource),
    handler: ({ req, group, query }) => service.list(req.em, group.id, query),
  });
  endpoints.add({
    method: 'post',
    path,
    tags: [tag],
    summary: `Create a ${noun}`,
    access: 'definitions:write',
    body: kind.schema,
    subject: noun,
    ...sizeErrors,
    status: 201,
    response: Resource,
    handler: ({ req, auth, group, body }) => service.create(req.em, group.id, auth.user.id, body),
  });
  endpoints.add({
    method: 'get',
    path: `${path}/:id`,
    tags: [tag],
    summary: `Get a ${noun}`,
    access: 'definitions:read',
    params: IdParams,
    response: Resource,
    handler: ({ req, group, params }) => service.get(req.em, group.id, params.id),
  });
  endpoints.add({
    method: 'put',
    path: `${path}/:id`,
    tags: [tag],
    summary: `Replace a ${noun}`,
    access: 'definitions:write',
    params: IdParams,
    body: kind.schema,
    subject: noun,
    ...sizeErrors,
    response: Resource,
    handler: ({ req, group, params, body }) => service.replace(req.em, group.id, params.id, body),
  });
  endpoints.add({
    method: 'patch',
    path: `${path}/:id`,
    tags: [tag],
    summary: `Change some fields of a ${noun}`,
    access: 'definitions:write',
    params: IdParams,
    body: PatchBody,
    subject: noun,
    ...sizeErrors,
    response: Resource,
    handler: ({ req, group, params, body }) => service.patch(req.em, group.id, params.id, body),
  });
  endpoints.add({
    method: 'delete',
    path: `${path}/:id`,
    tags: [tag],
    summary: `Delete a ${noun} (409 while other definitions use it)`,
    access: 'definitions:write',
    params: IdParams,
    status: 204,
    errors: { 409: 'Other definitions use it (`details.used_by` names them)' },
    handler: ({ req, group, params }) => service.delete(req.em, group.id, params.id),
  });
}

export function addDefinitionsRoutes(endpoints: EndpointRouter, limits: RunLimits): void {
  addDefinitionRoutes(endpoints, { path: '/agents', tag: 'Agents', kind: AGENTS, limits });
  addDefinitionRoutes(endpoints, { path: '/tasks', tag: 'Tasks', kind: TASKS, limits });
  addDefinitionRoutes(endpoints, { path: '/crews', tag: 'Crews', kind: CREWS, limits });
  addDefinitionRoutes(endpoints, { path: '/flows', tag: 'Flows', kind: FLOWS, limits });
}
