import {
  defineSearchAttributeKey,
  SearchAttributeType,
  type SearchAttributePair,
} from '@temporalio/common';
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
  name: 'KasalName',
  status: 'KasalStatus',
  /** The schedule that started a run (its API id). */
  scheduleId: 'KasalScheduleId',
} as const;

export type SearchAttributeName = (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES];

export const SEARCH_ATTRIBUTE_KEYS = {
  groupId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.groupId, SearchAttributeType.KEYWORD),
  crewId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.crewId, SearchAttributeType.KEYWORD),
  flowId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.flowId, SearchAttributeType.KEYWORD),
  executionKind: defineSearchAttributeKey(
    SEARCH_ATTRIBUTES.executionKind,
    SearchAttributeType.KEYWORD,
  ),
  trigger: defineSearchAttributeKey(SEARCH_ATTRIBUTES.trigger, SearchAttributeType.KEYWORD),
  name: defineSearchAttributeKey(SEARCH_ATTRIBUTES.name, SearchAttributeType.KEYWORD),
  status: defineSearchAttributeKey(SEARCH_ATTRIBUTES.status, SearchAttributeType.KEYWORD),
  scheduleId: defineSearchAttributeKey(SEARCH_ATTRIBUTES.scheduleId, SearchAttributeType.KEYWORD),
};

/** What makes a new execution's workflow findable: a run started by the API or a schedule. */
export function newExecutionSearchAttributes(run: {
  groupId: string;
  kind: 'crew' | 'flow';
  trigger: string;
  name: string;
  crewId?: string | null | undefined;
  flowId?: string | null | undefined;
  scheduleId?: string | null | undefined;
}): SearchAttributePair[] {
  return [
    { key: SEARCH_ATTRIBUTE_KEYS.groupId, value: run.groupId },
    { key: SEARCH_ATTRIBUTE_KEYS.executionKind, value: run.kind },
    { key: SEARCH_ATTRIBUTE_KEYS.trigger, value: run.trigger },
    ...(run.scheduleId ? [{ key: SEARCH_ATTRIBUTE_KEYS.scheduleId, value: run.scheduleId }] : []),
    { key: SEARCH_ATTRIBUTE_KEYS.name, value: run.name },
    { key: SEARCH_ATTRIBUTE_KEYS.status, value: 'PENDING' },
    ...(run.crewId ? [{ key: SEARCH_ATTRIBUTE_KEYS.crewId, value: run.crewId }] : []),
    ...(run.flowId ? [{ key: SEARCH_ATTRIBUTE_KEYS.flowId, value: run.flowId }] : []),
  ];
}
