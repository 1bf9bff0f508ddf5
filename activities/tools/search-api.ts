/**
 * What the web search tools share: one JSON POST to a search service's API, with its failures
 * turned into ordinary Errors that say what went wrong (a refused key, a status, a timeout).
 * They are not ToolInputErrors: the agent's arguments were fine, and the caller decides
 * whether to retry.
 */

export interface SearchApiCall {
  /** The service's name, as messages show it. */
  service: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
  /** The API key: cut from any message the service echoes it in. */
  secret: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

const MAX_DETAIL_CHARS = 300;

/** POSTs body as JSON and returns the parsed JSON answer of a 2xx response. */
export async function postJson(call: SearchApiCall): Promise<unknown> {
  const timeout = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([timeout, call.signal]) : timeout;
  const failed = (error: unknown): never => {
    call.signal?.throwIfAborted(); // cancelled by the caller: its own reason, unchanged
    if (timeout.aborted) {
      throw new Error(`${call.service} did not answer within ${call.timeoutMs} ms`);
    }
    throw new Error(`could not reach ${call.service}: ${describe(error)}`, { cause: error });
  };
  const response = await fetch(call.url, {
    method: 'POST',
    headers: { ...call.headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(call.body),
    signal,
  }).catch(failed);
  const text = await response.text().catch(failed);

  if (!response.ok) {
    const detail = errorDetail(text, call.secret);
    const said = detail ? `: ${detail}` : '';
    if (response.status === 401 || response.status === 403) {
      throw new Error(`${call.service} refused the API key (HTTP ${response.status})${said}`);
    }
    const reason = response.statusText ? ` ${response.statusText}` : '';
    throw new Error(`${call.service} answered HTTP ${response.status}${reason}${said}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`${call.service} answered with something that is not JSON`);
  }
}

/** The message of an error response: {message}, {error: {message}}, {error}, or the text. */
function errorDetail(text: string, secret: string): string {
  let detail = text;
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown; detail?: unknown };
    const error = body.error as { message?: unknown } | undefined;
    const message = [body.message, error?.message, body.error, body.detail].find(
      (value) => typeof value === 'string',
    );
    if (typeof message === 'string') detail = message;
  } catch {
    if (text.trimStart().startsWith('<')) return ''; // an HTML error page says nothing useful
  }
  if (secret !== '') detail = detail.replaceAll(secret, '***');
  detail = detail.replace(/\s+/g, ' ').trim();
  return detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}…` : detail;
}

/** fetch rejects with "fetch failed", the reason in its cause (maybe from another realm). */
function describe(error: unknown): string {
  const { message, cause } = (error ?? {}) as { message?: unknown; cause?: { message?: unknown } };
  const inner = cause?.message ?? message;
  return typeof inner === 'string' ? inner : String(error);
}
