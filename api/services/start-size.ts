/** A run too large for Temporal to start is refused with a 413 before anything is written. */
import { API_ERROR_CODES } from '../../shared/errors';
import { describeOversizedStart, oversizedStart } from '../../shared/node/temporal/start-payload';
import { ApiError } from '../http/errors';

/** Throws a 413 naming the largest parts when the start arguments exceed `limit` bytes. */
export function assertStartFits(
  what: string,
  args: { plan: unknown } & Record<string, unknown>,
  limit: number,
): void {
  const oversized = oversizedStart(args, limit);
  if (!oversized) return;
  throw new ApiError(
    413,
    API_ERROR_CODES.payloadTooLarge,
    `${what} is too large to start: ${describeOversizedStart(oversized)}`,
    { size_bytes: oversized.bytes, limit_bytes: oversized.limit, largest: oversized.largest },
  );
}

/** The 413 of an endpoint that starts a run or saves what a run starts with, for its docs. */
export const START_TOO_LARGE_ERRORS = {
  413:
    'The request body is larger than MAX_BODY_BYTES, or a run of what it starts or saves ' +
    '(the compiled plan with its inputs) is larger than KASAL_MAX_START_PAYLOAD_BYTES; ' +
    '`details.largest` names the largest parts',
} as const;
