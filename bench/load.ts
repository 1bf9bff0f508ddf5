/**
 * Load: N saved crews run at once (the last task of each waits for an approval) while clients
 * poll them, read their logs, approve them (two approvers race for each approval) and edit the
 * definitions they use. Every answer must be the expected one: prints the requests by route
 * and status, and exits 1 on any unexpected answer or any execution that did not complete.
 */
import { parseArgs } from 'node:util';
import type { HttpResponse } from '../test/support/http-client';
import {
  databaseType,
  FINAL_STATUSES,
  main,
  NOTES_FILE,
  positiveInt,
  sleep,
  startExecution,
  startPlatform,
  startWorkerProcess,
  type Platform,
} from './common';

/** The fields of the answers the clients read: a created resource's id, a page's items. */
interface Answer {
  id?: string;
  items?: Array<{ id: string; status: string }>;
}

interface Tally {
  counts: Map<string, number>;
  unexpected: string[];
}

main(async () => {
  const { values } = parseArgs({
    options: {
      crews: { type: 'string', default: '30' },
      pollers: { type: 'string', default: '10' },
      editors: { type: 'string', default: '3' },
      db: { type: 'string', default: 'sqlite' },
      'latency-ms': { type: 'string', default: '20' },
      'timeout-s': { type: 'string', default: '600' },
    },
  });
  const crews = positiveInt(values.crews, '--crews');
  const db = databaseType(values.db);
  const platform = await startPlatform({
    db,
    latencyMs: positiveInt(values['latency-ms'], '--latency-ms'),
    toolCallsPerTask: 1,
  });
  const worker = startWorkerProcess(platform);
  const tally: Tally = { counts: new Map(), unexpected: [] };
  const client = clientOf(platform, tally);

  const agentIds = await Promise.all(
    ['Researcher', 'Writer'].map(async (role) => {
      const created = await client.call('POST /agents', 'post', '/agents', [201], {
        role,
        goal: 'Summarise the notes',
        tools: ['read_file'],
      });
      return String(created.body.id);
    }),
  );
  const crew = await client.call('POST /crews', 'post', '/crews', [201], {
    name: 'Load crew',
    agents: agentIds,
    tasks: ['gather', 'draft', 'review'].map((id, index) => ({
      id,
      description: `Read ${NOTES_FILE} and ${id} a summary of it`,
      expected_output: 'A one-line summary',
      agent: agentIds[index % agentIds.length],
      ...(id === 'review' && { human_input: true }),
    })),
  });

  console.log(
    `\nLoad: ${crews} saved crews at once (3 tasks, the last waiting for an approval), ` +
      `${values.pollers} pollers, ${values.editors} editors, 2 approvers; database ${db}\n`,
  );
  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: crews }, () => startExecution(platform.api, { crew_id: crew.body.id })),
  );
  let finished = false;
  const deadline = started + positiveInt(values['timeout-s'], '--timeout-s') * 1000;
  const running = () => !finished && Date.now() < deadline;
  const pick = () => ids[Math.floor(Math.random() * ids.length)];

  const poller = async () => {
    while (running()) {
      const id = pick();
      await client.call('GET /executions/{id}', 'get', `/executions/${id}`, [200]);
      await client.call('GET /executions/{id}/logs', 'get', `/executions/${id}/logs`, [200]);
      await client.call('GET /executions', 'get', '/executions?limit=20', [200]);
    }
  };
  const editor = async (lane: number) => {
    for (let round = 0; running(); round += 1) {
      const agent = agentIds[round % agentIds.length];
      await client.call('PATCH /agents/{id}', 'patch', `/agents/${agent}`, [200], {
        backstory: `Edited by editor ${lane} in round ${round}`,
      });
      const scratch = await client.call('POST /agents', 'post', '/agents', [201], {
        role: `Scratch ${lane}-${round}`,
        goal: 'Exist briefly',
      });
      await client.call('GET /crews/{id}', 'get', `/crews/${crew.body.id}`, [200]);
      await client.call('DELETE /agents/{id}', 'delete', `/agents/${scratch.body.id}`, [204]);
    }
  };
  // Both approvers approve every pending approval: one wins (200), the other gets 409.
  const approver = async () => {
    while (running()) {
      const pending = await client.call(
        'GET /hitl/pending',
        'get',
        '/hitl/pending?limit=100',
        [200],
      );
      for (const approval of pending.body.items ?? []) {
        const path = `/hitl/approvals/${approval.id}/approve`;
        await client.call('POST /hitl/approvals/{id}/approve', 'post', path, [200, 409], {});
      }
      await sleep(100);
    }
  };
  const watcher = async () => {
    while (running()) {
      const page = await client.call('GET /executions', 'get', `/executions?limit=${crews}`, [200]);
      const items = page.body.items ?? [];
      if (items.filter((e) => FINAL_STATUSES.includes(e.status)).length >= crews) finished = true;
      if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
      await sleep(250);
    }
  };
  await Promise.all([
    watcher(),
    approver(),
    approver(),
    ...Array.from({ length: positiveInt(values.pollers, '--pollers') }, poller),
    ...Array.from({ length: positiveInt(values.editors, '--editors') }, (_, i) => editor(i)),
  ]);
  const wallS = (Date.now() - started) / 1000;

  const outcome = await client.call('GET /executions', 'get', `/executions?limit=${crews}`, [200]);
  const statuses = new Map<string, number>();
  for (const execution of outcome.body.items ?? []) {
    statuses.set(execution.status, (statuses.get(execution.status) ?? 0) + 1);
  }
  printTally(tally);
  const completed = statuses.get('COMPLETED') ?? 0;
  const requests = [...tally.counts.values()].reduce((sum, count) => sum + count, 0);
  console.log(
    `\n${requests} requests in ${wallS.toFixed(1)} s, ${tally.unexpected.length} unexpected; ` +
      `executions: ${[...statuses].map(([status, n]) => `${n} ${status}`).join(', ')}`,
  );
  for (const line of tally.unexpected.slice(0, 10)) console.log(`  unexpected: ${line}`);
  if (!finished) console.log('  the executions did not all finish before --timeout-s');
  if (tally.unexpected.length > 0 || completed !== crews) process.exitCode = 1;
});

/** Calls the API as the admin and counts each answer by route and status. */
function clientOf({ api }: Platform, tally: Tally) {
  return {
    async call(
      route: string,
      method: 'get' | 'post' | 'patch' | 'delete',
      path: string,
      expected: number[],
      body?: unknown,
    ): Promise<HttpResponse<Answer>> {
      const response = await api.http[method]<Answer>(`/api/v1${path}`, {
        token: api.adminToken,
        body,
      });
      const key = `${route} ${response.status}`;
      tally.counts.set(key, (tally.counts.get(key) ?? 0) + 1);
      if (!expected.includes(response.status)) {
        tally.unexpected.push(`${key}: ${JSON.stringify(response.body).slice(0, 300)}`);
      }
      return response;
    },
  };
}

function printTally(tally: Tally): void {
  const rows = [...tally.counts].sort(([a], [b]) => a.localeCompare(b));
  for (const [key, count] of rows) console.log(`${key.padEnd(48)}${String(count).padStart(8)}`);
}
