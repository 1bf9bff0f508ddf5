/**
 * What a Temporal Schedule starts: one scheduled run of a saved crew or flow. An activity
 * prepares it (schedule and definition loaded, plan compiled or taken from the pinned
 * snapshot, execution row written with trigger `scheduled`); then the crew or flow runs as a
 * child workflow with the usual workflow id (`kasal-crew-<execution id>`) and this workflow
 * waits for it, so the schedule's overlap policy applies to whole runs. Cancelling this
 * workflow (overlap `cancel_other`) cancels the run.
 */
import {
  ApplicationFailure,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  uuid4,
} from '@temporalio/workflow';
import type { KasalScheduleActivities } from '../shared/contracts/activities';
import { FAILURE_TYPES } from '../shared/errors';
import { newExecutionSearchAttributes } from '../shared/search-attributes';
import { PERSISTENCE_ACTIVITY } from './activity-options';
import { crewWorkflow } from './crew.workflow';
import { flowWorkflow } from './flow.workflow';

export interface ScheduledRunInput {
  /** The schedule's API id (the Temporal schedule is `kasal-schedule-<id>`). */
  scheduleId: string;
  groupId: string;
}

export interface ScheduledRunResult {
  executionId: string;
  workflowId: string;
  status: 'COMPLETED' | 'STOPPED';
}

const schedules = proxyActivities<KasalScheduleActivities>({
  ...PERSISTENCE_ACTIVITY,
  // Bounded: a run that cannot be prepared must not hold the schedule's overlap slot forever.
  retry: { ...PERSISTENCE_ACTIVITY.retry, maximumAttempts: 10 },
  summary: 'Prepare the scheduled run',
});

export async function scheduledRunWorkflow(input: ScheduledRunInput): Promise<ScheduledRunResult> {
  const { scheduleId, groupId } = input;
  const executionId = uuid4();
  const run = await schedules.prepareScheduledRun({ scheduleId, groupId, executionId });
  if (!run.ok) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.scheduledRunInvalid,
      message: run.error,
      nonRetryable: true,
    });
  }
  const options = {
    workflowId: run.workflowId,
    // Ending this workflow any other way than by its run's end stops the run properly.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    typedSearchAttributes: newExecutionSearchAttributes({
      groupId,
      kind: run.kind,
      trigger: 'scheduled',
      scheduleId,
      name: run.name,
      crewId: run.crewId,
      flowId: run.flowId,
    }),
    staticSummary: `${run.kind === 'flow' ? 'Flow' : 'Crew'} · ${run.name} (scheduled)`,
    staticDetails: `Kasal execution \`${run.executionId}\` in group \`${groupId}\`, started by schedule \`${scheduleId}\``,
  };
  const args = {
    executionId: run.executionId,
    groupId,
    ...(run.history_limits && { history_limits: run.history_limits }),
  };
  const result =
    run.kind === 'flow'
      ? await executeChild(flowWorkflow, { ...options, args: [{ ...args, plan: run.plan }] })
      : await executeChild(crewWorkflow, { ...options, args: [{ ...args, plan: run.plan }] });
  return { executionId: run.executionId, workflowId: run.workflowId, status: result.status };
}
