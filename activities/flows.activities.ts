/**
 * Rows for flow executions: each crew step's own execution, and the flow's live progress with
 * the flow's own events (a router where no route matched).
 */
import type { FlowEvent, StepExecution } from '../shared/contracts/activities';
import { ExecutionEntity } from '../shared/node/db/entities';
import { executionEventKey, recordEvents } from '../shared/node/db/execution-events';
import type { Orm } from '../shared/node/db/orm';

export function createFlowActivities(deps: { orm: Orm }) {
  return {
    async createStepExecution(step: StepExecution): Promise<void> {
      const em = deps.orm.em.fork();
      const parent = await em.findOneOrFail(ExecutionEntity, { id: step.parentExecutionId });
      await em.upsert(
        ExecutionEntity,
        {
          id: step.id,
          groupId: step.groupId,
          kind: 'crew',
          crewId: step.crewId ?? null,
          flowId: parent.flowId ?? null,
          parentExecutionId: step.parentExecutionId,
          stepId: step.stepId,
          name: step.name,
          status: 'PENDING',
          trigger: parent.trigger,
          scheduleId: parent.scheduleId ?? null,
          inputs: {},
          plan: step.plan,
          workflowId: step.workflowId,
          outputJson: null,
          createdBy: parent.createdBy,
        },
        { onConflictFields: ['id'], onConflictAction: 'ignore' },
      );
    },

    async recordFlowProgress(request: {
      executionId: string;
      progress: Record<string, unknown>;
      events?: FlowEvent[];
    }): Promise<void> {
      const em = deps.orm.em.fork();
      const { executionId } = request;
      await em.nativeUpdate(ExecutionEntity, { id: executionId }, { progress: request.progress });
      if (!request.events?.length) return;
      const { groupId } = await em.findOneOrFail(
        ExecutionEntity,
        { id: executionId },
        { fields: ['groupId'] },
      );
      await recordEvents(
        em,
        request.events.map((event) => ({
          ...event,
          key: `${executionId}:${event.key}`,
          executionId,
          groupId,
          parentKey: executionEventKey(executionId),
        })),
      );
    },
  };
}
