/**
 * Approvals inside a workflow: a durable wait (timer + update, nothing polls) for a person to
 * approve or reject, with the allowed approvers and the comment rule enforced by the update's
 * validator, and webhooks on every change.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
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
  | { kind: 'timed_out' }
  /** A graceful stop was requested while waiting. */
  | { kind: 'stopped' };

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
  /** Workflow time after which a decision is refused (the timeout has fired). */
  deadline?: number;
}

export class ApprovalDesk {
  private readonly pending = new Map<string, Pending>();
  private readonly notifications: Promise<unknown>[] = [];

  constructor(
    private readonly execution: { executionId: string; groupId: string },
    private readonly onWaitingChange: (waiting: boolean) => void,
    private readonly stopRequested: () => boolean,
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
    const entry: Pending = {
      spec,
      ...(timeoutMs !== undefined && { deadline: Date.now() + timeoutMs }),
    };
    this.pending.set(id, entry);
    await hitl.openApproval(request);
    this.onWaitingChange(true);
    this.notify('gate_reached', request, {});

    const answered = () => entry.decision !== undefined || this.stopRequested();
    try {
      if (timeoutMs === undefined) await condition(answered);
      else await condition(answered, timeoutMs);
    } catch (error) {
      // Cancelled (force stop): the approval must not stay pending.
      if (isCancellation(error)) {
        await CancellationScope.nonCancellable(() =>
          hitl.closeApproval({ id, executionId: request.executionId, status: 'CANCELLED' }),
        );
      }
      throw error;
    } finally {
      this.pending.delete(id);
      this.onWaitingChange(this.pending.size > 0);
    }

    // A decision counts even when the timer fired in the same moment: it was acknowledged.
    const decision = entry.decision;
    if (!decision) {
      const stopped = this.stopRequested();
      const status = stopped ? 'CANCELLED' : 'TIMED_OUT';
      await hitl.closeApproval({ id, executionId: request.executionId, status });
      if (stopped) return { kind: 'stopped' };
      this.notify('gate_timeout', request, { status });
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
    this.notify(approved ? 'gate_approved' : 'gate_rejected', request, {
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
    if (entry.deadline !== undefined && Date.now() >= entry.deadline) {
      throw refuse(FAILURE_TYPES.approvalNotPending, 'The approval has timed out');
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

  /** Waits for the webhook deliveries still under way (call before the run ends). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.notifications);
  }

  /**
   * Webhooks are best effort for the run: deliveries go on in the background (the run does not
   * wait for a slow endpoint) and a failing endpoint never fails the execution.
   */
  private notify(event: WebhookEvent, request: ApprovalRequest, extra: Record<string, unknown>) {
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
    const delivery = hitl
      .webhookTargets({ groupId: request.groupId, event })
      .then((targets) =>
        Promise.allSettled(
          targets.map((webhookId) => webhooks.deliverWebhook({ webhookId, event, payload })),
        ),
      );
    this.notifications.push(delivery.catch(() => undefined));
  }
}
