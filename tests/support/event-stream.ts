/**
 * A Server-Sent Events reader over fetch, for tests that care when each event arrives and when the stream ends
 * (the SDK's clients hide both). Comments (`: keep-alive`) are skipped.
 */
export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

export interface EventStream {
  /** The next event, or a rejection when none arrives within `timeoutMs` or the stream ends first. */
  nextEvent(timeoutMs: number): Promise<ServerSentEvent>;
  isEnded(): boolean;
  /** Milliseconds from the response's headers to the end of the stream; NaN while it is open. */
  endedAfterMs(): number;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  if (response.status !== 200 || !response.body) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  const openedAt = performance.now();
  let endedAt = Number.NaN;
  const events: ServerSentEvent[] = [];
  let waiter: (() => void) | undefined;
  let buffer = '';

  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = parseBlock(block);
          if (event) events.push(event);
        }
        waiter?.();
      }
    } catch {
      // Aborted by close(), or the connection was cut: either way the stream has ended.
    }
    endedAt = performance.now();
    waiter?.();
  })();

  return {
    async nextEvent(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (events.length === 0) {
        if (!Number.isNaN(endedAt)) throw new Error(`${url}: the stream ended before the next event`);
        const left = deadline - performance.now();
        if (left <= 0) throw new Error(`${url}: no event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiter = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return events.shift()!;
    },
    isEnded: () => !Number.isNaN(endedAt),
    endedAfterMs: () => endedAt - openedAt,
    close: () => controller.abort(),
  };
}

function parseBlock(block: string): ServerSentEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length > 0 ? { event, data: data.join('\n') } : undefined;
}
