/**
 * Keeps the `KasalStatus` search attribute in step with the execution, so the Web UI can filter
 * by it. Behind a patch: histories recorded before it replay without these commands.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { ExecutionStatus } from '../shared/plan/execution-state';
import { SEARCH_ATTRIBUTE_KEYS } from '../shared/search-attributes';
import { PATCHES } from './patches';

export function publishStatus(status: ExecutionStatus): void {
  if (patched(PATCHES.statusSearchAttribute)) {
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.status, value: status }]);
  }
}
