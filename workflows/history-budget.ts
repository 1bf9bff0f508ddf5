/**
 * Whether a run should continue as new: its history is past the run's limits, or Temporal
 * suggests it. Behind a patch, so histories that grew past a limit before runs could continue
 * as new replay as they ran.
 */
import { patched, workflowInfo } from '@temporalio/workflow';
import type { HistoryLimits } from '../shared/plan/execution-state';
import { PATCHES } from './patches';

export function historyFull(limits: HistoryLimits | undefined): boolean {
  const info = workflowInfo();
  const over =
    info.continueAsNewSuggested ||
    (limits !== undefined &&
      (info.historyLength >= limits.max_events || info.historySize >= limits.max_bytes));
  return over && patched(PATCHES.continueAsNew);
}
