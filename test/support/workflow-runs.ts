/** The runs of one workflow id (more than one after continue-as-new) and what their history costs. */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * The histories of a workflow's runs, oldest first: every run the latest one continued from
 * (each run's first event names the one before).
 */
export async function runHistories(
  client: Client,
  workflowId: string,
): Promise<temporal.api.history.v1.IHistory[]> {
  const histories: temporal.api.history.v1.IHistory[] = [];
  let runId: string | undefined;
  do {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    histories.unshift(history);
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    runId = started?.continuedExecutionRunId || undefined;
  } while (runId);
  return histories;
}

/** Each event's encoded size in bytes, in history order. */
export function eventSizes(history: temporal.api.history.v1.IHistory): number[] {
  return (history.events ?? []).map(
    (event) => temporal.api.history.v1.HistoryEvent.encode(event).finish().length,
  );
}
