/** `/models`: a group's LLM endpoints (any OpenAI-compatible server) with write-only API keys. */
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import { IdParamsSchema } from '../schemas/identity.schema';
import {
  CreateModelConfigSchema,
  ModelConfigSchema,
  UpdateModelConfigSchema,
} from '../schemas/model.schema';
import type { ModelConfigsService } from '../services/model-configs.service';

export function addModelsRoutes(endpoints: EndpointRouter, models: ModelConfigsService): void {
  const tags = ['Models'];
  endpoints.add({
    method: 'get',
    path: '/models',
    tags,
    summary: "The group's model configs",
    access: 'definitions:read',
    response: z.array(ModelConfigSchema),
    handler: ({ req, group }) => models.list(req.em, group.id),
  });
  endpoints.add({
    method: 'post',
    path: '/models',
    tags,
    summary: 'Add a model config (the API key is stored encrypted and never returned)',
    description:
      'A base_url that is, or resolves to, a loopback, private or link-local address is a 400 unless a system administrator sets allow_private_networks (403 for anyone else) or the operator sets KASAL_MODELS_ALLOW_PRIVATE_NETWORKS.',
    access: 'group:manage',
    body: CreateModelConfigSchema,
    subject: 'model config',
    status: 201,
    errors: { 409: 'A model config of that name already exists in the group' },
    response: ModelConfigSchema,
    handler: ({ req, auth, group, body }) => models.create(req.em, group.id, auth, body),
  });
  endpoints.add({
    method: 'get',
    path: '/models/:id',
    tags,
    summary: 'Get a model config',
    access: 'definitions:read',
    params: IdParamsSchema,
    response: ModelConfigSchema,
    handler: ({ req, group, params }) => models.get(req.em, group.id, params.id),
  });
  endpoints.add({
    method: 'patch',
    path: '/models/:id',
    tags,
    summary: 'Change a model config',
    access: 'group:manage',
    params: IdParamsSchema,
    body: UpdateModelConfigSchema,
    subject: 'model config',
    errors: { 409: 'A model config of that name already exists in the group' },
    response: ModelConfigSchema,
    handler: ({ req, auth, group, params, body }) =>
      models.update(req.em, group.id, auth, params.id, body),
  });
  endpoints.add({
    method: 'delete',
    path: '/models/:id',
    tags,
    summary: 'Delete a model config',
    access: 'group:manage',
    params: IdParamsSchema,
    status: 204,
    handler: ({ req, group, params }) => models.delete(req.em, group.id, params.id),
  });
}
