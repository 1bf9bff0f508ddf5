/**
 * Schedules against the real Temporal dev server: a short interval runs the crew again and
 * again, pause stops it and resume restarts it, trigger-now runs once, overlap `skip` starts
 * nothing while a run is in progress, and deleting removes the Temporal schedule. Scheduled
 * runs are executions with trigger `scheduled` and their schedule's id, searchable in Temporal.
 */
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { CrewEntity } from '../../shared/node/db/entities';
import { FINAL_STATUSES } from '../../shared/plan/execution-state';
import { createPayloadCodec } from '../../shared/node/temporal/connection';
import { temporalAddress, type ApiHarness } from '../support/api-harness';
import { oneTaskCrew, step } from '../support/flow-fixtures';
import { finishedExecution, startPlatform, type Platform } from '../support/platform';
import { waitFor } from '../support/processes';
import { lastUserPrompt, type ScriptedLlmServer } from '../support/scripted-llm-server';

const FINAL: readonly string[] = FINAL_STATUSES;
/** Far away: a schedule on it only runs when triggered. */
const NEW_YEAR = '0 0 1 1 *';

interface Run {
  id: string;
  status: string;
  trigger: string;
  trigger_type: string;
  schedule_id: string | null;
  crew_id: string | null;
  flow_id: string | null;
  kind: string;
  workflow_id: string;
  error: string | null;
}

