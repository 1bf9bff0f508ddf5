/**
 * What the Temporal Web UI shows of a run: history carries stored texts and conversations by
 * reference, so the codec endpoint, after decrypting, adds their content next to each
 * reference (`text` beside `stored`, `messages` beside a conversation cursor). Display only:
 * the workflow never sees these payloads.
 */
import type { Payload } from '@temporalio/common';
import type { ExecutionStore } from '../../shared/node/store/execution-store';

const JSON_ENCODING = 'json/plain';
/** Each shown text is cut here, so a page of history stays a page. */
const SHOWN_CHARS = 20_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const encodingOf = (payload: Payload) =>
  payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : undefined;

const isObject = (value: Json): value is { [key: string]: Json } =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const isCursor = (value: Json): value is { id: string; length: number } =>
  isObject(value) && typeof value.id === 'string' && typeof value.length === 'number';

const clip = (text: string) =>
  text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}… [${text.length} characters]` : text;

/** Walks a decoded value, calling `visit` on every object. */
function eachObject(value: Json, visit: (object: { [key: string]: Json }) => void): void {
  if (Array.isArray(value)) value.forEach((item) => eachObject(item, visit));
  else if (isObject(value)) {
    visit(value);
    Object.values(value).forEach((item) => eachObject(item, visit));
  }
}

export async function withStoredContent(
  store: ExecutionStore,
  payloads: Payload[],
): Promise<Payload[]> {
  const decoded = payloads.map((payload): Json | undefined => {
    if (encodingOf(payload) !== JSON_ENCODING || !payload.data) return undefined;
    try {
      return JSON.parse(Buffer.from(payload.data).toString()) as Json;
    } catch {
      return undefined;
    }
  });
  const keys: string[] = [];
  const cursors: { id: string; length: number }[] = [];
  for (const value of decoded) {
    if (value === undefined) continue;
    eachObject(value, (object) => {
      if (typeof object.stored === 'string') keys.push(object.stored);
      if (object.conversation !== undefined && isCursor(object.conversation)) {
        cursors.push(object.conversation);
      }
    });
  }
  if (keys.length === 0 && cursors.length === 0) return payloads;
  const found = await store.lookUp(keys, cursors);
  return payloads.map((payload, index) => {
    const value = decoded[index];
    if (value === undefined) return payload;
    eachObject(value, (object) => {
      const text = typeof object.stored === 'string' ? found.texts.get(object.stored) : undefined;
      if (text !== undefined) object.text = clip(text);
      const cursor = object.conversation;
      if (cursor !== undefined && isCursor(cursor)) {
        const messages = found.conversations.get(`${cursor.id}:${cursor.length}`) ?? [];
        (cursor as { [key: string]: Json }).messages = messages.map((message) => ({
          ...message,
          content: typeof message.content === 'string' ? clip(message.content) : message.content,
        })) as unknown as Json;
      }
    });
    return { ...payload, data: Buffer.from(JSON.stringify(value)) };
  });
}
