/** Shared pieces of the benchmarks: the local platform, the scripted crew, polling, statistics. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { createLogger } from '../shared/node/logger';
import { ensureSearchAttributes } from '../shared/node/temporal/connection';
import { baseTestEnv, startApi, type ApiHarness } from '../test/support/api-harness';
import type { DatabaseType } from '../test/support/databases';
import { startProcess, type RunningProcess } from '../test/support/processes';
import {
  startScriptedLlmServer,
  type RecordedRequest,
  type ScriptedLlmServer,
  type ScriptedReply,
} from '../test/support/scripted-llm-server';
import { startTemporalDevServer } from '../test/support/temporal-dev-server';
import { uniqueTaskQueue } from '../test/support/worker-harness';

/** The database `npm test` sets up locally; TEST_DATABASE_URL overrides it. */
const LOCAL_TEST_DATABASE_URL = 'postgres://kasal:kasal@127.0.0.1:5432/kasal_test';
export const NOTES_FILE = 'notes.txt';
export const NOTES_TEXT = 'Temporal was founded in 2019. Kasal runs crews as workflows.';
export const LLM_API_KEY = 'sk-bench';

/**
 * The repository root. Compiled, this file lives in dist/bench/bench/, so test/support's own
 * PROJECT_ROOT (two folders up from it) points into dist/bench/: hence TEMPORAL_BIN below.
 */
export const REPO_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) {
    dir = path.dirname(dir);
  }
  return dir;
})();

// ---- lifecycle: everything started registers how to stop it; stopped in reverse order ----

const cleanups: Array<() => unknown> = [];

export function onCleanup(stop: () => unknown): void {
  cleanups.push(stop);
}

let stopping: Promise<void> | undefined;
let interrupted = false;

/** Stops everything once, in reverse order of start; later callers wait for the same run. */
function cleanup(): Promise<void> {
  stopping ??= (async () => {
    for (let stop = cleanups.pop(); stop; stop = cleanups.pop()) {
      try {
        await stop();
      } catch (error) {
        console.error('cleanup failed:', error);
      }
    }
  })();
  return stopping;
}

/** Runs a benchmark, then stops everything it started and exits (also on Ctrl-C). */
export function main(run: () => Promise<void>): void {
  process.once('SIGINT', () => {
    interrupted = true;
    void cleanup().finally(() => process.exit(130));
  });
  run().then(
    () => cleanup().finally(() => process.exit(0)),
    (error: unknown) => {
      if (interrupted) return; // the SIGINT handler exits once everything has stopped
      console.error(error);
      return cleanup().finally(() => process.exit(1));
    },
  );
}

// ---- flags ----

export function positiveInt(value: string | undefined, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`${flag}: not a number: ${value}`);
  return number;
}

export function databaseType(value: string | undefined): DatabaseType {
  if (value === 'postgres' || value === 'sqlite') return value;
  throw new Error(`--db: 'postgres' or 'sqlite', not '${value}'`);
}

// ---- the platform: Temporal dev server, scripted LLM, API in this process ----

export interface Platform {
  api: ApiHarness;
  llm: ScriptedLlmServer;
  /** The folder `read_file` reads from (holds NOTES_FILE). */
  files: string;
}

/** The scripted agent: `toolCallsPerTask` read_file calls (one per turn), then an answer. */
export function scriptedAgent(toolCallsPerTask: number) {
  return (request: RecordedRequest): ScriptedReply => {
    const toolResults = request.body.messages.filter((message) => message.role === 'tool').length;
    return toolResults < toolCallsPerTask
      ? { toolCalls: [{ name: 'read_file', arguments: { path: NOTES_FILE } }] }
      : { content: `Summary after ${toolResults} reads: founded in 2019.` };
  };
}

export async function startPlatform(options: {
  db: DatabaseType;
  latencyMs: number;
  toolCallsPerTask: number;
}): Promise<Platform> {
  // The variables the test harness reads (jest's globalSetup and `npm test` set them for tests).
  // eslint-disable-next-line no-restricted-properties -- the test harness's own interface
  const env = process.env;
  env.TEST_DATABASE_URL ??= LOCAL_TEST_DATABASE_URL;
  env.TEMPORAL_BIN ??= path.join(REPO_ROOT, '.kasal/tools/temporal/bin/temporal');
  const temporal = await startTemporalDevServer();
  onCleanup(() => temporal.stop());
  env.TEST_TEMPORAL_ADDRESS = temporal.address;
  // What a worker does at start (and jest's globalSetup once for all tests).
  const connection = await Connection.connect({ address: temporal.address });
  await ensureSearchAttributes(connection, 'default', createLogger('warn', 'bench'));
  await connection.close();

  const llm = await startScriptedLlmServer({ latencyMs: options.latencyMs });
  onCleanup(() => llm.close());
  llm.respondWith(scriptedAgent(options.toolCallsPerTask));

  const files = mkdtempSync(path.join(tmpdir(), 'kasal-bench-files-'));
  onCleanup(() => rmSync(files, { recursive: true, force: true }));
  writeFileSync(path.join(files, NOTES_FILE), NOTES_TEXT);

  const api = await startApi(options.db, {
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
    OPENAI_BASE_URL: `${llm.url}/v1`,
    OPENAI_API_KEY: LLM_API_KEY,
    KASAL_TOOLS_FILE_ROOT: files,
  });
  onCleanup(() => rmSync(api.config.home, { recursive: true, force: true }));
  onCleanup(() => api.close());
  return { api, llm, files };
}

