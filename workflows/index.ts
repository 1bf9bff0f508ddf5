/**
 * The workflows this worker registers. Deterministic code only: no Node built-ins, no I/O
 * (enforced by lint and by a test that bundles this file). Workflow names are recorded in
 * history: never rename an export.
 */
export { crewWorkflow } from './crew.workflow';
export { flowWorkflow } from './flow.workflow';
export { scheduledRunWorkflow } from './scheduled-run.workflow';
export { webhookNotificationWorkflow } from './webhook-notification.workflow';
