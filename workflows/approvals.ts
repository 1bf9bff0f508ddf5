/**
 * Approvals inside a workflow: a durable wait (timer + update, nothing polls) for a person to
 * approve or reject, with the allowed approvers and the comment rule enforced by the update's
 * validator, and webhooks on every change.
 */
import {
  ApplicationFailure,
  condition,
  defineUpdate,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  ApprovalRequest,
  KasalHitlActivities,
  WebhookEvent,
} from '../shared/contracts/activities';
import { FAILURE_TYPES } from '../shared/errors';
import { PERSISTENCE_ACTIVITY, WEBHOOK_ACTIVITY } from './activity-options';

export interface ApprovalDecision {
  approval_id: string;
  decision: 'approve' | 'reject';
  /** For a rejection: end the run (`reject`) or go back and redo the work (`retry`). */
  action?: 'reject' | 'retry';
  comment?: string;
  user: { id: string; email: string };
}

export type ApprovalOutcome =
  | { kind: 'approved'; comment?: string }
  | { kind: 'rejected'; action: 'reject' | 'retry'; comment?: string }
  | { kind: 'timed_out' };

/** Decides a pending approval. Its name is recorded in history: never rename it. */
export const decideUpdate = defineUpdate<{ status: 'APPROVED' | 'REJECTED' }, [ApprovalDecision]>(
  'decide',
);

const hitl =
  proxyActivities<Pick<KasalHitlActivities, 'openApproval' | 'closeApproval' | 'webhookTargets'>>(
    PERSISTENCE_ACTIVITY,
  );
const webhooks = proxyActivities<Pick<KasalHitlActivities, 'deliverWebhook'>>(WEBHOOK_ACTIVITY);

export type ApprovalSpec = Omit<
  ApprovalRequest,
  'id' | 'executionId' | 'groupId' | 'workflowId' | 'expires_at'
> & {
  timeout_seconds?: number;
};

interface Pending {
  spec: ApprovalSpec;
  decision?: ApprovalDecision;
}

export class ApprovalDesk {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly execution: { executionId: string; groupId: string },
    private readonly onWaitingChange: (waiting: boolean) => void,
  ) {
    setHandler(
      decideUpdate,
      (decision) => {
        const entry = this.pending.get(decision.approval_id) as Pending;
        entry.decision = decision;
        return { status: decision.decision === 'approve' ? 'APPROVED' : 'REJECTED' };
      },
      { validator: (decision: ApprovalDecision) => this.validate(decision) },
    );
  }

  /** Approvals waiting now, for the progress query. */
  get waiting(): { id: string; kind: string; message: string }[] {
    return [...this.pending].map(([id, entry]) => ({
      id,
      kind: entry.spec.kind,
      message: entry.spec.message,
    }));
  }

  async request(spec: ApprovalSpec): Promise<ApprovalOutcome> {
    const id = uuid4();
    const timeoutMs = spec.timeout_seconds === undefined ? undefined : spec.timeout_seconds * 1000;
    const { timeout_seconds: _omit, ...fields } = spec;
    const request: ApprovalRequest = {
      ...fields,
      id,
      executionId: this.execution.executionId,
      groupId: this.execution.groupId,
      workflowId: workflowInfo().workflowId,
      ...(timeoutMs !== undefined && {
        expires_at: new Date(Date.now() + timeoutMs).toISOString(),
      }),
    };
    const entry: Pending = { spec };
    this.pending.set(id, entry);
    await hitl.openApproval(request);
    this.onWaitingChange(true);
    await this.notify('gate_reached', request, {});

    let decided = true;
    if (timeoutMs === undefined) await condition(() => entry.decision !== undefined);
    else decided = await condition(() => entry.decision !== undefined, timeoutMs);
    this.pending.delete(id);
    this.onWaitingChange(this.pending.size > 0);

    const decision = entry.decision;
    if (!decided || !decision) {
      await hitl.closeApproval({ id, executionId: request.executionId, status: 'TIMED_OUT' });
      await this.notify('gate_timeout', request, { status: 'TIMED_OUT' });
      return { kind: 'timed_out' };
    }
    const approved = decision.decision === 'approve';
    const action = approved ? 'approve' : (decision.action ?? 'reject');
    await hitl.closeApproval({
      id,
      executionId: request.executionId,
      status: approved ? 'APPROVED' : 'REJECTED',
      action,
      decided_by: decision.user,
      ...(decision.comment !== undefined && { comment: decision.comment }),
    });
    await this.notify(approved ? 'gate_approved' : 'gate_rejected', request, {
      status: approved ? 'APPROVED' : 'REJECTED',
      action,
      responded_by: decision.user.email,
      ...(decision.comment !== undefined && { comment: decision.comment }),
    });
    if (approved)
      return {
        kind: 'approved',
        ...(decision.comment !== undefined && { comment: decision.comment }),
      };
    return {
      kind: 'rejected',
      action: decision.action ?? 'reject',
      ...(decision.comment !== undefined && { comment: decision.comment }),
    };
  }

  private validate(decision: ApprovalDecision): void {
    const entry = this.pending.get(decision.approval_id);
    const refuse = (type: string, message: string) =>
      ApplicationFailure.create({ type, message, nonRetryable: true });
    if (!entry || entry.decision) {
      throw refuse(FAILURE_TYPES.approvalNotPending, 'The approval is no longer pending');
    }
    const allowed = entry.spec.allowed_approvers;
    if (allowed.length > 0 && !allowed.includes(decision.user.email.toLowerCase())) {
      throw refuse(
        FAILURE_TYPES.approvalNotAllowed,
        `${decision.user.email} is not an allowed approver`,
      );
    }
    if (entry.spec.require_comment && !decision.comment?.trim()) {
      throw refuse(FAILURE_TYPES.approvalCommentRequired, 'This approval requires a comment');
    }
  }

  /** Webhooks are best effort for the run: a failing endpoint never fails the execution. */
  private async notify(
    event: WebhookEvent,
    request: ApprovalRequest,
    extra: Record<string, unknown>,
  ) {
    const targets = await hitl.webhookTargets({ groupId: request.groupId, event });
    const payload = {
      event,
      timestamp: new Date(Date.now()).toISOString(),
      approval_id: request.id,
      execution_id: request.executionId,
      kind: request.kind,
      ...(request.gate_from !== undefined && {
        gate_from: request.gate_from,
        gate_to: request.gate_to,
      }),
      ...(request.task_key !== undefined && { task_key: request.task_key }),
      message: request.message,
      ...(request.subject !== undefined && { subject_preview: request.subject.slice(0, 500) }),
      ...(request.expires_at !== undefined && { expires_at: request.expires_at }),
      ...extra,
    };
    await Promise.allSettled(
      targets.map((webhookId) => webhooks.deliverWebhook({ webhookId, event, payload })),
    );
  }
}
