/**
 * audit.stream: every committed record also goes out as one JSON line, to a file or standard output, for a SIEM.
 * The stored trail is the authority; the stream is a copy. So a record that cannot be streamed is logged loudly and
 * the call it records goes on: failing it would withhold an answer whose record is already safe.
 */
import fs from 'node:fs';
import type { AuditStreamTarget } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';

/** Where committed records are copied. `write` never throws: a failure is logged (and the next line tried again). */
export interface AuditStream {
  write(line: string, seq: number): void;
}

const OWNER_ONLY = 0o600;

/**
 * `stdout` is where a stdout stream writes; null gives no stream for it (see open-audit-trail.ts).
 *
 * A file stream opens, appends and closes the file for every line: a rotated file (logrotate, without
 * copytruncate) is picked up at once, one line is one O_APPEND write (several processes sharing the file do not
 * interleave inside a line), and a folder that appears later starts working without a restart. The file is
 * created owner-only; an existing file keeps the mode it was given (a SIEM agent's group may need to read it).
 */
export function openAuditStream(target: AuditStreamTarget, logger: Logger, stdout: NodeJS.WritableStream | null): AuditStream | undefined {
  if (target.kind === 'stdout') {
    // A process whose standard output is not the stream's (an admin command prints its own output there).
    if (stdout === null) return undefined;
    // EPIPE and the like arrive as 'error' events: unheard, they would take the whole server down.
    const failed = (err: unknown, seq?: number) => logger.error({ seq, err: (err as Error).message }, 'audit.stream: cannot write to standard output; records are still in the audit trail');
    stdout.on('error', failed);
    return {
      write(line, seq) {
        try {
          stdout.write(line);
        } catch (err) {
          failed(err, seq);
        }
      },
    };
  }
  const { file } = target;
  const append = (line: string) => fs.appendFileSync(file, line, { mode: OWNER_ONLY });
  try {
    // Say at start, not at the first call, that the stream cannot be written.
    append('');
    if ((fs.statSync(file).mode & 0o077) !== 0) logger.warn({ file }, 'audit.stream: the file is readable by others than its owner');
  } catch (err) {
    logger.error({ file, err: (err as Error).message }, 'audit.stream: cannot write the file; records are only in the audit trail until it can');
  }
  return {
    write(line, seq) {
      try {
        append(line);
      } catch (err) {
        logger.error({ file, seq, err: (err as Error).message }, 'audit.stream: could not write a record (it is in the audit trail)');
      }
    },
  };
}
