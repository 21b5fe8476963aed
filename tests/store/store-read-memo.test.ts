/**
 * StoreReadMemo keeps a read only while the store's version stays the same, never a failed read, and stays bounded.
 * With SQLite's version (data_version and total_changes), a change by this connection or by another process is seen
 * at the next read.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStateStore } from '../../src/store/sqlite/sqlite-state-store.js';
import { StoreReadMemo } from '../../src/store/store-read-memo.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A memo over a counter that stands for the store's data, and the number of loads it made. */
function counting(version: (() => string) | undefined) {
  let loads = 0;
  const memo = new StoreReadMemo(version);
  return { read: (key: string) => memo.read(key, async () => `${key}#${++loads}`), loads: () => loads };
}

describe('StoreReadMemo', () => {
  it('answers a key from memory while the version stays, and loads again once it changes', async () => {
    let version = 'a';
    const memo = counting(() => version);
    expect([await memo.read('x'), await memo.read('x'), await memo.read('y')]).toEqual(['x#1', 'x#1', 'y#2']);
    version = 'b';
    expect([await memo.read('x'), await memo.read('x')]).toEqual(['x#3', 'x#3']);
  });

  it('loads every time for a store without a version', async () => {
    const memo = counting(undefined);
    expect([await memo.read('x'), await memo.read('x')]).toEqual(['x#1', 'x#2']);
  });

  it('does not keep a read that failed', async () => {
    const memo = new StoreReadMemo(() => 'same');
    let attempts = 0;
    const load = async () => {
      if (++attempts === 1) throw new Error('store unavailable');
      return 'value';
    };
    await expect(memo.read('x', load)).rejects.toThrow('store unavailable');
    expect(await memo.read('x', load)).toBe('value');
    expect(attempts).toBe(2);
  });

  it('starts again empty past 1,024 keys, so a flood of unknown tokens cannot grow it without end', async () => {
    const memo = counting(() => 'same');
    for (let i = 0; i < 1_024; i++) await memo.read(`k${i}`);
    expect(await memo.read('k0')).toBe('k0#1');
    await memo.read('k1024'); // the 1,025th key: everything before it is dropped
    expect(await memo.read('k0')).toBe('k0#1026');
  });
});

describe('the SQLite state store version', () => {
  function stateFile(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-memo-'));
    dirs.push(dir);
    return path.join(dir, 'state.sqlite');
  }

  it('changes with a write of this process, and with a commit of another process, and not otherwise', async () => {
    const file = stateFile();
    const store = openSqliteStateStore(file);
    try {
      const version = store.version!;
      const first = version();
      expect(version()).toBe(first);
      await store.users.get('nobody');
      expect(version()).toBe(first);
      await store.users.add({ name: 'ada', passwordHash: 'x', roles: [] });
      const afterOwn = version();
      expect(afterOwn).not.toBe(first);
      const other = new Database(file);
      other.prepare('UPDATE users SET password_hash = ? WHERE name = ?').run('y', 'ada');
      other.close();
      expect(version()).not.toBe(afterOwn);
    } finally {
      await store.close();
    }
  });
});
