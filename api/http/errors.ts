/** The API's one error type; every failure leaves as `{ error: { code, message, details } }`. */
import { API_ERROR_CODES, type ApiErrorCode, type FieldIssue } from '../../shared/errors';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    /** Response headers that belong to this error, e.g. `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toBody(): { error: { code: string; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details !== undefined && { details: this.details }),
      },
    };
  }
}

/** A 400 that names every offending field, e.g. `tasks[1].agent: unknown agent 'writer'`. */
export function validationError(what: string, issues: FieldIssue[]): ApiError {
  const summary = issues
    .slice(0, 5)
    .map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message))
    .join('; ');
  return new ApiError(400, API_ERROR_CODES.validation, `Invalid ${what}: ${summary}`, {
    fields: issues,
  });
}

export const unauthorized = (message = 'Authentication required') =>
  new ApiError(401, API_ERROR_CODES.unauthorized, message);

export const forbidden = (message: string) => new ApiError(403, API_ERROR_CODES.forbidden, message);

export const notFound = (what: string, id?: string) =>
  new ApiError(
    404,
    API_ERROR_CODES.notFound,
    id ? `${what} '${id}' not found` : `${what} not found`,
  );

export const conflict = (message: string, details?: unknown) =>
  new ApiError(409, API_ERROR_CODES.conflict, message, details);

/** A 429 that says when to come back, in `Retry-After` and in `details.retry_after_seconds`. */
export const tooManyRequests = (
  message: string,
  retryAfterSeconds: number,
  details?: Record<string, unknown>,
) =>
  new ApiError(
    429,
    API_ERROR_CODES.tooManyRequests,
    message,
    { ...details, retry_after_seconds: retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
