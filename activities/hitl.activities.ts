/**
 * Approvals and webhooks. Approval rows are written with the id the workflow chose, so a retried
 * activity writes the same row once. Webhooks are signed with HMAC-SHA256 over the body; a
 * failed delivery throws, so Temporal retries it with backoff.
 */
import { createHmac } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type {
  ApprovalClosure,
  ApprovalRequest,
  WebhookEvent,
} from '../shared/contracts/activities';
import type { SecretBox } from '../shared/node/crypto/secret-box';
import { ApprovalEntity, ExecutionEntity, WebhookEntity } from '../shared/node/db/entities';
import type { Orm } from '../shared/node/db/orm';
import { executionEventKey, recordEvents, taskEventKey } from '../shared/node/db/execution-events';
import { publicOnlyFetch } from '../shared/node/net/pinned-fetch';
import { PrivateAddressError } from '../shared/node/net/private-addresses';

export const SIGNATURE_HEADER = 'X-Kasal-Signature';

export function signWebhookBody(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

export function createHitlActivities(deps: {
  orm: Orm;
  secrets: SecretBox;
  allowPrivateNetworks: boolean;
}) {
  // Deliveries connect to the address that was checked, so DNS cannot move them inside.
  const send = deps.allowPrivateNetworks ? fetch : publicOnlyFetch();
  return {
    async openApproval(request: ApprovalRequest): Promise<void> {
      const em = deps.orm.em.fork();
      await em.upsert(
        ApprovalEntity,
        {
          id: request.id,
          groupId: request.groupId,
          executionId: request.executionId,
          workflowId: request.workflowId,
          kind: request.kind,
          gateFrom: request.gate_from ?? null,
          gateTo: request.gate_to ?? null,
          taskKey: request.task_key ?? null,
          message: request.message,
          subject: request.subject ?? null,
          status: 'PENDING',
          allowedApprovers: request.allowed_approvers,
          requireComment: request.require_comment,
          timeoutAction: request.timeout_action ?? null,
          expiresAt: request.expires_at ? new Date(request.expires_at) : null,
        },
        { onConflictFields: ['id'], onConflictAction: 'ignore' },
      );
      await em.nativeUpdate(
        ExecutionEntity,
        { id: request.executionId, status: 'RUNNING' },
        { status: 'WAITING_FOR_APPROVAL' },
      );
      await recordEvents(em, [
        {
          key: `${request.id}:requested`,
          executionId: request.executionId,
          groupId: request.groupId,
          type: 'hitl_feedback_requested',
          taskKey: request.task_key,
          parentKey: request.task_key
            ? taskEventKey(request.executionId, request.task_key)
            : executionEventKey(request.executionId),
          title: request.message,
          data: {
            approval_id: request.id,
            kind: request.kind,
            gate_from: request.gate_from,
            gate_to: request.gate_to,
          },
        },
      ]);
    },

    async closeApproval(closure: ApprovalClosure): Promise<void> {
      const em = deps.orm.em.fork();
      await em.nativeUpdate(
        ApprovalEntity,
        { id: closure.id, status: 'PENDING' },
        {
          status: closure.status,
          action: closure.action ?? null,
          decidedBy: closure.decided_by?.id ?? null,
          decidedByEmail: closure.decided_by?.email ?? null,
          comment: closure.comment ?? null,
          decidedAt: new Date(),
        },
      );
      const approval = await em.findOne(ApprovalEntity, { id: closure.id });
      if (approval) {
        await recordEvents(em, [
          {
            key: `${closure.id}:received`,
            executionId: closure.executionId,
            groupId: approval.groupId,
            type: 'hitl_feedback_received',
            taskKey: approval.taskKey ?? undefined,
            parentKey: `${closure.id}:requested`,
            title: `${closure.status.toLowerCase().replace('_', ' ')}${closure.decided_by ? ` by ${closure.decided_by.email}` : ''}`,
            data: {
              approval_id: closure.id,
              status: closure.status,
              action: closure.action ?? null,
              comment: closure.comment ?? null,
            },
          },
        ]);
      }
      const stillWaiting = await em.count(ApprovalEntity, {
        executionId: closure.executionId,
        status: 'PENDING',
      });
      if (stillWaiting === 0) {
        await em.nativeUpdate(
          ExecutionEntity,
          { id: closure.executionId, status: 'WAITING_FOR_APPROVAL' },
          { status: 'RUNNING' },
        );
      }
    },

    async webhookTargets(request: { groupId: string; event: WebhookEvent }): Promise<string[]> {
      const hooks = await deps.orm.em
        .fork()
        .find(
          WebhookEntity,
          { groupId: request.groupId, enabled: true },
          { fields: ['id', 'events'] },
        );
      return hooks.filter((hook) => hook.events.includes(request.event)).map((hook) => hook.id);
    },

    async deliverWebhook(request: {
      webhookId: string;
      event: WebhookEvent;
      payload: Record<string, unknown>;
    }): Promise<void> {
      const hook = await deps.orm.em.fork().findOne(WebhookEntity, { id: request.webhookId });
      if (!hook || !hook.enabled) return; // deleted or disabled since: nothing to deliver
      const url = new URL(hook.url);
      const body = JSON.stringify(request.payload);
      const response = await send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Kasal-Webhook/1.0',
          'x-kasal-event': request.event,
          [SIGNATURE_HEADER]: signWebhookBody(deps.secrets.open(hook.secretEncrypted), body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(15_000),
      }).catch((error: unknown) => {
        if (!(error instanceof PrivateAddressError)) throw error;
        throw ApplicationFailure.create({
          message: `refused to deliver webhook ${hook.name}: ${error.message}, and the operator has not allowed private networks`,
          nonRetryable: true,
        });
      });
      await response.body?.cancel(); // only the status matters
      if (!response.ok) {
        throw ApplicationFailure.create({
          type: 'KasalWebhook.DeliveryFailed',
          message: `Webhook ${hook.name} answered HTTP ${response.status}`,
        });
      }
    },
  };
}
