/** Signals and queries of execution workflows. Their names are recorded in history: never rename. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ExecutionProgress } from '../shared/plan/execution-state';

/** Graceful stop: finish the current step, keep what is done, end as STOPPED. */
export const stopSignal = defineSignal<[{ reason?: string }]>('stop');

export const progressQuery = defineQuery<ExecutionProgress>('progress');
