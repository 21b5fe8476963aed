/**
 * A backup of sqlgate's own SQLite files (the state store and the audit trail) as one file: itself a SQLite
 * database holding a manifest and each part whole, with its SHA-256. Each part is taken with SQLite's online backup
 * API, so it is consistent while a server keeps writing (a plain copy can miss the WAL or catch a page mid-write).
 * One file, readable with any SQLite tool, and nothing beyond the driver sqlgate already has.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { InvalidInputError } from '../../errors.js';

const FORMAT = 'sqlgate-backup';
const FORMAT_VERSION = '1';

/** A file to back up, under the name it is restored by. */
export interface BackupSource {
  readonly name: string;
  readonly file: string;
}

/** One part of a bundle as read back: its bytes, checked against the SHA-256 recorded when it was taken. */
export interface BackupPart {
  readonly name: string;
  readonly content: Buffer;
}

export interface BackupManifest {
  readonly sqlgateVersion: string;
  readonly createdAt: string;
  readonly parts: readonly { readonly name: string; readonly bytes: number; readonly sha256: string }[];
}

/** Writes `bundleFile` (mode 0600; refused if it exists) from consistent online copies of `sources`. */
export async function writeBackupBundle(bundleFile: string, sources: readonly BackupSource[], sqlgateVersion: string): Promise<BackupManifest> {
  if (fs.existsSync(bundleFile)) {
    throw new InvalidInputError(`${bundleFile} already exists; a backup never overwrites a file.`, { hint: 'Name a new file, e.g. with the date in it.' });
  }
  if (!fs.existsSync(path.dirname(path.resolve(bundleFile)))) {
    throw new InvalidInputError(`The directory of ${bundleFile} does not exist.`, { hint: `Create it first (mkdir -p ${path.dirname(bundleFile)}), or name a file in an existing directory.` });
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-backup-'));
  const partial = `${bundleFile}.partial`;
  try {
    const parts: { name: string; content: Buffer; sha256: string }[] = [];
    for (const source of sources) {
      const copy = path.join(scratch, `${source.name}.sqlite`);
      const db = new Database(source.file, { readonly: true, fileMustExist: true });
      try {
        await db.backup(copy);
      } finally {
        db.close();
      }
      const content = fs.readFileSync(copy);
      parts.push({ name: source.name, content, sha256: sha256(content) });
    }
    const createdAt = new Date().toISOString();
    fs.rmSync(partial, { force: true });
    const bundle = new Database(partial);
    try {
      bundle.exec(`CREATE TABLE manifest (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE parts (name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, content BLOB NOT NULL);`);
      const manifest = bundle.prepare('INSERT INTO manifest (key, value) VALUES (?, ?)');
      const part = bundle.prepare('INSERT INTO parts (name, sha256, bytes, content) VALUES (?, ?, ?, ?)');
      bundle.transaction(() => {
        for (const [key, value] of [['format', FORMAT], ['format_version', FORMAT_VERSION], ['sqlgate_version', sqlgateVersion], ['created_at', createdAt]]) manifest.run(key, value);
        for (const p of parts) part.run(p.name, p.sha256, p.content.length, p.content);
      })();
    } finally {
      bundle.close();
    }
    fs.chmodSync(partial, 0o600);
    // Appears whole or not at all: a backup cut short by a full disk leaves only the .partial file.
    fs.renameSync(partial, bundleFile);
    return { sqlgateVersion, createdAt, parts: parts.map((p) => ({ name: p.name, bytes: p.content.length, sha256: p.sha256 })) };
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Reads a bundle back; throws InvalidInputError for a file that is not one, or a part whose bytes changed. */
export function readBackupBundle(bundleFile: string): { manifest: BackupManifest; parts: BackupPart[] } {
  if (!fs.existsSync(bundleFile)) throw new InvalidInputError(`${bundleFile} does not exist.`);
  let bundle: Database.Database;
  try {
    bundle = new Database(bundleFile, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new InvalidInputError(`${bundleFile} is not a sqlgate backup (it is not a SQLite file).`, { cause: err });
  }
  try {
    let values: Map<string, string>;
    let rows: { name: string; sha256: string; bytes: number; content: Buffer }[];
    try {
      values = new Map((bundle.prepare('SELECT key, value FROM manifest').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      rows = bundle.prepare('SELECT name, sha256, bytes, content FROM parts ORDER BY name').all() as typeof rows;
    } catch (err) {
      throw new InvalidInputError(`${bundleFile} is not a sqlgate backup (it has no manifest and parts).`, { cause: err });
    }
    if (values.get('format') !== FORMAT) throw new InvalidInputError(`${bundleFile} is not a sqlgate backup.`);
    if (values.get('format_version') !== FORMAT_VERSION) {
      throw new InvalidInputError(`${bundleFile} is a sqlgate backup of format ${values.get('format_version')}, which this sqlgate cannot read.`, {
        hint: `Restore it with the sqlgate version that made it (${values.get('sqlgate_version') ?? 'unknown'}) or a newer one.`,
      });
    }
    for (const row of rows) {
      if (row.content.length !== row.bytes || sha256(row.content) !== row.sha256) {
        throw new InvalidInputError(`The part "${row.name}" of ${bundleFile} does not match its recorded SHA-256: the backup is damaged.`, {
          hint: 'Restore an older backup.',
        });
      }
    }
    return {
      manifest: {
        sqlgateVersion: values.get('sqlgate_version') ?? 'unknown',
        createdAt: values.get('created_at') ?? 'unknown',
        parts: rows.map((r) => ({ name: r.name, bytes: r.bytes, sha256: r.sha256 })),
      },
      parts: rows.map((r) => ({ name: r.name, content: r.content })),
    };
  } finally {
    bundle.close();
  }
}

/** Puts a part in place as `file` (mode 0600), replacing what is there only with `force`; stale WAL files go. */
export function restorePart(part: BackupPart, file: string, force: boolean): void {
  if (fs.existsSync(file) && !force) {
    throw new InvalidInputError(`${file} already exists; restoring would replace it.`, {
      hint: 'Stop sqlgate, then run restore again with --force to replace it (or restore into a fresh directory).',
    });
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const incoming = `${file}.restoring`;
  fs.writeFileSync(incoming, part.content, { mode: 0o600 });
  // A WAL left by the replaced file would be replayed into the restored one.
  for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${file}${suffix}`, { force: true });
  fs.renameSync(incoming, file);
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}
