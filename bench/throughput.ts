/** Throughput: N concurrent one-task executions on one worker process; latency and worker RSS. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ApiHarness } from '../test/support/api-harness';
import type { RunningProcess } from '../test/support/processes';
import {
  crewRequest,
  databaseType,
  durationMs,
  fixed,
  listExecutions,
  main,
  onCleanup,
  percentile,
  positiveInt,
  sleep,
  startExecution,
  startPlatform,
  startWorkerProcess,
  waitUntilFinished,
  type ExecutionSummary,
} from './common';

/** POSTs in flight at once while starting a round. */
const POST_CONCURRENCY = 100;
const POLL_MS = 250;

main(async () => {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '10,100' },
      'latency-ms': { type: 'string', default: '20' },
      db: { type: 'string', default: 'postgres' },
    },
  });
  const rounds = (values.n ?? '').split(',').map((n) => positiveInt(n.trim(), '--n'));
  const latencyMs = positiveInt(values['latency-ms'], '--latency-ms');
  const db = databaseType(values.db);

  const platform = await startPlatform({ db, latencyMs, toolCallsPerTask: 1 });
  const worker = startWorkerProcess(platform);
  const rss = sampleRss(worker);
  const body = crewRequest(1);
  // Warm-up: waits for the worker to bundle the workflows and poll; not measured.
  await waitUntilFinished(platform.api, await startExecution(platform.api, body), 100);

  console.log(
    `\nThroughput: one worker process; 1 task x (2 LLM calls + 1 read_file call); ` +
      `LLM latency ${latencyMs} ms; database ${db}; ${POST_CONCURRENCY} POSTs in flight\n`,
  );
  const columns = ['N', 'submit s', 'wall s', 'exec/min', 'p50 ms', 'p99 ms', 'failed'];
  console.log([...columns, 'idle RSS MB', 'peak RSS MB'].map((c) => c.padStart(13)).join(''));
  for (const n of rounds) {
    const idle = rss.reset();
    const since = new Date().toISOString();
    const started = Date.now();
    await inPool(n, POST_CONCURRENCY, () => startExecution(platform.api, body));
    const submitted = Date.now();
    const finished = await waitForRound(platform.api, since, n, worker);
    const wallMs = Math.max(...finished.map((e) => Date.parse(e.finished_at ?? ''))) - started;
    const latencies = finished.map(durationMs).filter(Number.isFinite);
    const cells = [
      String(n),
      fixed((submitted - started) / 1000, 2),
      fixed(wallMs / 1000, 2),
      fixed((n / wallMs) * 60_000, 0),
      fixed(percentile(latencies, 50), 0),
      fixed(percentile(latencies, 99), 0),
      String(finished.filter((e) => e.status !== 'COMPLETED').length),
      fixed(idle / 2 ** 20, 0),
      fixed(rss.peak() / 2 ** 20, 0),
    ];
    console.log(cells.map((cell) => cell.padStart(13)).join(''));
  }
  console.log(
    '\nwall: first POST -> last finished_at; p50/p99: created_at -> finished_at per execution;' +
      ' RSS: worker VmRSS sampled every 200 ms\n',
  );
});

/** Peak VmRSS of the worker since the last reset, sampled every 200 ms. */
function sampleRss(worker: RunningProcess) {
  const read = () => {
    try {
      const status = readFileSync(`/proc/${worker.child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  let peak = read();
  const timer = setInterval(() => (peak = Math.max(peak, read())), 200);
  onCleanup(() => clearInterval(timer));
  return {
    peak: () => Math.max(peak, read()),
    /** Starts a new peak; returns the current RSS. */
    reset: () => (peak = read()),
  };
}

/** Waits until all `n` executions created since `since` are final; returns their summaries. */
async function waitForRound(
  api: ApiHarness,
  since: string,
  n: number,
  worker: RunningProcess,
): Promise<ExecutionSummary[]> {
  const count = async (status: string) =>
    (await listExecutions(api, { created_after: since, status, limit: 1 })).total;
  for (;;) {
    if (worker.child.exitCode !== null) {
      throw new Error(`the worker exited (${worker.child.exitCode}):\n${worker.output()}`);
    }
    const done = (await count('COMPLETED')) + (await count('FAILED'));
    if (done >= n) break;
    await sleep(POLL_MS);
  }
  const summaries: ExecutionSummary[] = [];
  for (;;) {
    const query = { created_after: since, limit: 100, offset: summaries.length };
    const page = await listExecutions(api, query);
    summaries.push(...page.items);
    if (page.items.length === 0 || summaries.length >= page.total) return summaries;
  }
}

/** Runs `count` calls of `run`, at most `concurrency` at a time. */
async function inPool(count: number, concurrency: number, run: () => Promise<unknown>) {
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started += 1;
      await run();
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, lane));
}
