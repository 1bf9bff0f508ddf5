/**
 * Event streams (SSE) are capped per user and per group: one stream too many answers 429 with
 * Retry-After in the API's error shape, and closing a stream frees its slot.
 */
import { randomUUID } from 'node:crypto';
import { startApi, type ApiHarness } from '../support/api-harness';
import type { DatabaseType } from '../support/databases';
import { waitFor } from '../support/processes';

interface OpenStream {
  status: number;
  headers: Headers;
  body: any;
  close(): void;
}

describe.each<DatabaseType>(['postgres', 'sqlite'])('event stream limits on %s', (database) => {
  let api: ApiHarness;
  const open: OpenStream[] = [];

  beforeAll(async () => {
    api = await startApi(database, {
      KASAL_STREAMS_MAX_PER_USER: '2',
      KASAL_STREAMS_MAX_PER_GROUP: '3',
    });
  });
  afterAll(async () => {
    for (const stream of open) stream.close();
    await api?.close();
  });

  /** Opens a stream and keeps it open (until `close`); a refusal comes back with its body. */
  async function openStream(token: string, path = '/executions/stream', groupId?: string) {
    const controller = new AbortController();
    const response = await fetch(`${api.http.baseUrl}/api/v1${path}`, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(groupId && { 'x-group-id': groupId }),
      },
      signal: controller.signal,
    });
    const stream: OpenStream = {
      status: response.status,
      headers: response.headers,
      body: response.ok ? undefined : await response.json(),
      close: () => controller.abort(),
    };
    if (response.ok) open.push(stream);
    return stream;
  }
  const closeAll = () => open.splice(0).forEach((stream) => stream.close());

  it('refuses a user one stream more than the limit, until one of theirs closes', async () => {
    const alice = await api.createUser(`alice-${database}@kasal.test`);
    const first = await openStream(alice.token);
    const second = await openStream(alice.token);
    expect([first.status, second.status]).toEqual([200, 200]);

    const third = await openStream(alice.token);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(third.body).toEqual({
      error: {
        code: 'too_many_requests',
        message:
          'You already have 2 event streams open, the most one user may (2): close one first',
        details: { open: 2, limit: 2, per: 'user', retry_after_seconds: 5 },
      },
    });
    // An execution's own stream counts the same; an unknown execution is still a 404.
    expect((await openStream(alice.token, `/executions/${randomUUID()}/stream`)).status).toBe(404);

    first.close();
    const again = await waitFor('a freed stream slot', async () => {
      const retry = await openStream(alice.token);
      return retry.status === 200 ? retry : undefined;
    });
    expect(again.status).toBe(200);
    closeAll();
  });

  it("refuses a group one stream more than the limit, whoever's it is", async () => {
    const bob = await api.createUser(`bob-${database}@kasal.test`);
    const carol = await api.createUser(`carol-${database}@kasal.test`);
    const team = await api.http.post('/api/v1/groups', {
      token: bob.token,
      body: { name: 'Watchers' },
    });
    await api.addMember(team.body.id, carol, 'viewer', bob.token);

    const watch = (user: { token: string }) => openStream(user.token, undefined, team.body.id);
    expect((await watch(bob)).status).toBe(200);
    expect((await watch(bob)).status).toBe(200);
    expect((await watch(carol)).status).toBe(200);
    const fourth = await watch(carol);
    expect(fourth.status).toBe(429);
    expect(fourth.headers.get('retry-after')).toBe('5');
    expect(fourth.body.error).toMatchObject({
      code: 'too_many_requests',
      details: { open: 3, limit: 3, per: 'group' },
    });
    // Carol's own group is another matter.
    expect((await openStream(carol.token)).status).toBe(200);

    closeAll();
    const freed = await waitFor('the group to have free slots', async () => {
      const retry = await watch(carol);
      return retry.status === 200 ? retry : undefined;
    });
    expect(freed.status).toBe(200);
  });
});
