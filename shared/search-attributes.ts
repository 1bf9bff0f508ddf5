import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
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
