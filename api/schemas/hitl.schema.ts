import { z } from 'zod';
import { APPROVAL_STATUSES, WEBHOOK_EVENTS } from '../../shared/node/db/entities/hitl.entities';

export const ApprovalSchema = z
  .object({
    id: z.uuid(),
    group_id: z.uuid(),
    execution_id: z.uuid(),
    kind: z.enum(['gate', 'task']),
    gate_from: z.string().nullable(),
    gate_to: z.string().nullable(),
    task_key: z.string().nullable(),
    message: z.string(),
    subject: z.string().nullable().describe('The output waiting for approval'),
    status: z.enum(APPROVAL_STATUSES),
    allowed_approvers: z.array(z.string()),
    require_comment: z.boolean(),
    timeout_action: z.string().nullable(),
    expires_at: z.string().nullable(),
    decided_by: z.string().nullable().describe("The approver's email"),
    action: z.string().nullable(),
    comment: z.string().nullable(),
    decided_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: 'Approval' });

export const ApproveRequestSchema = z
  .strictObject({ comment: z.string().trim().max(5000).optional() })
  .meta({ id: 'ApproveRequest' });

export const RejectRequestSchema = z
  .strictObject({
    action: z
      .enum(['reject', 'retry'])
      .default('reject')
      .describe(
        'reject: end the run as REJECTED; retry: redo the work with the comment as feedback',
      ),
    comment: z.string().trim().max(5000).optional(),
  })
  .meta({ id: 'RejectRequest' });

export const WebhookSchema = z
  .object({
    id: z.uuid(),
    group_id: z.uuid(),
    name: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    enabled: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'Webhook' });

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().describe('The HMAC-SHA256 signing secret. Shown only in this response.'),
}).meta({ id: 'CreatedWebhook' });

const WebhookUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const CreateWebhookSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    url: WebhookUrl,
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1),
    secret: z.string().min(16).max(500).optional().describe('Generated when absent'),
    enabled: z.boolean().default(true),
  })
  .meta({ id: 'CreateWebhook' });

export const UpdateWebhookSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    url: WebhookUrl.optional(),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).optional(),
    secret: z.string().min(16).max(500).optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateWebhook' });
