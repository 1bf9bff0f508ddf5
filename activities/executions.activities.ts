/** Writes execution progress to the database. Idempotent: a retried write changes nothing twice. */
import type { FinishExecution } from '../shared/contracts/activities';
import type { TaskState } from '../shared/plan/execution-state';
import { ExecutionEntity, ExecutionTaskEntity } from '../shared/node/db/entities';
import type { Orm } from '../shared/node/db/orm';

export function createExecutionActivities(deps: { orm: Orm }) {
  return {
    async markExecutionRunning({ executionId }: { executionId: string }): Promise<void> {
      const em = deps.orm.em.fork();
      const execution = await em.findOneOrFail(ExecutionEntity, { id: executionId });
      if (execution.status === 'PENDING') {
        execution.status = 'RUNNING';
        execution.startedAt = new Date();
        await em.flush();
      }
    },

    async recordTaskState({
      executionId,
      task,
    }: {
      executionId: string;
      task: TaskState;
    }): Promise<void> {
      const em = deps.orm.em.fork();
      const execution = await em.findOneOrFail(
        ExecutionEntity,
        { id: executionId },
        { fields: ['id', 'plan'] },
      );
      const tasks = (execution.plan as { tasks?: { key: string }[] }).tasks ?? [];
      const values = {
        executionId,
        taskKey: task.key,
        position: Math.max(
          0,
          tasks.findIndex((candidate) => candidate.key === task.key),
        ),
        name: task.name ?? null,
        agent: task.agent ?? null,
        status: task.status,
        output: task.output ?? null,
        outputJson: task.output_json ?? null,
        error: task.error ?? null,
        usage: task.usage,
        llmCalls: task.llm_calls,
        toolCalls: task.tool_calls,
        delegations: task.delegations,
        startedAt: task.started_at ? new Date(task.started_at) : null,
        finishedAt: task.finished_at ? new Date(task.finished_at) : null,
      };
      await em.upsert(ExecutionTaskEntity, values, {
        onConflictFields: ['executionId', 'taskKey'],
      });
    },

    async finishExecution(request: FinishExecution): Promise<void> {
      const em = deps.orm.em.fork();
      const execution = await em.findOneOrFail(ExecutionEntity, { id: request.executionId });
      execution.status = request.status;
      execution.output = request.output ?? null;
      execution.outputJson = request.output_json ?? null;
      execution.error = request.error ?? null;
      execution.usage = request.usage;
      execution.startedAt ??= new Date();
      execution.finishedAt ??= new Date();
      await em.flush();
    },
  };
}
