/**
 * Approvals seen from the API: what waits for the caller's groups, and approving or rejecting.
 * The API checks what it can (group, status, role, approvers, comment); the workflow's update
 * validator decides for good, so two approvers racing cannot both win.
 */
import type { EntityManager } from '@mikro-orm/core';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { API_ERROR_CODES, FAILURE_TYPES } from '../../shared/errors';
import { roleAllows } from '../../shared/roles';
import {
  ApprovalEntity,
  GroupMembershipEntity,
  type Approval,
} from '../../shared/node/db/entities';
import type { Logger } from '../../shared/node/logger';
import { ApiError, conflict, forbidden, notFound, validationError } from '../http/errors';
import type { AuthContext } from '../http/request-context';
import { iso } from './serialize';

export interface Decision {
  decision: 'approve' | 'reject';
  action?: 'reject' | 'retry';
  comment?: string | undefined;
}

export class HitlService {
  constructor(private readonly deps: { temporal: Client; logger: Logger }) {}

  async pending(em: EntityManager, userId: string, page: { limit: number; offset: number }) {
    const groupIds = (await em.find(GroupMembershipEntity, { userId })).map((m) => m.groupId);
    const [rows, total] = await em.findAndCount(
      ApprovalEntity,
      { groupId: { $in: groupIds }, status: 'PENDING' },
      { orderBy: { createdAt: 'asc', id: 'asc' }, limit: page.limit, offset: page.offset },
    );
    return { items: rows.map(serializeApproval), total, ...page };
  }

  async get(em: EntityManager, userId: string, id: string) {
    return serializeApproval((await this.find(em, userId, id)).approval);
  }

  async decide(em: EntityManager, auth: AuthContext, id: string, decision: Decision) {
    const { approval, role } = await this.find(em, auth.user.id, id);
    if (approval.status !== 'PENDING') {
      throw conflict(
        `The approval is no longer pending (${approval.status.toLowerCase().replace('_', ' ')})`,
      );
    }
    if (!roleAllows(role, 'executions:run')) {
      throw forbidden(`Your role '${role}' in this group cannot approve or reject`);
    }
    const email = auth.user.email.toLowerCase();
    if (approval.allowedApprovers.length > 0 && !approval.allowedApprovers.includes(email)) {
      throw forbidden(`${auth.user.email} is not an allowed approver of this approval`);
    }
    if (approval.requireComment && !decision.comment?.trim()) {
      throw validationError('decision', [
        { path: 'comment', message: 'required by this approval' },
      ]);
    }
    let outcome: { status: 'APPROVED' | 'REJECTED' };
    try {
      outcome = await this.deps.temporal.workflow
        .getHandle(approval.workflowId)
        .executeUpdate<{ status: 'APPROVED' | 'REJECTED' }, [unknown]>('decide', {
          args: [
            {
              approval_id: approval.id,
              decision: decision.decision,
              ...(decision.action !== undefined && { action: decision.action }),
              ...(decision.comment !== undefined && { comment: decision.comment }),
              user: { id: auth.user.id, email },
            },
          ],
        });
    } catch (error) {
      throw this.refusal(error);
    }
    // The workflow records the decision a moment later; answer with what it accepted.
    return {
      ...serializeApproval(approval),
      status: outcome.status,
      decided_by: email,
      action: decision.decision === 'approve' ? 'approve' : (decision.action ?? 'reject'),
      comment: decision.comment ?? null,
    };
  }

  private async find(em: EntityManager, userId: string, id: string) {
    const approval = await em.findOne(ApprovalEntity, { id });
    const membership =
      approval && (await em.findOne(GroupMembershipEntity, { groupId: approval.groupId, userId }));
    if (!approval || !membership) throw notFound('Approval', id);
    return { approval, role: membership.role };
  }

  private refusal(error: unknown): ApiError {
    if (error instanceof WorkflowNotFoundError) {
      return conflict('The execution is no longer running');
    }
    const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
    if (cause instanceof ApplicationFailure) {
      if (cause.type === FAILURE_TYPES.approvalNotPending) return conflict(cause.message);
      if (cause.type === FAILURE_TYPES.approvalNotAllowed) return forbidden(cause.message);
      if (cause.type === FAILURE_TYPES.approvalCommentRequired) {
        return validationError('decision', [{ path: 'comment', message: cause.message }]);
      }
    }
    this.deps.logger.error({ err: error }, 'approval update failed');
    return new ApiError(
      503,
      API_ERROR_CODES.unavailable,
      'The workflow service (Temporal) did not take the decision; try again',
    );
  }
}

export function serializeApproval(approval: Approval) {
  return {
    id: approval.id,
    group_id: approval.groupId,
    execution_id: approval.executionId,
    kind: approval.kind,
    gate_from: approval.gateFrom ?? null,
    gate_to: approval.gateTo ?? null,
    task_key: approval.taskKey ?? null,
    message: approval.message,
    subject: approval.subject ?? null,
    status: approval.status,
    allowed_approvers: approval.allowedApprovers,
    require_comment: approval.requireComment,
    timeout_action: approval.timeoutAction ?? null,
    expires_at: iso(approval.expiresAt),
    decided_by: approval.decidedByEmail ?? null,
    action: approval.action ?? null,
    comment: approval.comment ?? null,
    decided_at: iso(approval.decidedAt),
    created_at: iso(approval.createdAt),
  };
}
