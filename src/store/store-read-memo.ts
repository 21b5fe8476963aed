/**
 * What a reader looked up in the state store, kept for as long as the store says nothing in it changed
 * (StateStore.version): the bearer check reads a token, its user and the user's roles on every MCP call, and those
 * reads cost more than the rest of the check (issue 12). A store without a cheap version is read every time.
 *
 * Values are shared between callers and must not be changed by them. Keyed by the caller's own strings; bounded:
 * past MAX_ENTRIES (a flood of unknown tokens), it starts again empty.
 */
const MAX_ENTRIES = 1_024;

export class StoreReadMemo {
  private readonly reads = new Map<string, Promise<unknown>>();
  private readVersion: string | null = null;

  constructor(private readonly version: (() => string) | undefined) {}

  /** `load()`'s answer, or the one given for `key` since the store last changed. A read that fails is not kept. */
  read<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.version) return load();
    const version = this.version();
    if (version !== this.readVersion) {
      this.reads.clear();
      this.readVersion = version;
    }
    let read = this.reads.get(key) as Promise<T> | undefined;
    if (!read) {
      if (this.reads.size >= MAX_ENTRIES) this.reads.clear();
      read = load();
      this.reads.set(key, read);
      read.catch(() => this.reads.get(key) === read && this.reads.delete(key));
    }
    return read;
  }
}