describe('scheduled runs', () => {
  let platform: Platform;
  let llm: ScriptedLlmServer;
  let api: ApiHarness;
  let temporal: Client;
  let crewId: string;
  /** Prompts containing this wait until the test releases them. */
  let hold: Promise<void> = Promise.resolve();
  const created: string[] = [];

  beforeAll(async () => {
    // Runs seconds apart keep these tests short; schedule-limits.test.ts checks the default.
    platform = await startPlatform({ KASAL_SCHEDULE_MIN_INTERVAL_SECONDS: '1' });
    ({ llm, api } = platform);
    llm.respondWith(async (request) => {
      const prompt = lastUserPrompt(request);
      if (prompt.includes('SLOW')) await hold;
      return { content: `Done: ${(prompt.split('\n')[0] ?? '').replace('Current task: ', '')}` };
    });
    temporal = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
    });
    crewId = (await saveCrew(oneTaskCrew('Morning report', 'Report on {topic}'))).id;
  });
  afterAll(async () => {
    for (const id of created)
      await api?.http.delete(`/api/v1/schedules/${id}`, { token: api.adminToken });
    await temporal?.connection.close();
    await platform?.close();
  });

  const saveCrew = async (crew: Record<string, unknown>) => {
    const saved = await api.http.post('/api/v1/crews', { token: api.adminToken, body: crew });
    expect(saved.status).toBe(201);
    return saved.body as { id: string };
  };
  const createSchedule = async (body: Record<string, unknown>) => {
    const response = await api.http.post('/api/v1/schedules', { token: api.adminToken, body });
    expect(response.status).toBe(201);
    created.push(response.body.id);
    return response.body;
  };
  const getSchedule = async (id: string) =>
    (await api.http.get(`/api/v1/schedules/${id}`, { token: api.adminToken })).body;
  const runsOf = async (scheduleId: string): Promise<Run[]> =>
    (
      await api.http.get(`/api/v1/executions?schedule_id=${scheduleId}&limit=100`, {
        token: api.adminToken,
      })
    ).body.items;
  const finishedRuns = (scheduleId: string, count: number) =>
    waitFor(`${count} finished runs of ${scheduleId}`, async () => {
      const runs = (await runsOf(scheduleId)).filter((run) => FINAL.includes(run.status));
      return runs.length >= count ? runs : undefined;
    });
  const describe = (id: string) => temporal.schedule.getHandle(`kasal-schedule-${id}`).describe();
  const post = (path: string, body: Record<string, unknown> = {}) =>
    api.http.post(`/api/v1/schedules/${path}`, { token: api.adminToken, body });

  it('runs a crew on a short interval, again and again, as scheduled executions', async () => {
    const schedule = await createSchedule({
      name: 'Every two seconds',
      crew_id: crewId,
      inputs: { topic: 'tides' },
      interval_seconds: 2,
    });
    expect(schedule).toMatchObject({
      crew_id: crewId,
      flow_id: null,
      pin: 'latest',
      interval_seconds: 2,
      cron: null,
      timezone: 'UTC',
      overlap: 'skip',
      paused: false,
      sync_state: 'synced',
      temporal_schedule_id: `kasal-schedule-${schedule.id}`,
    });
    expect(schedule.next_run_times.length).toBeGreaterThan(0);

    const runs = await finishedRuns(schedule.id, 2);
    for (const run of runs) {
      expect(run).toMatchObject({
        status: 'COMPLETED',
        trigger: 'scheduled',
        trigger_type: 'scheduled',
        schedule_id: schedule.id,
        crew_id: crewId,
        kind: 'crew',
        workflow_id: `kasal-crew-${run.id}`,
      });
    }
    const detail = await api.http.get(`/api/v1/executions/${runs[0]!.id}`, {
      token: api.adminToken,
    });
    expect(detail.body.inputs).toEqual({ topic: 'tides' });
    expect(detail.body.result.output).toBe('Done: Report on tides');

    const shown = await getSchedule(schedule.id);
    expect(shown.recent_runs.length).toBeGreaterThanOrEqual(2);
    expect(shown.recent_runs.map((run: { status: string }) => run.status)).toContain('COMPLETED');
    expect(shown.stats.runs_started).toBeGreaterThanOrEqual(2);
    expect(shown.next_run_times.length).toBeGreaterThan(0);

    // The Web UI finds the runs by the schedule's id.
    const found = await waitFor('the runs in Temporal visibility', async () => {
      const ids: string[] = [];
      for await (const execution of temporal.workflow.list({
        query: `KasalScheduleId = '${schedule.id}' AND KasalExecutionKind = 'crew' AND KasalTrigger = 'scheduled'`,
      })) {
        ids.push(execution.workflowId);
      }
      return ids.includes(runs[0]!.workflow_id) ? ids : undefined;
    });
    expect(found.every((id) => id.startsWith('kasal-crew-'))).toBe(true);

    // Deleting removes the Temporal schedule; the runs stay in the history.
    const deleted = await api.http.delete(`/api/v1/schedules/${schedule.id}`, {
      token: api.adminToken,
    });
    expect(deleted.status).toBe(204);
    await expect(describe(schedule.id)).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(
      (await api.http.get(`/api/v1/schedules/${schedule.id}`, { token: api.adminToken })).status,
    ).toBe(404);
    expect((await runsOf(schedule.id)).length).toBeGreaterThanOrEqual(2);
  });

  it('stops running while paused and runs again when resumed', async () => {
    const schedule = await createSchedule({
      name: 'Paused soon',
      crew_id: crewId,
      inputs: { topic: 'pauses' },
      interval_seconds: 1,
    });
    await finishedRuns(schedule.id, 1);

    const paused = await post(`${schedule.id}/pause`, { note: 'maintenance window' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, note: 'maintenance window' });
    const state = (await describe(schedule.id)).state;
    expect(state).toMatchObject({ paused: true, note: 'maintenance window' });

    // Let a run that had just started finish, then count.
    const taken = await waitFor('no run in progress', async () => {
      const description = await describe(schedule.id);
      const runs = await runsOf(schedule.id);
      return description.info.runningActions.length === 0 &&
        runs.every((run) => FINAL.includes(run.status))
        ? { actions: description.info.numActionsTaken, runs: runs.length }
        : undefined;
    });

    // A witness on the same interval proves that several ticks went by.
    const witness = await createSchedule({
      name: 'Witness',
      crew_id: crewId,
      inputs: { topic: 'witness' },
      interval_seconds: 1,
    });
    await finishedRuns(witness.id, 3);
    expect((await runsOf(schedule.id)).length).toBe(taken.runs);
    expect((await describe(schedule.id)).info.numActionsTaken).toBe(taken.actions);
    expect((await post(`${witness.id}/pause`)).status).toBe(200);

    const resumed = await post(`${schedule.id}/resume`);
    expect(resumed.body).toMatchObject({ paused: false, note: null });
    expect((await describe(schedule.id)).state.paused).toBe(false);
    await finishedRuns(schedule.id, taken.runs + 1);

    // Toggle pauses a running schedule (and would resume a paused one).
    const toggled = await post(`${schedule.id}/toggle`);
    expect(toggled.body.paused).toBe(true);
    expect((await describe(schedule.id)).state.paused).toBe(true);
  });

  it('runs once when triggered, and plans the next run in its time zone', async () => {
    const schedule = await createSchedule({
      name: 'New year in Berlin',
      crew_id: crewId,
      inputs: { topic: 'fireworks' },
      cron: NEW_YEAR,
      timezone: 'Europe/Berlin',
    });
    // Midnight in Berlin on 1 January is 23:00 UTC on 31 December.
    expect(schedule.next_run_times[0]).toMatch(/^\d{4}-12-31T23:00:00\.000Z$/);

    const trigger = await post(`${schedule.id}/trigger`);
    expect(trigger.status).toBe(202);
    expect(trigger.body).toEqual({ schedule_id: schedule.id, triggered: true, overlap: 'skip' });
    const [run] = await finishedRuns(schedule.id, 1);
    expect(run).toMatchObject({ status: 'COMPLETED', trigger_type: 'scheduled' });

    const description = await waitFor('the action to be recorded', async () => {
      const current = await describe(schedule.id);
      return current.info.runningActions.length === 0 ? current : undefined;
    });
    expect(description.info.numActionsTaken).toBe(1);
    expect(description.info.recentActions).toHaveLength(1);
    expect(await runsOf(schedule.id)).toHaveLength(1);
    const shown = await getSchedule(schedule.id);
    expect(shown.recent_runs).toEqual([
      expect.objectContaining({ execution_id: run!.id, status: 'COMPLETED', error: null }),
    ]);
  });

  it('with overlap "skip", starts no second run while one is running', async () => {
    const slowCrew = await saveCrew(oneTaskCrew('Slow crew', 'SLOW task about {topic}'));
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const schedule = await createSchedule({
      name: 'Slow every second',
      crew_id: slowCrew.id,
      inputs: { topic: 'glaciers' },
      interval_seconds: 1,
      overlap: 'skip',
    });
    const slowRequests = () =>
      llm.requests.filter((request) => lastUserPrompt(request).includes('SLOW'));
    await waitFor('the first run to reach the LLM', () => slowRequests().length === 1 || undefined);
    const skipped = await waitFor('two skipped runs', async () => {
      const description = await describe(schedule.id);
      return description.info.numActionsSkippedOverlap >= 2 ? description : undefined;
    });
    expect(skipped.info.runningActions).toHaveLength(1);
    const runs = await runsOf(schedule.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('RUNNING');
    expect(slowRequests()).toHaveLength(1);
    expect((await getSchedule(schedule.id)).stats).toMatchObject({ running: 1 });

    expect((await post(`${schedule.id}/pause`)).status).toBe(200);
    release();
    const [done] = await finishedRuns(schedule.id, 1);
    expect(done!.status).toBe('COMPLETED');
    expect(slowRequests()).toHaveLength(1);
  });

  it('with overlap "cancel_other", cancels the running run when the next one is due', async () => {
    const slowCrew = await saveCrew(oneTaskCrew('Slower crew', 'SLOW job about {topic}'));
    let release!: () => void;
    hold = new Promise<void>((resolve) => (release = resolve));
    const schedule = await createSchedule({
      name: 'Impatient',
      crew_id: slowCrew.id,
      inputs: { topic: 'storms' },
      interval_seconds: 2,
      overlap: 'cancel_other',
    });
    const runs = await waitFor('a run cancelled by the next one', async () => {
      const all = await runsOf(schedule.id);
      return all.some((run) => run.status === 'CANCELLED') && all.length >= 2 ? all : undefined;
    });
    // The cancelled run is recorded as such; its successor started after it.
    const cancelled = runs.filter((run) => run.status === 'CANCELLED');
    expect(cancelled[0]!.error).toBe('Cancelled (force stop)');
    expect((await post(`${schedule.id}/pause`)).status).toBe(200);
    release();
    await waitFor('every run to end', async () => {
      const all = await runsOf(schedule.id);
      return all.every((run) => FINAL.includes(run.status)) || undefined;
    });
  });

  it('schedules the crew of an earlier execution with its inputs', async () => {
    const started = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: { crew_id: crewId, inputs: { topic: 'whales' } },
    });
    expect(started.status).toBe(202);
    expect((await finishedExecution(api, started.body.execution_id)).status).toBe('COMPLETED');
    const response = await api.http.post('/api/v1/schedules/from-execution', {
      token: api.adminToken,
      body: {
        execution_id: started.body.execution_id,
        cron: '0 7 * * MON-FRI',
        timezone: 'Europe/Berlin',
      },
    });
    expect(response.status).toBe(201);
    created.push(response.body.id);
    expect(response.body).toMatchObject({
      name: 'Morning report',
      crew_id: crewId,
      inputs: { topic: 'whales' },
      cron: '0 7 * * MON-FRI',
      timezone: 'Europe/Berlin',
    });
    // Weekdays at 07:00 in Berlin: 05:00 or 06:00 UTC, never on a weekend.
    for (const time of response.body.next_run_times as string[]) {
      expect(time).toMatch(/T0[56]:00:00\.000Z$/);
      expect([0, 6]).not.toContain(new Date(time).getUTCDay());
    }
    await post(`${response.body.id}/trigger`);
    const [run] = await finishedRuns(response.body.id, 1);
    const detail = await api.http.get(`/api/v1/executions/${run!.id}`, { token: api.adminToken });
    expect(detail.body.result.output).toBe('Done: Report on whales');

    // A crew written inline has nothing to schedule.
    const inline = await api.http.post('/api/v1/executions', {
      token: api.adminToken,
      body: { crew: oneTaskCrew('Inline', 'Inline work') },
    });
    const refused = await api.http.post('/api/v1/schedules/from-execution', {
      token: api.adminToken,
      body: { execution_id: inline.body.execution_id, interval_seconds: 60 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.fields[0].path).toBe('execution_id');
  });

  it('pins a snapshot: its runs use the crew as it was, "latest" runs use it as it is', async () => {
    const crew = await saveCrew(oneTaskCrew('Evolving', 'Summarise {topic}'));
    const pinned = await createSchedule({
      name: 'Pinned',
      crew_id: crew.id,
      inputs: { topic: 'rivers' },
      cron: NEW_YEAR,
      pin: 'snapshot',
    });
    expect(pinned).toMatchObject({ pin: 'snapshot', pinned_version: 1 });
    expect(pinned.pinned_at).not.toBeNull();
    const latest = await createSchedule({
      name: 'Latest',
      crew_id: crew.id,
      inputs: { topic: 'rivers' },
      cron: NEW_YEAR,
    });
    const changed = await api.http.put(`/api/v1/crews/${crew.id}`, {
      token: api.adminToken,
      body: oneTaskCrew('Evolving', 'Summarise {topic} in French'),
    });
    expect(changed.status).toBe(200);

    await post(`${pinned.id}/trigger`);
    await post(`${latest.id}/trigger`);
    const output = async (scheduleId: string) => {
      const [run] = await finishedRuns(scheduleId, 1);
      return (await api.http.get(`/api/v1/executions/${run!.id}`, { token: api.adminToken })).body
        .result.output;
    };
    expect(await output(pinned.id)).toBe('Done: Summarise rivers');
    expect(await output(latest.id)).toBe('Done: Summarise rivers in French');

    // Giving `snapshot` again pins the crew as it is now.
    const repinned = await api.http.patch(`/api/v1/schedules/${pinned.id}`, {
      token: api.adminToken,
      body: { pin: 'snapshot' },
    });
    expect(repinned.body).toMatchObject({ pin: 'snapshot', pinned_version: 2 });
  });

  it('runs a saved flow on a schedule', async () => {
    const flow = await api.http.post('/api/v1/flows', {
      token: api.adminToken,
      body: {
        name: 'Scheduled flow',
        start: ['only'],
        state: { initial: { topic: 'nothing' } },
        steps: [step('only', 'Flow step on {topic}')],
      },
    });
    expect(flow.status).toBe(201);
    const schedule = await createSchedule({
      name: 'Flow schedule',
      flow_id: flow.body.id,
      inputs: { topic: 'comets' },
      cron: NEW_YEAR,
    });
    expect(schedule).toMatchObject({ flow_id: flow.body.id, crew_id: null });
    await post(`${schedule.id}/trigger`);
    const [run] = await waitFor('the flow run', async () => {
      const runs = (await runsOf(schedule.id)).filter(
        (item) => item.kind === 'flow' && item.status === 'COMPLETED',
      );
      return runs.length ? runs : undefined;
    });
    expect(run).toMatchObject({ flow_id: flow.body.id, trigger_type: 'scheduled' });
    const detail = await api.http.get(`/api/v1/executions/${run!.id}`, { token: api.adminToken });
    expect(detail.body.result.output).toBe('Done: Flow step on comets');
    // The step's own crew execution belongs to the schedule too, but is not one of its runs.
    const shown = await getSchedule(schedule.id);
    expect(shown.recent_runs.map((item: { execution_id: string }) => item.execution_id)).toEqual([
      run!.id,
    ]);
  });

  it("fails a run clearly once the schedule's creator may no longer run crews", async () => {
    const member = await api.createUser('scheduler@kasal.test');
    const me = await api.http.get('/api/v1/auth/me', { token: api.adminToken });
    const groupId: string = me.body.current_group_id;
    await api.addMember(groupId, member, 'operator');
    const made = await api.http.post('/api/v1/schedules', {
      token: member.token,
      groupId,
      body: { name: 'Left behind', crew_id: crewId, inputs: { topic: 'owls' }, cron: NEW_YEAR },
    });
    expect(made.status).toBe(201);
    created.push(made.body.id);
    const demoted = await api.http.patch(`/api/v1/groups/${groupId}/members/${member.id}`, {
      token: api.adminToken,
      body: { role: 'viewer' },
    });
    expect(demoted.status).toBe(200);
    await post(`${made.body.id}/trigger`);
    const [run] = await finishedRuns(made.body.id, 1);
    expect(run).toMatchObject({ status: 'FAILED', trigger_type: 'scheduled' });
    expect(run!.error).toContain("schedule's creator may no longer run crews");
  });

  it('keeps a scheduled crew from deletion, and fails a run clearly if it is gone', async () => {
    const crew = await saveCrew(oneTaskCrew('Short-lived', 'Vanish'));
    const schedule = await createSchedule({ name: 'Orphaned', crew_id: crew.id, cron: NEW_YEAR });
    const refused = await api.http.delete(`/api/v1/crews/${crew.id}`, { token: api.adminToken });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toContain("schedule 'Orphaned'");
    // Gone anyway (removed behind the API's back): the run says so instead of running.
    await api.orm.em.fork().nativeDelete(CrewEntity, { id: crew.id });
    await post(`${schedule.id}/trigger`);
    const [run] = await finishedRuns(schedule.id, 1);
    expect(run).toMatchObject({
      status: 'FAILED',
      trigger_type: 'scheduled',
      schedule_id: schedule.id,
      error: `The scheduled crew '${crew.id}' no longer exists`,
    });
    const detail = await api.http.get(`/api/v1/executions/${run!.id}`, { token: api.adminToken });
    expect(detail.status).toBe(200);
    expect(detail.body.tasks).toEqual([]);
    expect((await getSchedule(schedule.id)).recent_runs[0]).toMatchObject({
      status: 'FAILED',
      error: `The scheduled crew '${crew.id}' no longer exists`,
    });
  });
});

