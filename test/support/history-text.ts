/** A workflow history as text with every payload decoded, to search for what must not be there. */
import type { temporal } from '@temporalio/proto';

export function historyText(history: temporal.api.history.v1.IHistory): string {
  // Proto messages serialise bytes as base64 (`data`), so decode them back to their JSON text.
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string')
      return Buffer.from(value, 'base64').toString('utf8');
    return value;
  });
}
