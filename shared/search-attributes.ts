/**
 * Custom search attributes (all of Temporal type `Keyword`) that make executions findable in the Temporal Web UI.
 * Their names are recorded in history and registered on the server at start: never rename one.
 */
export const SEARCH_ATTRIBUTES = {
  groupId: 'KasalGroupId',
  crewId: 'KasalCrewId',
  flowId: 'KasalFlowId',
  executionKind: 'KasalExecutionKind',
  trigger: 'KasalTrigger',
} as const;

export type SearchAttributeName = (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES];
