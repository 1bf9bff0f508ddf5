/**
 * Schedules cannot run more often than the platform's minimum interval (an interval or a cron
 * expression), and a group has at most so many active (unpaused) schedules: a 400 naming the
 * field, a 409 saying how many, and nothing created in Temporal or the database.
 */
import { Client, Connection } from '@temporalio/client';
import { ScheduleEntity } from '../../shared/node/db/entities';
import { startApi, temporalAddress, type ApiHarness } from '../support/api-harness';
import type { DatabaseType } from '../support/databases';
import { oneTaskCrew } from '../support/flow-fixtures';
import { uniqueTaskQueue } from '../support/worker-harness';

const NEW_YEAR = '0 0 1 1 *';

describe.each<DatabaseType>(['postgres', 'sqlite'])('schedule limits on %s', (database) => {
  let temporal: Client;
  const apis: ApiHarness[] = [];

  beforeAll(async () => {
    temporal = new Client({ connection: await Connection.connect({ address: temporalAddress() }) });
  });
  afterAll(async () => {
    for (const api of apis) {
      for (const row of await api.orm.em.fork().find(ScheduleEntity, {})) {
        await temporal.schedule
          .getHandle(`kasal-schedule-${row.id}`)
          .delete()
          .catch(() => undefined);
      }
      await api.close();
    }
    await temporal?.connection.close();
  });

  async function platformWith(env: Record<string, string> = {}) {
    const api = await startApi(database, { TEMPORAL_TASK_QUEUE: uniqueTaskQueue(), ...env });
    apis.push(api);
    const user = await api.createUser('scheduler@kasal.test');
    const crew = await api.http.post('/api/v1/crews', {
      token: user.token,
      body: oneTaskCrew('Digest', 'Digest {topic}'),
    });
    expect(crew.status).toBe(201);
    const create = (body: Record<string, unknown>) =>
      api.http.post('/api/v1/schedules', {
        token: user.token,
        body: { name: 'Digest', crew_id: crew.body.id, inputs: { topic: 'news' }, ...body },
      });
    const change = (id: string, path: string, body: Record<string, unknown> = {}) =>
      api.http[path === '' ? 'patch' : 'post'](`/api/v1/schedules/${id}${path}`, {
        token: user.token,
        body,
      });
    const rows = () => api.orm.em.fork().count(ScheduleEntity, { groupId: user.personalGroupId });
    return { api, create, change, rows };
  }

  it('refuses runs closer together than 60 seconds by default', async () => {
    const { create, change, rows } = await platformWith();
    for (const seconds of [1, 59]) {
      const refused = await create({ interval_seconds: seconds });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('validation_error');
      expect(refused.body.error.details.fields).toEqual([
        {
          path: 'interval_seconds',
          message: 'must be at least 60: the shortest interval between runs on this platform',
        },
      ]);
    }
    expect(await rows()).toBe(0);

    const minute = await create({ interval_seconds: 60 });
    expect(minute.status).toBe(201);
    const faster = await change(minute.body.id, '', { interval_seconds: 10 });
    expect(faster.status).toBe(400);
    expect(faster.body.error.details.fields[0].path).toBe('interval_seconds');
    // Every minute is the most a 5-field cron expression can do: allowed at this minimum.
    expect((await change(minute.body.id, '', { cron: '* * * * *' })).status).toBe(200);
  });

  it('applies a configured minimum to cron expressions too, and caps active schedules', async () => {
    const { create, change, rows } = await platformWith({
      KASAL_SCHEDULE_MIN_INTERVAL_SECONDS: '300',
      KASAL_SCHEDULE_MAX_PER_GROUP: '2',
    });
    const everyMinute = await create({ cron: '* * * * *' });
    expect(everyMinute.status).toBe(400);
    expect(everyMinute.body.error.details.fields).toEqual([
      {
        path: 'cron',
        message:
          'runs as often as every 60 seconds; the shortest interval between runs on this platform is 300 seconds',
      },
    ]);
    expect((await create({ cron: '59 23 * * *' })).status).toBe(201);
    // 23:59 and then 00:00: one minute apart across midnight.
    const acrossMidnight = await create({ cron: '0,59 0,23 * * *' });
    expect(acrossMidnight.status).toBe(400);
    expect(acrossMidnight.body.error.message).toContain('every 60 seconds');

    // Two active schedules are the most: the next one is refused, a paused one is not.
    const second = await create({ interval_seconds: 300 });
    expect(second.status).toBe(201);
    const third = await create({ cron: NEW_YEAR });
    expect(third.status).toBe(409);
    expect(third.body.error).toMatchObject({
      code: 'conflict',
      message:
        'This group already has 2 active schedules, the most it may have (2): pause or delete one first',
      details: { active: 2, limit: 2 },
    });
    expect(await rows()).toBe(2);
    const paused = await create({ cron: NEW_YEAR, paused: true });
    expect(paused.status).toBe(201);

    // Resuming it would make three, whichever way it is asked for.
    for (const [path, body] of [
      ['/resume', {}],
      ['/toggle', {}],
      ['', { paused: false }],
    ] as const) {
      const resumed = await change(paused.body.id, path, body);
      expect(resumed.status).toBe(409);
      expect(resumed.body.error.details).toEqual({ active: 2, limit: 2 });
    }
    expect((await change(second.body.id, '/pause', { note: 'make room' })).status).toBe(200);
    const resumed = await change(paused.body.id, '/resume');
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBe(false);
  });
});
