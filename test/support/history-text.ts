/** A workflow history as text, to search for what must (not) be there. */
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** The history as stored: payload bytes as text, encrypted ones stay ciphertext. */
export function historyText(history: temporal.api.history.v1.IHistory): string {
  // Proto messages serialise bytes as base64 (`data`), so decode them back to their text.
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (key === 'data' && typeof value === 'string') {
      return Buffer.from(value, 'base64').toString('utf8');
    }
    return value;
  });
}

/** Every payload of the history, decrypted with the codec, as text. */
export async function decodedPayloadsText(
  history: temporal.api.history.v1.IHistory,
  codec: PayloadCodec,
): Promise<string> {
  const payloads: Payload[] = [];
  const collect = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    if (record.metadata && record.data instanceof Uint8Array) payloads.push(record);
    Object.values(record).forEach(collect);
  };
  collect(history);
  const decoded = await codec.decode(payloads);
  return decoded
    .map((payload) => Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'))
    .join('\n');
}

/** A payload as the Web UI sends it to the codec endpoint: JSON with base64 fields. */
export const codecJson = (payload: temporal.api.common.v1.IPayload | null | undefined) => ({
  metadata: Object.fromEntries(
    Object.entries(payload?.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  ),
  data: Buffer.from(payload?.data ?? new Uint8Array()).toString('base64'),
});
