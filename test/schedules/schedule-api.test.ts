/**
 * The schedules API without runs: bad input answers 400 naming the field, other groups see
 * 404 and viewers only read, changes reach Temporal and the database together, drift between
 * them is repaired, and when Temporal is unreachable nothing is left half-done.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { ScheduleSync } from '../../api/services/schedule-sync';
import { ScheduleEntity } from '../../shared/node/db/entities';
import { SEARCH_ATTRIBUTE_KEYS } from '../../shared/search-attributes';
import { createLogger } from '../../shared/node/logger';
import { createPayloadCodec } from '../../shared/node/temporal/connection';
import { startApi, temporalAddress, type ApiHarness } from '../support/api-harness';
import { oneTaskCrew } from '../support/flow-fixtures';
import { waitFor } from '../support/processes';
import { freePort } from '../support/temporal-dev-server';
import { uniqueTaskQueue } from '../support/worker-harness';

const NEW_YEAR = '0 0 1 1 *';

describe('the schedules API', () => {
  let api: ApiHarness;
  let temporal: Client;
  let crewId: string;
  let alice: { id: string; token: string; personalGroupId: string };
  const foreign: string[] = [];

  beforeAll(async () => {
    api = await startApi('postgres', { TEMPORAL_TASK_QUEUE: uniqueTaskQueue() });
    temporal = new Client({
      connection: await Connection.connect({ address: temporalAddress() }),
      dataConverter: { payloadCodecs: [createPayloadCodec(api.config)] },
    });
    crewId = await saveCrew(api.adminToken);
    alice = await api.createUser('alice@kasal.test');
  });
  afterAll(async () => {
    const schedules = await api?.orm.em.fork().find(ScheduleEntity, {});
    for (const row of schedules ?? []) foreign.push(row.id);
    for (const id of foreign) {
      await temporal?.schedule
        .getHandle(`kasal-schedule-${id}`)
        .delete()
        .catch(() => undefined);
    }
    await temporal?.connection.close();
    await api?.close();
  });

  async function saveCrew(token: string, groupId?: string): Promise<string> {
    const saved = await api.http.post('/api/v1/crews', {
      token,
      groupId,
      body: oneTaskCrew('Digest', 'Digest {topic}'),
    });
    expect(saved.status).toBe(201);
    return saved.body.id as string;
  }
  const valid = () => ({
    name: 'Nightly digest',
    crew_id: crewId,
    inputs: { topic: 'news' },
    cron: NEW_YEAR,
  });
  const create = (body: Record<string, unknown>, token = api.adminToken, groupId?: string) =>
    api.http.post('/api/v1/schedules', { token, groupId, body });
  const describeSchedule = (id: string) =>
    temporal.schedule.getHandle(`kasal-schedule-${id}`).describe();
  const fieldsOf = (body: { error: { details: { fields: { path: string }[] } } }) =>
    body.error.details.fields.map((field) => field.path);

  it('rejects bad input with a 400 naming the problem, and keeps nothing', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ cron: '61 * * * *' }, 'cron', "minute field '61'"],
      [{ cron: '0 7 * *' }, 'cron', 'must have 5 fields'],
      [{ timezone: 'Mars/Olympus' }, 'timezone', 'unknown time zone'],
      [
        { start_at: '2030-01-02T00:00:00Z', end_at: '2030-01-01T00:00:00Z' },
        'end_at',
        'must be after start_at',
      ],
      [
        { interval_seconds: 60 },
        'interval_seconds',
        'exactly one of "cron" and "interval_seconds"',
      ],
      [{ crew_id: undefined }, 'crew_id', 'exactly one of "crew_id" and "flow_id"'],
      [{ catchup_window_seconds: 5 }, 'catchup_window_seconds', '>=10'],
      [{ overlap: 'terminate_other' }, 'overlap', ''],
      [{ inputs: {} }, 'crew.tasks[0].description', 'topic'],
      [{ crew_id: randomUUID() }, 'crew_id', 'not found in this group'],
      [{ crew_id: undefined, flow_id: randomUUID() }, 'flow_id', 'not found in this group'],
    ];
    for (const [change, path, message] of cases) {
      const response = await create({ ...valid(), ...change });
      expect({ change, status: response.status }).toEqual({ change, status: 400 });
      expect(fieldsOf(response.body)).toContain(path);
      expect(response.body.error.message).toContain(message);
    }
    // A crew of another group is as unknown as one that does not exist.
    const theirs = await saveCrew(alice.token);
    const response = await create({ ...valid(), crew_id: theirs });
    expect(response.status).toBe(400);
    expect(response.body.error.details.fields).toEqual([
      { path: 'crew_id', message: `crew '${theirs}' not found in this group` },
    ]);
    const list = await api.http.get('/api/v1/schedules', { token: api.adminToken });
    expect(list.body).toMatchObject({ items: [], total: 0 });

    // A change is checked against the settings it keeps.
    const created = await create({ ...valid(), start_at: '2030-01-01T00:00:00Z' });
    expect(created.status).toBe(201);
    const patched = await api.http.patch(`/api/v1/schedules/${created.body.id}`, {
      token: api.adminToken,
      body: { end_at: '2029-01-01T00:00:00Z' },
    });
    expect(patched.status).toBe(400);
    expect(fieldsOf(patched.body)).toEqual(['end_at']);
    expect((await describeSchedule(created.body.id)).spec.endAt).toBeUndefined();
    await api.http.delete(`/api/v1/schedules/${created.body.id}`, { token: api.adminToken });
  });

  it("answers 404 for another group's schedule, and lets viewers read but not change", async () => {
    const mine = await create(valid());
    expect(mine.status).toBe(201);
    const path = `/api/v1/schedules/${mine.body.id}`;
    for (const response of [
      await api.http.get(path, { token: alice.token }),
      await api.http.patch(path, { token: alice.token, body: { name: 'stolen' } }),
      await api.http.delete(path, { token: alice.token }),
      await api.http.post(`${path}/pause`, { token: alice.token, body: {} }),
      await api.http.post(`${path}/trigger`, { token: alice.token, body: {} }),
    ]) {
      expect(response.status).toBe(404);
      expect(JSON.stringify(response.body)).not.toContain('Nightly digest');
    }
    expect((await api.http.get('/api/v1/schedules', { token: alice.token })).body.total).toBe(0);
    expect((await describeSchedule(mine.body.id)).state.paused).toBe(false);

    // A shared group: viewers read, operators schedule and run.
    const team = await api.http.post('/api/v1/groups', {
      token: alice.token,
      body: { name: 'Team' },
    });
    const groupId = team.body.id as string;
    const viewer = await api.createUser('viewer@kasal.test');
    const operator = await api.createUser('operator@kasal.test');
    await api.addMember(groupId, viewer, 'viewer', alice.token);
    await api.addMember(groupId, operator, 'operator', alice.token);
    const teamCrew = await saveCrew(alice.token, groupId);
    const body = { ...valid(), crew_id: teamCrew };
    expect((await create(body, viewer.token, groupId)).status).toBe(403);
    const scheduled = await create(body, operator.token, groupId);
    expect(scheduled.status).toBe(201);
    expect(scheduled.body).toMatchObject({ group_id: groupId, created_by: operator.id });
    const read = await api.http.get(`/api/v1/schedules/${scheduled.body.id}`, {
      token: viewer.token,
      groupId,
    });
    expect(read.status).toBe(200);
    const paused = await api.http.post(`/api/v1/schedules/${scheduled.body.id}/pause`, {
      token: viewer.token,
      groupId,
      body: {},
    });
    expect(paused.status).toBe(403);

    // Deleting the group stops its schedules; the sweep removes them from Temporal.
    expect(
      (await api.http.delete(`/api/v1/groups/${groupId}`, { token: alice.token })).status,
    ).toBe(204);
    const sync = new ScheduleSync({
      temporal,
      taskQueue: api.config.temporal.taskQueue,
      logger: createLogger('silent', 'test'),
    });
    await waitFor("the group's schedule to be swept", async () => {
      await sync.reconcileAll(api.orm);
      return (await sync.describe(scheduled.body.id)) === undefined || undefined;
    });
    await expect(describeSchedule(scheduled.body.id)).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect(await api.orm.em.fork().findOne(ScheduleEntity, { id: scheduled.body.id })).toBeNull();
    await api.http.delete(path, { token: api.adminToken });
  });

  it('changes the Temporal schedule and the row together', async () => {
    const created = await create(valid());
    const id = created.body.id as string;
    const changed = await api.http.patch(`/api/v1/schedules/${id}`, {
      token: api.adminToken,
      body: {
        name: 'Morning digest',
        cron: '30 6 * * MON-FRI',
        timezone: 'Europe/Berlin',
        overlap: 'buffer_one',
        jitter_seconds: 5,
        catchup_window_seconds: 120,
        start_at: '2030-01-01T00:00:00Z',
        end_at: '2031-01-01T00:00:00+01:00',
        inputs: { topic: 'markets' },
      },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      name: 'Morning digest',
      cron: '30 6 * * MON-FRI',
      interval_seconds: null,
      timezone: 'Europe/Berlin',
      overlap: 'buffer_one',
      jitter_seconds: 5,
      catchup_window_seconds: 120,
      start_at: '2030-01-01T00:00:00.000Z',
      end_at: '2030-12-31T23:00:00.000Z',
      inputs: { topic: 'markets' },
      sync_state: 'synced',
      sync_error: null,
    });
    // The first planned run: 06:30 in Berlin (05:30 UTC in winter) on the first weekday of
    // 2030, plus up to 5 seconds of jitter.
    expect(changed.body.next_run_times[0]).toMatch(/^2030-01-01T05:30:0[0-5]\.\d{3}Z$/);
    let description = await describeSchedule(id);
    expect(description.spec).toMatchObject({ timezone: 'Europe/Berlin', jitter: 5000 });
    expect(description.spec.startAt?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(description.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 120_000 });
    expect(description.action.memo).toEqual({ kasal_schedule_revision: 2 });

    const toInterval = await api.http.patch(`/api/v1/schedules/${id}`, {
      token: api.adminToken,
      body: { interval_seconds: 3600, start_at: null, end_at: null },
    });
    expect(toInterval.body).toMatchObject({ cron: null, interval_seconds: 3600, start_at: null });
    description = await describeSchedule(id);
    expect(description.spec.intervals).toMatchObject([{ every: 3_600_000 }]);
    expect(description.spec.calendars ?? []).toEqual([]);
    expect(description.action.memo).toEqual({ kasal_schedule_revision: 3 });

    // Pausing through a change goes to Temporal too.
    const paused = await api.http.patch(`/api/v1/schedules/${id}`, {
      token: api.adminToken,
      body: { paused: true, note: 'on hold' },
    });
    expect(paused.body).toMatchObject({ paused: true, note: 'on hold' });
    expect((await describeSchedule(id)).state).toMatchObject({ paused: true, note: 'on hold' });
  });

  it('repairs drift between the row and Temporal on read and in the sweep', async () => {
    const created = await create(valid());
    const id = created.body.id as string;
    const handle = temporal.schedule.getHandle(`kasal-schedule-${id}`);
    const get = () => api.http.get(`/api/v1/schedules/${id}`, { token: api.adminToken });

    // Deleted in Temporal behind Kasal's back: re-created from the row.
    await handle.delete();
    const restored = await get();
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ sync_state: 'synced', sync_error: null });
    expect(restored.body.next_run_times.length).toBeGreaterThan(0);
    expect((await handle.describe()).action.memo).toEqual({ kasal_schedule_revision: 1 });

    // Paused in the Web UI: the row follows.
    await handle.pause('paused in the Web UI');
    expect((await get()).body).toMatchObject({ paused: true, note: 'paused in the Web UI' });

    // Changed in Temporal without Kasal's revision: the row's settings go back.
    await handle.update((previous) => ({
      ...previous,
      spec: { intervals: [{ every: '1 minute' }] },
      action: { ...previous.action, memo: {} },
      state: { paused: false },
    }));
    await get();
    const repaired = await handle.describe();
    expect(repaired.spec.intervals ?? []).toEqual([]);
    expect(repaired.spec.calendars?.length).toBeGreaterThan(0);
    expect(repaired.state.paused).toBe(true);
    expect(repaired.action.memo).toEqual({ kasal_schedule_revision: 1 });

    // A creation that never reached Temporal is dropped once it is clearly not in progress.
    const stale = api.orm.em.fork();
    const abandoned = stale.create(ScheduleEntity, {
      groupId: created.body.group_id,
      name: 'Abandoned',
      targetKind: 'crew',
      targetId: crewId,
      pin: 'latest',
      inputs: { topic: 'x' },
      cron: NEW_YEAR,
      intervalSeconds: null,
      timezone: 'UTC',
      overlap: 'skip',
      syncState: 'creating',
      createdBy: created.body.created_by,
      createdAt: new Date(Date.now() - 5 * 60_000),
    });
    await stale.flush();
    const gone = await api.http.get(`/api/v1/schedules/${abandoned.id}`, {
      token: api.adminToken,
    });
    expect(gone.status).toBe(404);
    expect(await api.orm.em.fork().findOne(ScheduleEntity, { id: abandoned.id })).toBeNull();

    // A Temporal schedule of this deployment (this task queue, one of its groups) without a
    // row is deleted, on the second sweep that finds it; another queue's, or one of a group
    // this database does not know (another Kasal sharing the namespace), stays.
    const orphan = randomUUID();
    const other = randomUUID();
    const strangers = randomUUID();
    foreign.push(orphan, other, strangers);
    for (const [scheduleId, taskQueue, groupId] of [
      [orphan, api.config.temporal.taskQueue, created.body.group_id],
      [other, 'someone-elses-queue', created.body.group_id],
      [strangers, api.config.temporal.taskQueue, randomUUID()],
    ] as const) {
      await temporal.schedule.create({
        scheduleId: `kasal-schedule-${scheduleId}`,
        spec: { cronExpressions: [NEW_YEAR] },
        action: {
          type: 'startWorkflow',
          workflowType: 'scheduledRunWorkflow',
          taskQueue,
          args: [{ scheduleId, groupId }],
        },
        typedSearchAttributes: [{ key: SEARCH_ATTRIBUTE_KEYS.groupId, value: groupId }],
        state: { paused: true },
      });
    }
    const sync = new ScheduleSync({
      temporal,
      taskQueue: api.config.temporal.taskQueue,
      logger: createLogger('silent', 'test'),
    });
    await waitFor('the orphan to be swept', async () => {
      await sync.reconcileAll(api.orm);
      return (await sync.describe(orphan)) === undefined || undefined;
    });
    expect(await sync.describe(other)).toBeDefined();
    expect(await sync.describe(strangers)).toBeDefined();
    expect(await sync.describe(id)).toBeDefined();
  });
});

describe('the schedules API when Temporal is unreachable', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi('postgres', {
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
    });
  });
  afterAll(() => api?.close());

  it('answers 503 and leaves no schedule behind', async () => {
    const crew = await api.http.post('/api/v1/crews', {
      token: api.adminToken,
      body: oneTaskCrew('Digest', 'Digest news'),
    });
    const response = await api.http.post('/api/v1/schedules', {
      token: api.adminToken,
      body: { name: 'Never', crew_id: crew.body.id, interval_seconds: 60 },
    });
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('service_unavailable');
    expect(await api.orm.em.fork().count(ScheduleEntity, {})).toBe(0);
    const list = await api.http.get('/api/v1/schedules', { token: api.adminToken });
    expect(list.body.total).toBe(0);
  });

  it('shows a schedule without Temporal figures, and refuses to delete it half-way', async () => {
    const crew = await api.http.post('/api/v1/crews', {
      token: api.adminToken,
      body: oneTaskCrew('Digest', 'Digest news'),
    });
    const em = api.orm.em.fork();
    const me = await api.http.get('/api/v1/auth/me', { token: api.adminToken });
    const row = em.create(ScheduleEntity, {
      groupId: me.body.current_group_id,
      name: 'Stored',
      targetKind: 'crew',
      targetId: crew.body.id,
      pin: 'latest',
      inputs: {},
      cron: null,
      intervalSeconds: 60,
      timezone: 'UTC',
      overlap: 'skip',
      syncState: 'synced',
      createdBy: me.body.user.id,
    });
    await em.flush();
    const shown = await api.http.get(`/api/v1/schedules/${row.id}`, { token: api.adminToken });
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ name: 'Stored', next_run_times: null, stats: null });

    const deleted = await api.http.delete(`/api/v1/schedules/${row.id}`, {
      token: api.adminToken,
    });
    expect(deleted.status).toBe(503);
    const kept = await api.orm.em.fork().findOne(ScheduleEntity, { id: row.id });
    expect(kept?.syncState).toBe('synced');
  });
});
