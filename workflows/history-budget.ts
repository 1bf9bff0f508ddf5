/**
 * When a run should continue as new: its history is past the run's limits, or Temporal
 * suggests it; or (pinned crews) its worker deployment has a new current version. Behind
 * patches, so histories recorded before replay as they ran.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { HistoryLimits } from '../shared/plan/execution-state';
import { PATCHES } from './patches';

/**
 * Whether a pinned run should move to the worker deployment's new current version: only by
 * continuing as new, so no run ever replays on code it did not start with.
 */
export function newVersionAvailable(): boolean {
  return (
    workflowInfo().targetWorkerDeploymentVersionChanged && patched(PATCHES.continueOnNewVersion)
  );
}

export function historyFull(limits: HistoryLimits | undefined): boolean {
  const info = workflowInfo();
  const over =
    info.continueAsNewSuggested ||
    (limits !== undefined &&
      (info.historyLength >= limits.max_events || info.historySize >= limits.max_bytes));
  return over && patched(PATCHES.continueAsNew);
}
