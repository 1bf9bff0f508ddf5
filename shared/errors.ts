/**
 * Error codes shared by the API, the worker and the workflows. API error bodies carry one of
 * `API_ERROR_CODES`; Temporal failures carry one of `FAILURE_TYPES` as their type name, which is
 * recorded in history, so these strings never change once released.
 */
export const API_ERROR_CODES = {
  validation: 'validation_error',
  malformedJson: 'malformed_json',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  notFound: 'not_found',
  conflict: 'conflict',
  payloadTooLarge: 'payload_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  tooManyRequests: 'too_many_requests',
  internal: 'internal_error',
  unavailable: 'service_unavailable',
} as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[keyof typeof API_ERROR_CODES];

export const FAILURE_TYPES = {
  llmRateLimit: 'KasalLlmError.RateLimit',
  llmServer: 'KasalLlmError.Server',
  llmBadRequest: 'KasalLlmError.BadRequest',
  llmAuth: 'KasalLlmError.Auth',
  /** The conversation no longer fits the model's context window. */
  llmContextWindow: 'KasalLlmError.ContextWindow',
  toolFailed: 'KasalToolError.Failed',
  toolUnavailable: 'KasalToolError.Unavailable',
  mcpUnreachable: 'KasalToolError.McpUnreachable',
  invalidPlan: 'KasalPlanError.Invalid',
  taskFailed: 'KasalTaskError.Failed',
  flowFailed: 'KasalFlowError.Failed',
  /** A scheduled run could not start: its schedule or its crew or flow is gone or invalid. */
  scheduledRunInvalid: 'KasalScheduleError.Invalid',
  approvalNotPending: 'KasalApproval.NotPending',
  approvalNotAllowed: 'KasalApproval.NotAllowed',
  approvalCommentRequired: 'KasalApproval.CommentRequired',
} as const;

/** One problem with one field of a request or definition, e.g. `tasks[1].agent`. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Formats a path such as `['tasks', 1, 'agent']` the way people write it: `tasks[1].agent`. */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    return out ? `${out}.${name}` : name;
  }, '');
}
