/**
 * Group commit: items that arrive within one turn of the event loop are handed to `commit` together, so that one
 * transaction (and one fsync) serves them all, and each caller's promise settles with its own outcome only after
 * that commit. Under load the groups grow by themselves: whatever arrives while a commit blocks the loop waits for
 * the next one. A caller is never answered before its item is committed, so nothing it was told is lost.
 */

/** One item's outcome inside a commit that succeeded: its value, or the error of that item alone. */
export type ItemOutcome<O> = { readonly value: O } | { readonly error: unknown };

export class GroupCommit<I, O> {
  private pending: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  private isScheduled = false;

  /** `commit` runs synchronously; a throw fails every item of the group with that error. */
  constructor(private readonly commit: (items: readonly I[]) => readonly ItemOutcome<O>[]) {}

  add(item: I): Promise<O> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.isScheduled) {
        this.isScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is waiting now (also called before the store closes). */
  flush(): void {
    this.isScheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    let outcomes: readonly ItemOutcome<O>[];
    try {
      outcomes = this.commit(group.map((entry) => entry.item));
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
