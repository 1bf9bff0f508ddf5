/** Reads a Server-Sent Events stream over real HTTP until an `end` event (or a limit). */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export async function readSse(
  url: string,
  headers: Record<string, string>,
  options: { stopAfter?: number; timeoutMs?: number } = {},
): Promise<{ status: number; events: SseEvent[] }> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  if (!response.ok || !response.body) {
    clearTimeout(timer);
    return { status: response.status, events };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event: SseEvent = { event: 'message', data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) event.data += line.slice(6);
        }
        if (!block.split('\n').some((line) => line.startsWith('data: '))) continue;
        events.push(event);
        if (event.event === 'end' || events.length === options.stopAfter) {
          controller.abort();
          return { status: response.status, events };
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { status: response.status, events };
}
