/** Human-in-the-loop: approvals that executions wait for, and a group's webhooks. */
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { timestamps, uuidPrimaryKey } from './common-columns';

export const APPROVAL_STATUSES = [
  'PENDING',
  'APPROVED',
  'REJECTED',
  'TIMED_OUT',
  'CANCELLED',
] as const;
export const WEBHOOK_EVENTS = [
  'gate_reached',
  'gate_approved',
  'gate_rejected',
  'gate_timeout',
  /** An execution whose workflow Temporal ended without it finishing, found by reconciliation. */
  'execution_terminated',
] as const;

export const ApprovalEntity = defineEntity({
  name: 'Approval',
  tableName: 'approvals',
  indexes: [{ properties: ['groupId', 'status'] }],
  properties: {
    /** Chosen by the workflow, so a retried activity writes the same row. */
    id: p.uuid().primary(),
    groupId: p.uuid(),
    executionId: p.uuid().index(),
    workflowId: p.string().length(200),
    /** `gate`: between two flow steps; `task`: a task's `human_input`. */
    kind: p.enum(['gate', 'task'] as const),
    gateFrom: p.string().length(200).nullable(),
    gateTo: p.string().length(200).nullable(),
    taskKey: p.string().length(200).nullable(),
    message: p.text(),
    /** What the approver looks at: the output waiting for approval (shortened). */
    subject: p.text().nullable(),
    status: p.enum(APPROVAL_STATUSES),
    allowedApprovers: p.json<string[]>(),
    requireComment: p.boolean().default(false),
    timeoutAction: p.enum(['auto_reject', 'fail'] as const).nullable(),
    expiresAt: p.datetime().nullable(),
    decidedBy: p.uuid().nullable(),
    decidedByEmail: p.string().length(320).nullable(),
    action: p.enum(['approve', 'reject', 'retry'] as const).nullable(),
    comment: p.text().nullable(),
    decidedAt: p.datetime().nullable(),
    ...timestamps(),
  },
});

export const WebhookEntity = defineEntity({
  name: 'Webhook',
  tableName: 'webhooks',
  properties: {
    id: uuidPrimaryKey(),
    groupId: p.uuid().index(),
    name: p.string().length(200),
    url: p.string().length(2000),
    events: p.json<string[]>(),
    /** AES-256-GCM ciphertext of the HMAC signing secret. */
    secretEncrypted: p.text().hidden(),
    enabled: p.boolean().default(true),
    createdBy: p.uuid(),
    ...timestamps(),
  },
});

export type Approval = InferEntity<typeof ApprovalEntity>;
export type Webhook = InferEntity<typeof WebhookEntity>;