describe('scheduled runs on the embedded SQLite database', () => {
  let platform: Platform;
  let api: ApiHarness;

  beforeAll(async () => {
    platform = await startPlatform({}, 'sqlite');
    api = platform.api;
    platform.llm.respondWith(() => ({ content: 'Done on SQLite' }));
  });
  afterAll(() => platform?.close());

  it('runs a triggered schedule and deletes it', async () => {
    const token = api.adminToken;
    const crew = await api.http.post('/api/v1/crews', {
      token,
      body: oneTaskCrew('Local', 'Work locally'),
    });
    const schedule = await api.http.post('/api/v1/schedules', {
      token,
      body: { name: 'Local', crew_id: crew.body.id, cron: NEW_YEAR, pin: 'snapshot' },
    });
    expect(schedule.status).toBe(201);
    expect(
      (await api.http.post(`/api/v1/schedules/${schedule.body.id}/trigger`, { token })).status,
    ).toBe(202);
    const run = await waitFor('the run', async () => {
      const runs = await api.http.get(`/api/v1/executions?schedule_id=${schedule.body.id}`, {
        token,
      });
      const [first] = runs.body.items as Run[];
      return first && FINAL.includes(first.status) ? first : undefined;
    });
    expect(run).toMatchObject({ status: 'COMPLETED', trigger_type: 'scheduled' });
    expect((await api.http.delete(`/api/v1/schedules/${schedule.body.id}`, { token })).status).toBe(
      204,
    );
  });
});
