/** Writes execution progress to the database. Idempotent: a retried write changes nothing twice. */
import type { FinishExecution } from '../shared/contracts/activities';
import type { TaskState } from '../shared/plan/execution-state';
import { ExecutionEntity, ExecutionTaskEntity } from '../shared/node/db/entities';
import type { Orm } from '../shared/node/db/orm';
import { executionEventKey, recordEvents, taskEventKey } from '../shared/node/db/execution-events';

const TASK_EVENT_TYPES = {
  RUNNING: 'task_started',
  COMPLETED: 'task_completed',
  FAILED: 'task_failed',
  STOPPED: 'task_stopped',
  PENDING: 'task_pending',
} as const;

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
      await recordEvents(em, [
        {
          key: executionEventKey(executionId),
          executionId,
          groupId: execution.groupId,
          type: `${execution.kind}_started`,
          title: `${execution.kind === 'flow' ? 'Flow' : 'Crew'} started: ${execution.name}`,
          data: { name: execution.name, inputs: execution.inputs },
          occurredAt: execution.startedAt ?? new Date(),
        },
      ]);
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
        { fields: ['id', 'plan', 'groupId'] },
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

      const started = task.status === 'RUNNING';
      await recordEvents(em, [
        {
          key: started
            ? taskEventKey(executionId, task.key)
            : `${taskEventKey(executionId, task.key)}:${task.status}`,
          executionId,
          groupId: execution.groupId,
          type: started ? 'task_started' : TASK_EVENT_TYPES[task.status],
          taskKey: task.key,
          parentKey: started ? executionEventKey(executionId) : taskEventKey(executionId, task.key),
          title: `Task ${task.name ?? task.key} ${started ? 'started' : task.status.toLowerCase()}`,
          data: {
            agent: task.agent ?? null,
            ...(task.output !== undefined && { output: task.output }),
            ...(task.output_json !== undefined && { output_json: task.output_json }),
            ...(task.error !== undefined && { error: task.error }),
            usage: task.usage,
            llm_calls: task.llm_calls.length,
            tool_calls: task.tool_calls,
          },
          ...(task.started_at &&
            task.finished_at && {
              durationMs: Date.parse(task.finished_at) - Date.parse(task.started_at),
            }),
        },
      ]);
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
      if (request.status !== 'COMPLETED') {
        // A force stop can cut a task off before it recorded its end: no row may stay RUNNING.
        await em.nativeUpdate(
          ExecutionTaskEntity,
          { executionId: request.executionId, status: 'RUNNING' },
          { status: request.status === 'FAILED' ? 'FAILED' : 'STOPPED', finishedAt: new Date() },
        );
      }
      const completed = request.status === 'COMPLETED';
      const failed = request.status === 'FAILED';
      await recordEvents(em, [
        {
          key: `${request.executionId}:finished:${request.status}`,
          executionId: request.executionId,
          groupId: execution.groupId,
          type:
            completed || failed
              ? `${execution.kind}_${completed ? 'completed' : 'failed'}`
              : `execution_${request.status.toLowerCase()}`,
          parentKey: executionEventKey(request.executionId),
          title: `${execution.kind === 'flow' ? 'Flow' : 'Crew'} ${request.status.toLowerCase()}: ${execution.name}`,
          data: {
            status: request.status,
            ...(request.output !== undefined && { output: request.output }),
            ...(request.error !== undefined && { error: request.error }),
            usage: request.usage,
          },
          durationMs: execution.finishedAt.getTime() - execution.startedAt.getTime(),
        },
      ]);
    },
  };
}
