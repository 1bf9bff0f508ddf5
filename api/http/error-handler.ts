/** Turns anything thrown in a route into the API's error shape, never leaking internals. */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { API_ERROR_CODES, formatFieldPath, type FieldIssue } from '../../shared/errors';
import type { Logger } from '../../shared/node/logger';
import { ApiError, validationError } from './errors';

/** body-parser's error types, mapped to what the client did wrong. */
const BODY_PARSER_ERRORS: Record<string, (error: Error & { limit?: number }) => ApiError> = {
  'entity.parse.failed': () =>
    new ApiError(400, API_ERROR_CODES.malformedJson, 'Request body is not valid JSON'),
  'entity.too.large': (error) =>
    new ApiError(
      413,
      API_ERROR_CODES.payloadTooLarge,
      `Request body is larger than the limit of ${error.limit ?? 'the server'} bytes`,
    ),
  'encoding.unsupported': () =>
    new ApiError(415, API_ERROR_CODES.unsupportedMediaType, 'Unsupported content encoding'),
  'charset.unsupported': () =>
    new ApiError(415, API_ERROR_CODES.unsupportedMediaType, 'Unsupported charset; use utf-8'),
};

/** A zod failure as a 400 naming each field: `Invalid crew: tasks[0].agent: …`. */
export function fromZodError(error: z.ZodError, what: string): ApiError {
  return validationError(what, zodFieldIssues(error));
}

/**
 * Each issue of a zod failure with its field. A union names no field of its own ("Invalid
 * input"): it gives way to the issues of the branch that got furthest into the value, so a bad
 * inline agent says `agents[0].tool_configs.MCP_SERVERS: …`, not `agents[0]: Invalid input`.
 */
export function zodFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues
    .flatMap((issue) => deepestIssues(issue, []))
    .map(({ path, message }) => ({ path: formatFieldPath(path), message }));
}

interface LocatedIssue {
  path: PropertyKey[];
  message: string;
  /** How far into the value the issue is: two per path segment, one more past the type check. */
  reach: number;
}

function deepestIssues(issue: z.core.$ZodIssue, at: PropertyKey[]): LocatedIssue[] {
  const path = [...at, ...issue.path];
  const base = path.length * 2;
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
    return [
      { path, message: issue.message, reach: base + (issue.code === 'invalid_type' ? 0 : 1) },
    ];
  }
  const branches = issue.errors.map((branch) =>
    branch.flatMap((inner) => deepestIssues(inner, path)),
  );
  const reach = (branch: LocatedIssue[]) => Math.max(...branch.map((found) => found.reach));
  const best = branches.reduce((a, b) => (reach(b) > reach(a) ? b : a));
  if (reach(best) > base) return best;
  // No branch got past the type of the value itself: say which types would do.
  const expected = issue.errors
    .flat()
    .map((inner) => inner.code === 'invalid_type' && inner.expected);
  const message = expected.every(Boolean)
    ? `Invalid input: expected ${[...new Set(expected)].join(' or ')}`
    : issue.message;
  return [{ path, message, reach: base }];
}

export function toApiError(error: unknown, what = 'request'): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (error instanceof z.ZodError) return fromZodError(error, what);
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && type in BODY_PARSER_ERRORS) {
    return BODY_PARSER_ERRORS[type]?.(error as Error);
  }
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const apiError = toApiError(error);
    if (apiError) {
      res.set(apiError.headers).status(apiError.status).json(apiError.toBody());
      return;
    }
    logger.error({ err: error, reqId: req.id }, 'unhandled error');
    const requestId = typeof req.id === 'string' ? req.id : 'unknown';
    res
      .status(500)
      .json(
        new ApiError(
          500,
          API_ERROR_CODES.internal,
          `Internal server error (request id ${requestId})`,
        ).toBody(),
      );
  };
}

export const routeNotFound: RequestHandler = (req, res) => {
  res
    .status(404)
    .json(
      new ApiError(
        404,
        API_ERROR_CODES.notFound,
        `No route for ${req.method} ${req.path}`,
      ).toBody(),
    );
};
