/**
 * `notifications/cancelled` for stateless Streamable HTTP (the 2025 protocol versions). Each POST is served by a
 * fresh MCP server, so the notification that cancels a `tools/call` arrives at an instance that never saw the
 * call. This registry remembers the calls in flight, keyed by who sent them and their JSON-RPC id, and aborts the
 * matching one; the abort reaches the tool as its signal, which cancels the statement in the database.
 * (2026-07-28 clients cancel by closing the request's stream, which needs nothing here.)
 *
 * Who sent it: until requests carry an authenticated identity, the client's address and User-Agent. Ids are
 * only unique per client, so a key never crosses to another address.
 */
export class StatelessCancellation {
  private readonly inFlight = new Map<string, AbortController>();

  /** Registers a call; `release` must be called when its response is complete. */
  track(clientKey: string, requestId: string | number): { signal: AbortSignal; release: () => void } {
    const key = this.key(clientKey, requestId);
    const controller = new AbortController();
    this.inFlight.set(key, controller);
    return {
      signal: controller.signal,
      release: () => {
        if (this.inFlight.get(key) === controller) this.inFlight.delete(key);
      },
    };
  }

  /** Aborts the call, if it is still running. Returns whether one was found. */
  cancel(clientKey: string, requestId: string | number): boolean {
    const controller = this.inFlight.get(this.key(clientKey, requestId));
    controller?.abort(new Error('cancelled by the client (notifications/cancelled)'));
    return controller !== undefined;
  }

  get size(): number {
    return this.inFlight.size;
  }

  private key(clientKey: string, requestId: string | number): string {
    return `${clientKey}\u0000${typeof requestId}:${requestId}`;
  }
}
