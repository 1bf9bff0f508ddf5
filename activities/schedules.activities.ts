/**
 * The start of a scheduled run: the schedule's crew or flow is compiled here, in the worker,
 * exactly as `POST /executions` compiles it in the API (one shared module), and the execution
 * row is written with trigger `scheduled` and the schedule's id.
 */
import type { PreparedScheduledRun } from '../shared/contracts/activities';
import type { FieldIssue } from '../shared/errors';
import type { CrewPlan } from '../shared/plan/crew-plan';
import type { HistoryLimits } from '../shared/plan/execution-state';
import type { FlowPlan } from '../shared/plan/flow-plan';
import {
  ExecutionEntity,
  GroupMembershipEntity,
  ScheduleEntity,
  type Execution,
} from '../shared/node/db/entities';
import { roleAllows } from '../shared/roles';
import type { Orm } from '../shared/node/db/orm';
import { compileSavedTarget } from '../shared/node/definitions/compile-saved';
import { describeOversizedStart, oversizedStart } from '../shared/node/temporal/start-payload';

type Ready = Extract<PreparedScheduledRun, { ok: true }>;

export function createScheduleActivities(deps: {
  orm: Orm;
  defaultModel: string;
  historyLimits: HistoryLimits;
  maxStartPayloadBytes: number;
}) {
  return {
    async prepareScheduledRun(request: {
      scheduleId: string;
      groupId: string;
      executionId: string;
    }): Promise<PreparedScheduledRun> {
      const { scheduleId, groupId, executionId } = request;
      const em = deps.orm.em.fork();
      // A retried attempt answers from the row the first one wrote.
      const written = await em.findOne(
        ExecutionEntity,
        { id: executionId },
        { populate: ['plan'] },
      );
      if (written) return fromRow(written, deps.historyLimits);

      const schedule = await em.findOne(
        ScheduleEntity,
        { id: scheduleId, groupId },
        { populate: ['snapshotPlan'] },
      );
      if (!schedule || schedule.syncState === 'deleting') {
        return { ok: false, error: `The schedule '${scheduleId}' no longer exists` };
      }
      const kind = schedule.targetKind;
      const base = {
        id: executionId,
        groupId,
        kind,
        crewId: kind === 'crew' ? schedule.targetId : null,
        flowId: kind === 'flow' ? schedule.targetId : null,
        trigger: 'scheduled' as const,
        scheduleId,
        workflowId: `kasal-${kind}-${executionId}`,
        outputJson: null,
        createdBy: schedule.createdBy,
      };

      /** A run that cannot start is still an execution: FAILED, saying why. */
      const failed = async (error: string): Promise<PreparedScheduledRun> => {
        const now = new Date();
        await em.upsert(
          ExecutionEntity,
          {
            ...base,
            name: schedule.name,
            status: 'FAILED',
            inputs: schedule.inputs,
            plan: {},
            error,
            startedAt: now,
            finishedAt: now,
          },
          { onConflictFields: ['id'], onConflictAction: 'ignore' },
        );
        return { ok: false, error, executionId };
      };

      // Runs act for the schedule's creator: they must still be allowed to run in the group.
      const membership = await em.findOne(GroupMembershipEntity, {
        groupId,
        userId: schedule.createdBy,
      });
      if (!membership || !roleAllows(membership.role, 'executions:run')) {
        return failed(
          "The schedule's creator may no longer run crews and flows in this group: someone who may should re-create the schedule",
        );
      }

      let plan: CrewPlan | FlowPlan;
      let inputs: Record<string, unknown>;
      if (schedule.pin === 'snapshot' && schedule.snapshotPlan) {
        plan = schedule.snapshotPlan as unknown as CrewPlan | FlowPlan;
        inputs = kind === 'crew' ? (plan as CrewPlan).inputs : schedule.inputs;
      } else {
        const compiled = await compileSavedTarget(
          em,
          groupId,
          { kind, id: schedule.targetId },
          schedule.inputs,
          deps.defaultModel,
        );
        if (!compiled.ok) {
          return failed(
            compiled.missing
              ? `The scheduled ${kind} '${schedule.targetId}' no longer exists`
              : `The scheduled ${kind} no longer compiles: ${describe(compiled.issues)}`,
          );
        }
        plan = compiled.plan;
        inputs = compiled.inputs;
      }
      // What the run's workflow will be started with (scheduled-run.workflow.ts).
      const oversized = oversizedStart(
        { executionId, groupId, history_limits: deps.historyLimits, plan },
        deps.maxStartPayloadBytes,
      );
      if (oversized) {
        return failed(
          `The scheduled run is too large to start: ${describeOversizedStart(oversized)}`,
        );
      }

      await em.upsert(
        ExecutionEntity,
        {
          ...base,
          name: plan.name,
          status: 'PENDING',
          inputs,
          plan: plan as unknown as Record<string, unknown>,
        },
        { onConflictFields: ['id'], onConflictAction: 'ignore' },
      );
      return ready(base, plan, deps.historyLimits);
    },
  };
}

function fromRow(row: Execution, historyLimits: HistoryLimits): PreparedScheduledRun {
  // A run that could not be prepared was written without a plan.
  if (Object.keys(row.plan).length === 0) {
    return {
      ok: false,
      error: row.error ?? 'The scheduled run could not start',
      executionId: row.id,
    };
  }
  return ready(row, row.plan as unknown as CrewPlan | FlowPlan, historyLimits);
}

function ready(
  row: {
    id: string;
    kind: 'crew' | 'flow';
    workflowId: string;
    crewId?: string | null;
    flowId?: string | null;
  },
  plan: CrewPlan | FlowPlan,
  historyLimits: HistoryLimits,
): Ready {
  const common = {
    ok: true as const,
    executionId: row.id,
    history_limits: historyLimits,
    workflowId: row.workflowId,
    name: plan.name,
    ...(row.crewId && { crewId: row.crewId }),
    ...(row.flowId && { flowId: row.flowId }),
  };
  return row.kind === 'flow'
    ? { ...common, kind: 'flow', plan: plan as FlowPlan }
    : { ...common, kind: 'crew', plan: plan as CrewPlan };
}

function describe(issues: FieldIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join('; ');
}
