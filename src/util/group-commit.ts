/**
 * Group commit: items that arrive within one turn of the event loop are handed to `commit` together, so that one
 * transaction serves them all, and each caller's promise settles with its own outcome only after that commit — and
 * after `persist`, when given: the asynchronous step that makes the commit durable (an fsync on libuv's thread
 * pool), during which the event loop goes on and the next group gathers. A caller is never answered before its
 * item is committed and persisted, so nothing it was told is lost.
 */

/** One item's outcome inside a commit that succeeded: its value, or the error of that item alone. */
export type ItemOutcome<O> = { readonly value: O } | { readonly error: unknown };

export class GroupCommit<I, O> {
  private pending: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  private isScheduled = false;
  /** Groups committed and still being persisted: a close waits for them (their descriptor must stay open). */
  private readonly persisting = new Set<Promise<void>>();

  /** `commit` runs synchronously; a throw, or a `persist` that rejects, fails every item of the group with that error. */
  constructor(
    private readonly commit: (items: readonly I[]) => readonly ItemOutcome<O>[],
    private readonly persist: () => Promise<void> = async () => undefined,
  ) {}

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.isScheduled) {
        this.isScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Commits what is waiting and waits until every group committed so far is persisted (before a close). */
  async drain(): Promise<void> {
    await this.flush();
    await Promise.allSettled([...this.persisting]);
  }

  /** Commits what is waiting now; resolves once that group is persisted. */
  async flush(): Promise<void> {
    this.isScheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    let outcomes: readonly ItemOutcome<O>[];
    try {
      outcomes = this.commit(group.map((entry) => entry.item));
      const persisted = this.persist();
      this.persisting.add(persisted);
      await persisted.finally(() => this.persisting.delete(persisted));
    } catch (err) {
      for (const entry of group) entry.reject(err);
      return;
    }
    group.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) entry.reject(outcome.error);
      else entry.resolve(outcome.value);
    });
  }
}
