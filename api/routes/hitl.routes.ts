/** `/hitl`: approvals waiting for people, and approving or rejecting them. */
import { PaginationQuerySchema, pageOf } from '../../shared/schemas/common.schema';
import type { EndpointRouter } from '../http/endpoint';
import { ApprovalSchema, ApproveRequestSchema, RejectRequestSchema } from '../schemas/hitl.schema';
import { IdParamsSchema } from '../schemas/identity.schema';
import type { HitlService } from '../services/hitl.service';

export function addHitlRoutes(endpoints: EndpointRouter, hitl: HitlService): void {
  const tags = ['Human in the loop'];
  endpoints.add({
    method: 'get',
    path: '/hitl/pending',
    tags,
    summary: "Approvals waiting in the caller's groups (oldest first)",
    access: 'user',
    query: PaginationQuerySchema,
    response: pageOf(ApprovalSchema),
    handler: ({ req, auth, query }) => hitl.pending(req.em, auth.user.id, query),
  });
  endpoints.add({
    method: 'get',
    path: '/hitl/approvals/:id',
    tags,
    summary: 'An approval',
    access: 'user',
    params: IdParamsSchema,
    response: ApprovalSchema,
    handler: ({ req, auth, params }) => hitl.get(req.em, auth.user.id, params.id),
  });
  endpoints.add({
    method: 'post',
    path: '/hitl/approvals/:id/approve',
    tags,
    summary: 'Approve (409 when already decided or timed out; 403 for other approvers)',
    access: 'user',
    params: IdParamsSchema,
    body: ApproveRequestSchema.optional(),
    subject: 'approval',
    response: ApprovalSchema,
    errors: { 409: 'Already decided, timed out, or the execution is no longer running' },
    handler: ({ req, auth, params, body }) =>
      hitl.decide(req.em, auth, params.id, { decision: 'approve', comment: body?.comment }),
  });
  endpoints.add({
    method: 'post',
    path: '/hitl/approvals/:id/reject',
    tags,
    summary: 'Reject: end the run (`reject`) or send the work back with the comment (`retry`)',
    access: 'user',
    params: IdParamsSchema,
    body: RejectRequestSchema.optional(),
    subject: 'rejection',
    response: ApprovalSchema,
    errors: { 409: 'Already decided, timed out, or the execution is no longer running' },
    handler: ({ req, auth, params, body }) =>
      hitl.decide(req.em, auth, params.id, {
        decision: 'reject',
        action: body?.action ?? 'reject',
        comment: body?.comment,
      }),
  });
}
