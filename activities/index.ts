/**
 * Activities are built by a factory from injected dependencies, so the worker wires real
 * clients and tests wire local servers.
 */
import type { Orm } from '../shared/node/db/orm';
import type { Logger } from '../shared/node/logger';

export interface ActivityDeps {
  orm: Orm;
  logger: Logger;
}

export function createActivities(_deps: ActivityDeps) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