/** The worker as its own process (the build's dist/worker/main.js), like `npm run worker`. */
export function startWorkerProcess({ api, llm, files }: Platform): RunningProcess {
  const base = baseTestEnv(api.database);
  const home = base.KASAL_HOME;
  if (home) onCleanup(() => rmSync(home, { recursive: true, force: true }));
  const env = {
    ...base,
    // The API's home: its encryption key is the one the payload codec of both sides uses.
    KASAL_HOME: api.config.home,
    LOG_LEVEL: 'warn',
    TEMPORAL_TASK_QUEUE: api.config.temporal.taskQueue,
    OPENAI_BASE_URL: `${llm.url}/v1`,
    OPENAI_API_KEY: LLM_API_KEY,
    KASAL_TOOLS_FILE_ROOT: files,
  };
  const entry = path.join(REPO_ROOT, 'dist/worker/main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run 'npm run build' first`);
  const worker = startProcess(process.execPath, [entry], env);
  onCleanup(async () => {
    if (worker.child.exitCode !== null) return;
    const killer = setTimeout(() => worker.child.kill('SIGKILL'), 30_000);
    worker.child.kill('SIGTERM');
    await worker.exited;
    clearTimeout(killer);
  });
  return worker;
}

// ---- the crew and its executions ----

/** An inline crew of `tasks` sequential tasks, each done by its own agent with read_file. */
export function crewRequest(tasks: number) {
  const keys = Array.from({ length: tasks }, (_, index) => index + 1);
  return {
    crew: {
      name: 'Bench crew',
      agents: keys.map((key) => ({
        id: `reader${key}`,
        role: `Reader ${key}`,
        goal: 'Summarise the notes',
        tools: ['read_file'],
      })),
      tasks: keys.map((key) => ({
        id: `task${key}`,
        description: `Read ${NOTES_FILE} and summarise it (part ${key})`,
        expected_output: 'A one-line summary',
        agent: `reader${key}`,
      })),
    },
  };
}

export interface ExecutionSummary {
  id: string;
  status: string;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

interface Page<T> {
  items: T[];
  total: number;
}

export const FINAL_STATUSES = ['COMPLETED', 'FAILED', 'STOPPED', 'CANCELLED', 'REJECTED'];

export async function startExecution(api: ApiHarness, body: unknown): Promise<string> {
  const response = await api.http.post<{ execution_id: string }>('/api/v1/executions', {
    token: api.adminToken,
    body,
  });
  if (response.status !== 202) {
    throw new Error(`POST /executions: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body.execution_id;
}

export async function listExecutions(
  api: ApiHarness,
  query: Record<string, string | number>,
): Promise<Page<ExecutionSummary>> {
  const search = new URLSearchParams(
    Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
  );
  const response = await api.http.get<Page<ExecutionSummary>>(
    `/api/v1/executions?${search.toString()}`,
    {
      token: api.adminToken,
    },
  );
  if (response.status !== 200) throw new Error(`GET /executions: ${response.status}`);
  return response.body;
}

/**
 * Polls the newest execution (the list reads only the database; GET /executions/{id} would
 * also query the running workflow, which loads the worker being measured) until `id` is final.
 */
export async function waitUntilFinished(
  api: ApiHarness,
  id: string,
  intervalMs: number,
): Promise<ExecutionSummary> {
  for (;;) {
    const newest = (await listExecutions(api, { limit: 1 })).items[0];
    if (newest?.id === id && FINAL_STATUSES.includes(newest.status)) {
      if (newest.status !== 'COMPLETED') {
        throw new Error(`execution ${id} ended ${newest.status}: ${newest.error}`);
      }
      return newest;
    }
    await sleep(intervalMs);
  }
}

// ---- small helpers ----

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile (0–100) of the values. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? NaN;
}

export const durationMs = (summary: ExecutionSummary) =>
  Date.parse(summary.finished_at ?? '') - Date.parse(summary.created_at);

export const fixed = (value: number, digits = 1) => value.toFixed(digits);
