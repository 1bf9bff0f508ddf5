/**
 * Delivers one event to the group's webhooks that subscribe to it, each delivery an activity
 * retried with backoff. Used for what no execution workflow can announce itself: an execution
 * whose workflow Temporal ended (terminated, timed out, cut off), found by reconciliation.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { KasalHitlActivities, WebhookEvent } from '../shared/contracts/activities';
import { PERSISTENCE_ACTIVITY, WEBHOOK_ACTIVITY } from './activity-options';

const targets = proxyActivities<Pick<KasalHitlActivities, 'webhookTargets'>>(PERSISTENCE_ACTIVITY);
const webhooks = proxyActivities<Pick<KasalHitlActivities, 'deliverWebhook'>>(WEBHOOK_ACTIVITY);

export interface WebhookNotification {
  groupId: string;
  event: WebhookEvent;
  payload: Record<string, unknown>;
}

/** Returns how many webhooks took the event (failed deliveries are given up after retries). */
export async function webhookNotificationWorkflow(
  notification: WebhookNotification,
): Promise<number> {
  const { groupId, event, payload } = notification;
  const ids = await targets.webhookTargets({ groupId, event });
  const results = await Promise.allSettled(
    ids.map((webhookId) => webhooks.deliverWebhook({ webhookId, event, payload })),
  );
  return results.filter((result) => result.status === 'fulfilled').length;
}
