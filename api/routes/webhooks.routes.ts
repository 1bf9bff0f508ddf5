/** `/webhooks`: a group's endpoints for approval events, signed with HMAC-SHA256. */
import { z } from 'zod';
import type { EndpointRouter } from '../http/endpoint';
import {
  CreatedWebhookSchema,
  CreateWebhookSchema,
  UpdateWebhookSchema,
  WebhookSchema,
} from '../schemas/hitl.schema';
import { IdParamsSchema } from '../schemas/identity.schema';
import type { WebhooksService } from '../services/webhooks.service';

export function addWebhooksRoutes(endpoints: EndpointRouter, webhooks: WebhooksService): void {
  const tags = ['Webhooks'];
  endpoints.add({
    method: 'get',
    path: '/webhooks',
    tags,
    summary: "The group's webhooks",
    access: 'definitions:read',
    response: z.array(WebhookSchema),
    handler: ({ req, group }) => webhooks.list(req.em, group.id),
  });
  endpoints.add({
    method: 'post',
    path: '/webhooks',
    tags,
    summary:
      'Add a webhook; each delivery carries X-Kasal-Signature, the hex HMAC-SHA256 of the body',
    access: 'group:manage',
    body: CreateWebhookSchema,
    subject: 'webhook',
    status: 201,
    response: CreatedWebhookSchema,
    handler: ({ req, auth, group, body }) => webhooks.create(req.em, group.id, auth.user.id, body),
  });
  endpoints.add({
    method: 'patch',
    path: '/webhooks/:id',
    tags,
    summary: 'Change a webhook',
    access: 'group:manage',
    params: IdParamsSchema,
    body: UpdateWebhookSchema,
    subject: 'webhook',
    response: WebhookSchema,
    handler: ({ req, group, params, body }) => webhooks.update(req.em, group.id, params.id, body),
  });
  endpoints.add({
    method: 'delete',
    path: '/webhooks/:id',
    tags,
    summary: 'Delete a webhook',
    access: 'group:manage',
    params: IdParamsSchema,
    status: 204,
    handler: ({ req, group, params }) => webhooks.delete(req.em, group.id, params.id),
  });
}
