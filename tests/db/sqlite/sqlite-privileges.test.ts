/**
 * SQLite privilege check on real files: the file's and its directory's write permission for the OS user.
 *
 * For sqlgate's own process the kernel answers, and root may write anything; the tests therefore also check another
 * user by mode bits (as root they hand the files to `nobody`, otherwise they use the test's own user).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqlgateError } from '../../../src/errors.js';
import { sqlitePrivileges, type FileUser } from '../../../src/db/sqlite/sqlite-privileges.js';
import { createTestDatabase, openEnvironment, type TestDatabase } from '../../support/test-databases.js';

const isRoot = process.getuid?.() === 0;
/** Someone other than root: `nobody` when the tests run as root (files are chowned to it), else the test's user. */
const user: FileUser = isRoot
  ? { name: 'nobody', uid: 65_534, gids: [65_534] }
  : { name: os.userInfo().username, uid: process.getuid!(), gids: [process.getgid!(), ...process.getgroups!()] };

const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) {
    fs.chmodSync(path.dirname(fileOf(database)), 0o700);
    await database.drop();
  }
});

const fileOf = (database: TestDatabase) => database.url.slice('sqlite:'.length);

/** A database file with these modes on the file and its directory, owned by `user`. */
async function databaseWith(fileMode: number, directoryMode: number): Promise<string> {
  const database = await createTestDatabase('sqlite', ['CREATE TABLE t (id INTEGER PRIMARY KEY)']);
  databases.push(database);
  const file = fileOf(database);
  if (isRoot) {
    fs.chownSync(file, user.uid, user.gids[0]!);
    fs.chownSync(path.dirname(file), user.uid, user.gids[0]!);
  }
  fs.chmodSync(file, fileMode);
  fs.chmodSync(path.dirname(file), directoryMode);
  return file;
}

describe('SQLite privileges', () => {
  it('a writable file is a warning that the login can write', async () => {
    const file = await databaseWith(0o644, 0o555);
    const report = sqlitePrivileges(file, user);
    expect(report).toEqual({
      login: user.name,
      canWrite: true,
      canReachServerFiles: false,
      findings: [{ severity: 'warning', message: expect.stringContaining(`The database file ${file} is writable by ${user.name}; sqlgate opens it read-only`) }],
      // A writable environment has to write its file.
      findingsWhenWritable: [{ severity: 'info', message: `The database file ${file} is writable by ${user.name}; expected: the environment is writable.` }],
    });
    expect(report.findings[0]!.message).toContain('docs/dialects/sqlite.md#least-privilege');
  });

  it('a read-only file (chmod 0444) in a read-only directory is clean', async () => {
    const file = await databaseWith(0o444, 0o555);
    expect(sqlitePrivileges(file, user)).toEqual({
      login: user.name,
      canWrite: false,
      canReachServerFiles: false,
      findings: [{ severity: 'ok', message: `${user.name} cannot write the database file ${file} or its directory.` }],
      findingsWhenWritable: [{ severity: 'ok', message: `${user.name} cannot write the database file ${file} or its directory.` }],
    });
  });

  it('a writable directory is a warning too: the file in it can be replaced', async () => {
    const file = await databaseWith(0o444, 0o755);
    const report = sqlitePrivileges(file, user);
    expect(report.canWrite).toBe(true);
    expect(report.findings).toEqual([{ severity: 'warning', message: expect.stringContaining(`The directory ${path.dirname(file)} is writable`) }]);
  });

  it('through the dialect, sqlgate\'s own process is checked by the kernel: root may write whatever the mode', async () => {
    const file = await databaseWith(0o444, 0o555);
    const environment = await openEnvironment('own', `sqlite:${file}`);
    try {
      const report = await environment.dialect.privileges();
      expect(report.login).toBe(os.userInfo().username);
      expect(report.canWrite).toBe(isRoot);
      if (isRoot) expect(report.findings[0]!.message).toContain('sqlgate runs as root');
    } finally {
      await environment.dialect.close();
    }
  });

  it('a missing file is an unavailable database', () => {
    const missing = path.join(os.tmpdir(), 'sqlgate-no-such-dir', 'gone.sqlite');
    const error = (() => {
      try {
        sqlitePrivileges(missing, user);
        return null;
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(SqlgateError);
    expect((error as SqlgateError).code).toBe('SG_DB_UNAVAILABLE');
    expect((error as SqlgateError).message).not.toContain(missing);
  });
});
