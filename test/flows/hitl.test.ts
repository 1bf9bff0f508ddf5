/**
 * Human in the loop: approval gates on flow edges and a task's human_input. Approve, reject,
 * retry with feedback, both timeout actions, wrong group, wrong approver, double approval,
 * signed webhooks, and a worker restart while a run waits.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signWebhookBody } from '../../activities/hitl.activities';
import { startApi, type ApiHarness } from '../support/api-harness';
import { step } from '../support/flow-fixtures';
import { finishedExecution } from '../support/platform';
import { waitFor } from '../support/processes';
import {
  lastUserPrompt as prompt,
  startScriptedLlmServer,
  type ScriptedLlmServer,
} from '../support/scripted-llm-server';
import { startWorker, uniqueTaskQueue, type WorkerHarness } from '../support/worker-harness';

interface Delivery {
  event: string;
  signature: string;
  body: string;
}

describe('human in the loop', () => {
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let worker: WorkerHarness;
  let hooks: Server;
  let apiEnv: Record<string, string>;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    llm = await startScriptedLlmServer();
    llm.respondWith((request) => ({ content: `answer to: ${prompt(request).slice(14, 60)}` }));
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        deliveries.push({
          event: String(req.headers['x-kasal-event']),
          signature: String(req.headers['x-kasal-signature']),
          body,
        });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    apiEnv = {
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-hitl',
      KASAL_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    api = await startApi('postgres', apiEnv);
    worker = await startWorker(api);
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await llm?.close();
    hooks?.close();
  });

  const gatedFlow = (gate: Record<string, unknown> = {}) => ({
    flow: {
      name: 'Gated',
      start: ['draft'],
      steps: [
        step('draft', 'Draft the text'),
        step('publish', 'Publish the text', { listen: { to: ['draft'] } }),
      ],
      gates: [{ from: 'draft', to: 'publish', message: 'Approve the draft?', ...gate }],
    },
  });
  const start = async (body: Record<string, unknown>, token = api.adminToken) => {
    const started = await api.http.post('/api/v1/executions', { token, body });
    expect(started.status).toBe(202);
    return started.body.execution_id as string;
  };
  const execution = async (id: string) =>
    (await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken })).body;
  const waitingApproval = async (id: string) => {
    const waiting = await waitFor(`approval of ${id}`, async () => {
      const current = await execution(id);
      return current.status === 'WAITING_FOR_APPROVAL' && current.approvals.length > 0
        ? current
        : undefined;
    });
    return waiting.approvals[0].id as string;
  };
  const finished = (id: string) => finishedExecution(api, id);
  const decide = (
    id: string,
    verb: 'approve' | 'reject',
    body: Record<string, unknown> = {},
    token = api.adminToken,
  ) => api.http.post(`/api/v1/hitl/approvals/${id}/${verb}`, { token, body });

  it('waits at a gate, lists it as pending, continues on approval, and refuses a second decision', async () => {
    const secret = 'webhook-secret-0123456789';
    const hook = await api.http.post('/api/v1/webhooks', {
      token: api.adminToken,
      body: {
        name: 'ops',
        url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`,
        events: ['gate_reached', 'gate_approved'],
        secret,
      },
    });
    expect(hook.status).toBe(201);
    expect(hook.body.secret).toBe(secret);
    expect(
      JSON.stringify((await api.http.get('/api/v1/webhooks', { token: api.adminToken })).body),
    ).not.toContain(secret);

    const id = await start(gatedFlow());
    const approvalId = await waitingApproval(id);
    const pending = await api.http.get('/api/v1/hitl/pending', { token: api.adminToken });
    expect(pending.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: approvalId,
          execution_id: id,
          kind: 'gate',
          gate_from: 'draft',
          gate_to: 'publish',
          status: 'PENDING',
        }),
      ]),
    );
    const detail = await api.http.get(`/api/v1/hitl/approvals/${approvalId}`, {
      token: api.adminToken,
    });
    expect(detail.body).toMatchObject({
      message: 'Approve the draft?',
      subject: expect.stringContaining('answer to'),
    });

    const approved = await decide(approvalId, 'approve', { comment: 'looks good' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'APPROVED', comment: 'looks good' });
    expect((await decide(approvalId, 'approve')).status).toBe(409);

    const done = await finished(id);
    expect(done.status).toBe('COMPLETED');
    expect(done.flow.steps.map((item: { status: string }) => item.status)).toEqual([
      'COMPLETED',
      'COMPLETED',
    ]);
    const stored = await api.http.get(`/api/v1/hitl/approvals/${approvalId}`, {
      token: api.adminToken,
    });
    expect(stored.body).toMatchObject({
      status: 'APPROVED',
      decided_by: 'admin@kasal.test',
      action: 'approve',
    });

    // Signed webhooks for the gate being reached and approved.
    await waitFor('webhooks', () => (deliveries.length >= 2 ? deliveries : undefined));
    expect(deliveries.map((delivery) => delivery.event).sort()).toEqual([
      'gate_approved',
      'gate_reached',
    ]);
    for (const delivery of deliveries) {
      expect(delivery.signature).toBe(signWebhookBody(secret, delivery.body));
      expect(JSON.parse(delivery.body)).toMatchObject({
        approval_id: approvalId,
        execution_id: id,
      });
    }
    await api.http.delete(`/api/v1/webhooks/${hook.body.id}`, { token: api.adminToken });
  });

  it('ends the run as REJECTED on a rejection', async () => {
    const id = await start(gatedFlow());
    const approvalId = await waitingApproval(id);
    expect(
      (await decide(approvalId, 'reject', { action: 'reject', comment: 'off topic' })).body.status,
    ).toBe('REJECTED');
    const done = await finished(id);
    expect(done.status).toBe('REJECTED');
    expect(done.error).toContain('off topic');
    expect(done.flow.steps.find((item: { id: string }) => item.id === 'publish').status).toBe(
      'WAITING_FOR_APPROVAL',
    );
  });

  it('sends the work back with the comment on retry, then asks again', async () => {
    llm.requests.length = 0;
    const id = await start(gatedFlow({ require_comment: true }));
    const first = await waitingApproval(id);
    const noComment = await decide(first, 'reject', { action: 'retry' });
    expect(noComment.status).toBe(400);
    expect(noComment.body.error.details.fields[0].path).toBe('comment');
    expect(
      (await decide(first, 'reject', { action: 'retry', comment: 'shorter please' })).status,
    ).toBe(200);

    const second = await waitFor('the second approval', async () => {
      const current = await execution(id);
      const approval = current.approvals[0];
      return approval && approval.id !== first ? (approval.id as string) : undefined;
    });
    expect(prompt(llm.requests.at(-1)!)).toContain('A reviewer asked for changes: shorter please');
    expect((await decide(second, 'approve', { comment: 'better' })).status).toBe(200);
    const done = await finished(id);
    expect(done.status).toBe('COMPLETED');
    expect(done.flow.steps.find((item: { id: string }) => item.id === 'draft').runs).toBe(2);
  });

  it.each([
    ['auto_reject', 'REJECTED'],
    ['fail', 'FAILED'],
  ])('applies timeout_action %s when nobody decides in time', async (action, status) => {
    const id = await start(gatedFlow({ timeout_seconds: 1, timeout_action: action }));
    const approvalId = await waitingApproval(id);
    const done = await finished(id);
    expect(done.status).toBe(status);
    expect(done.error).toContain('timed out');
    const stored = await api.http.get(`/api/v1/hitl/approvals/${approvalId}`, {
      token: api.adminToken,
    });
    expect(stored.body.status).toBe('TIMED_OUT');
    const late = await decide(approvalId, 'approve');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toContain('timed out');
  });

  it('hides approvals from other groups and enforces approvers and roles', async () => {
    const outsider = await api.createUser('outsider-hitl@kasal.test');
    const approver = await api.createUser('approver@kasal.test');
    const viewer = await api.createUser('viewer-hitl@kasal.test');
    const team = await api.http.post('/api/v1/groups', {
      token: api.adminToken,
      body: { name: 'Reviewers' },
    });
    const groupId: string = team.body.id;
    await api.addMember(groupId, approver, 'operator');
    await api.addMember(groupId, viewer, 'viewer');
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      groupId,
      body: gatedFlow({ allowed_approvers: ['Approver@kasal.test'] }),
    });
    const id: string = started.body.execution_id;
    const approvalId = await waitFor('the gate', async () => {
      const current = (
        await api.http.get(`/api/v1/executions/${id}`, { token: api.adminToken, groupId })
      ).body;
      return current.approvals?.[0]?.id as string | undefined;
    });

    expect(
      (await api.http.get(`/api/v1/hitl/approvals/${approvalId}`, { token: outsider.token }))
        .status,
    ).toBe(404);
    expect((await decide(approvalId, 'approve', {}, outsider.token)).status).toBe(404);
    expect((await api.http.get('/api/v1/hitl/pending', { token: outsider.token })).body.total).toBe(
      0,
    );
    expect((await decide(approvalId, 'approve', {}, viewer.token)).status).toBe(403);
    const notListed = await decide(approvalId, 'approve', {}, api.adminToken);
    expect(notListed.status).toBe(403);
    expect(notListed.body.error.message).toContain('not an allowed approver');

    const pendingForApprover = await api.http.get('/api/v1/hitl/pending', {
      token: approver.token,
    });
    expect(pendingForApprover.body.items.map((item: { id: string }) => item.id)).toContain(
      approvalId,
    );
    expect((await decide(approvalId, 'approve', {}, approver.token)).status).toBe(200);
    const done = await finishedExecution(api, id, { groupId });
    expect(done.status).toBe('COMPLETED');
  });

  it("waits for a person on a task's human_input and revises with their feedback", async () => {
    llm.requests.length = 0;
    const id = await start({
      crew: {
        name: 'Reviewed crew',
        agents: [{ id: 'a', role: 'Writer', goal: 'Write' }],
        tasks: [
          {
            id: 'write',
            description: 'Write a slogan',
            expected_output: 'A slogan',
            agent: 'a',
            human_input: true,
          },
        ],
      },
    });
    const first = await waitingApproval(id);
    expect(
      (await api.http.get(`/api/v1/hitl/approvals/${first}`, { token: api.adminToken })).body,
    ).toMatchObject({
      kind: 'task',
      task_key: 'write',
    });
    await decide(first, 'reject', { action: 'retry', comment: 'make it rhyme' });
    const second = await waitFor('the second review', async () => {
      const current = await execution(id);
      const approval = current.approvals?.[0];
      return approval && approval.id !== first ? (approval.id as string) : undefined;
    });
    expect(prompt(llm.requests.at(-1)!)).toContain('make it rhyme');
    await decide(second, 'approve');
    expect((await finished(id)).status).toBe('COMPLETED');
    expect(llm.requests).toHaveLength(2);
  });

  it('ends the crew as REJECTED when an asynchronous task is rejected', async () => {
    const id = await start({
      crew: {
        name: 'Async review',
        agents: [{ id: 'a', role: 'Writer', goal: 'Write' }],
        tasks: [
          {
            id: 'draft',
            description: 'Draft',
            expected_output: 'x',
            agent: 'a',
            async_execution: true,
            human_input: true,
          },
          { id: 'other', description: 'Something else', expected_output: 'x', agent: 'a' },
        ],
      },
    });
    const approvalId = await waitingApproval(id);
    await decide(approvalId, 'reject', { action: 'reject', comment: 'no' });
    const done = await finished(id);
    expect(done.status).toBe('REJECTED');
    expect(done.error).toContain("task 'draft' was rejected");
  });

  it('closes a pending approval when the run is stopped by force', async () => {
    const id = await start(gatedFlow());
    const approvalId = await waitingApproval(id);
    await api.http.post(`/api/v1/executions/${id}/stop`, {
      token: api.adminToken,
      body: { force: true },
    });
    expect((await finished(id)).status).toBe('CANCELLED');
    const approval = await waitFor('the approval to close', async () => {
      const current = await api.http.get(`/api/v1/hitl/approvals/${approvalId}`, {
        token: api.adminToken,
      });
      return current.body.status === 'CANCELLED' ? current.body : undefined;
    });
    expect(approval.status).toBe('CANCELLED');
    expect((await decide(approvalId, 'approve')).status).toBe(409);
  });

  it('loses nothing when the worker and the API restart while a run waits', async () => {
    const id = await start(gatedFlow());
    const approvalId = await waitingApproval(id);
    await worker.stop();
    await api.close({ keepDatabase: true });
    api = await startApi('postgres', apiEnv, api);
    worker = await startWorker(api);
    expect(
      (await api.http.get(`/api/v1/hitl/approvals/${approvalId}`, { token: api.adminToken })).body
        .status,
    ).toBe('PENDING');
    expect((await decide(approvalId, 'approve')).status).toBe(200);
    expect((await finished(id)).status).toBe('COMPLETED');
  });
});
