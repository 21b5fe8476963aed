/**
 * Group commit: what arrives in one turn of the event loop is committed together, each caller answered with its
 * own outcome and only after the commit; a failed commit fails its whole group and nothing after it.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/util/group-commit.js';

describe('GroupCommit', () => {
  it('commits the items of one turn together, in order, and answers each with its own value', async () => {
    const commits: number[][] = [];
    const group = new GroupCommit<number, string>((items) => {
      commits.push([...items]);
      return items.map((n) => ({ value: `#${n}` }));
    });
    const answers = await Promise.all([1, 2, 3].map((n) => group.add(n)));
    expect(answers).toEqual(['#1', '#2', '#3']);
    expect(commits).toEqual([[1, 2, 3]]);
    // A later turn is a group of its own.
    expect(await group.add(4)).toBe('#4');
    expect(commits).toEqual([[1, 2, 3], [4]]);
  });

  it('answers nobody before the commit ran', async () => {
    let isCommitted = false;
    const group = new GroupCommit<number, boolean>((items) => {
      isCommitted = true;
      return items.map(() => ({ value: true }));
    });
    const answer = group.add(1);
    await Promise.resolve();
    expect(isCommitted).toBe(false);
    expect(await answer).toBe(true);
  });

  it("fails one item with its own error and the rest of its group not at all", async () => {
    const group = new GroupCommit<number, number>((items) => items.map((n) => (n === 2 ? { error: new Error('bad 2') } : { value: n })));
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => group.add(n)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('bad 2'));
  });

  it('fails a whole group when its commit throws, and commits the next group afresh', async () => {
    let isBroken = true;
    const group = new GroupCommit<number, number>((items) => {
      if (isBroken) throw new Error('disk full');
      return items.map((n) => ({ value: n }));
    });
    const failed = await Promise.allSettled([group.add(1), group.add(2)]);
    expect(failed.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    isBroken = false;
    expect(await group.add(3)).toBe(3);
  });

  it('commits what waits when flushed at once (before a close)', async () => {
    const commits: number[][] = [];
    const group = new GroupCommit<number, number>((items) => {
      commits.push([...items]);
      return items.map((n) => ({ value: n }));
    });
    const answer = group.add(7);
    group.flush();
    expect(commits).toEqual([[7]]);
    expect(await answer).toBe(7);
    await new Promise((resolve) => setImmediate(resolve));
    expect(commits).toEqual([[7]]); // the scheduled flush finds nothing left
  });

  it('answers a group only after its commit is persisted, and fails it when persisting fails', async () => {
    let finishPersist!: () => void;
    let persists = 0;
    let isFailing = false;
    const group = new GroupCommit<number, number>(
      (items) => items.map((n) => ({ value: n })),
      () => {
        persists++;
        if (isFailing) return Promise.reject(new Error('EIO'));
        return new Promise<void>((resolve) => (finishPersist = resolve));
      },
    );
    let answered = false;
    const answer = group.add(1).then((n) => ((answered = true), n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(persists).toBe(1);
    expect(answered).toBe(false);
    finishPersist();
    expect(await answer).toBe(1);
    isFailing = true;
    await expect(group.add(2)).rejects.toThrow('EIO');
  });

  it('drains before a close: what waits is committed, and every group still persisting has finished', async () => {
    const finishes: (() => void)[] = [];
    const group = new GroupCommit<number, number>(
      (items) => items.map((n) => ({ value: n })),
      () => new Promise<void>((resolve) => finishes.push(resolve)),
    );
    const first = group.add(1);
    await new Promise((resolve) => setImmediate(resolve)); // its group is committed, its persist still running
    const second = group.add(2); // still waiting to be committed
    let isDrained = false;
    const drained = group.drain().then(() => (isDrained = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(finishes).toHaveLength(2);
    finishes[1]!(); // the group drain() committed is persisted; the earlier one is not yet
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(isDrained).toBe(false);
    finishes[0]!();
    await drained;
    expect(await Promise.all([first, second])).toEqual([1, 2]);
  });
});
