/**
 * The platform as most tests need it: a scripted LLM server, the real API on a real database
 * and a worker on a task queue of the test file's own; and waiting for an execution to end.
 */
import { FINAL_STATUSES } from '../../shared/plan/execution-state';
import { startApi, type ApiHarness } from './api-harness';
import type { DatabaseType } from './databases';
import { waitFor } from './processes';
import { startScriptedLlmServer, type ScriptedLlmServer } from './scripted-llm-server';
import { startWorker, uniqueTaskQueue, type WorkerHarness } from './worker-harness';

export interface Platform {
  llm: ScriptedLlmServer;
  api: ApiHarness;
  worker: WorkerHarness;
  close(): Promise<void>;
}

export async function startPlatform(
  env: Record<string, string> = {},
  database: DatabaseType = 'postgres',
): Promise<Platform> {
  const llm = await startScriptedLlmServer();
  const api = await startApi(database, {
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue(),
    OPENAI_BASE_URL: `${llm.url}/v1`,
    OPENAI_API_KEY: 'sk-test',
    ...env,
  });
  const worker = await startWorker(api);
  return {
    llm,
    api,
    worker,
    async close() {
      await worker.stop();
      await api.close();
      await llm.close();
    },
  };
}

/** The execution's detail once it has ended (completed, failed, stopped, …). */
export function finishedExecution(
  api: ApiHarness,
  id: string,
  options: { groupId?: string | undefined; timeoutMs?: number } = {},
): Promise<any> {
  return waitFor(
    `execution ${id}`,
    async () => {
      const current = await api.http.get(`/api/v1/executions/${id}`, {
        token: api.adminToken,
        groupId: options.groupId,
      });
      return (FINAL_STATUSES as readonly string[]).includes(current.body.status)
        ? current.body
        : undefined;
    },
    options.timeoutMs,
  );
}
