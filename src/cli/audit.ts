/**
 * `sqlgate audit list|verify|prune`: the audit trail for a reviewer. `list` filters and prints records as a table,
 * JSON Lines or CSV; `verify` walks the hash chain and exits 1 at the first record that was changed, removed or
 * moved; `prune` deletes the records older than audit.retention now, as a server does at start and hourly.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { auditJsonLine, auditJsonObject } from '../audit/audit-json-line.js';
import { pruneExpiredRecords } from '../audit/audit-retention.js';
import { verifyAudit, type AuditVerification } from '../audit/verify-audit.js';
import { parseDurationSeconds } from '../config/duration-schema.js';
import type { AuditConfig, Config } from '../config/schema.js';
import type { AuditFilter, AuditLogStore, AuditRow } from '../store/audit-log-store.js';
import { openAuditLog } from '../store/open-state-store.js';
import { EXIT_FAILURE } from './exit.js';
import { operatingSystemUser, withConfigOptions } from './with-store.js';

/** What `sqlgate audit` needs from the command line. */
export interface AuditCommandDeps {
  readonly stdout: (text: string) => void;
  readonly loadConfig: (options: { config?: string; dir?: string }) => Config;
  readonly guard: (action: (...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
  /** The clock `--since 2h` counts back from. */
  readonly now?: () => Date;
}

interface ListOptions {
  config?: string;
  dir?: string;
  env?: string;
  user?: string;
  tool?: string;
  verdict?: string;
  kind?: string;
  client?: string;
  since?: string;
  until?: string;
  limit: number;
  format: 'table' | 'jsonl' | 'csv';
}

const CSV_COLUMNS = [
  'seq', 'time', 'kind', 'environment', 'user', 'via', 'client_id', 'tool', 'action', 'actor', 'verdict', 'code', 'reason', 'rows',
  'result_chars', 'truncated', 'ms', 'sql', 'sql_sha256', 'parameters', 'details', 'request_id', 'hash',
];

export function addAuditCommand(program: Command, deps: AuditCommandDeps): void {
  const now = deps.now ?? (() => new Date());
  const audit = program.command('audit').description('Read and check the audit trail: tool calls, sign-ins and tokens, admin commands.');

  withFilterOptions(withConfigOptions(audit.command('list')))
    .description('Print audit records, oldest first: the newest --limit that match the filters.')
    .option('--since <when>', 'from this time: an ISO time, or back from now: 30m, 2h, 7d')
    .option('--until <when>', 'before this time: an ISO time, or back from now')
    .option('-n, --limit <count>', 'at most this many records (the newest)', parseLimit, 100)
    .option('-f, --format <format>', 'table, jsonl or csv', parseFormat, 'table')
    .action(deps.guard(async (options: ListOptions) => {
      const filter: AuditFilter = {
        environment: options.env, user: options.user, tool: options.tool, verdict: options.verdict, kind: options.kind, client: options.client,
        since: options.since === undefined ? undefined : parseWhen(options.since, now(), '--since'),
        until: options.until === undefined ? undefined : parseWhen(options.until, now(), '--until'),
      };
      return withAuditLog(deps.loadConfig(options).audit, async (store) => {
        deps.stdout(format(await store.list(filter, options.limit), options.format));
        return 0;
      });
    }));

  withFilterOptions(withConfigOptions(audit.command('tail')))
    .description('Follow the audit trail: print each new record that matches, as it is written, until interrupted (or --count).')
    .option('-f, --format <format>', 'jsonl or table', parseTailFormat, 'jsonl')
    .option('--count <count>', 'stop after this many records', parseLimit)
    .option('--interval-ms <ms>', 'how often to look for new records', parseLimit, 1_000)
    .action(deps.guard(async (options: ListOptions & { count?: number; intervalMs: number }) => {
      const filter: AuditFilter = { environment: options.env, user: options.user, tool: options.tool, verdict: options.verdict, kind: options.kind, client: options.client };
      return withAuditLog(deps.loadConfig(options).audit, async (store) => {
        // From the newest record there is now: tail shows what happens next, as `tail -f` does.
        let afterSeq = (await store.list({}, 1))[0]?.seq ?? (await store.anchor())?.seq ?? 0;
        let printed = 0;
        for (;;) {
          for (const row of await store.page(afterSeq, 1_000)) {
            afterSeq = row.seq;
            if (!matches(row, filter)) continue;
            deps.stdout(options.format === 'jsonl' ? auditJsonLine(row) : format([row], 'table').split('\n')[1]! + '\n');
            if (options.count !== undefined && ++printed >= options.count) return 0;
          }
          await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
        }
      });
    }));

  withConfigOptions(audit.command('verify'))
    .description('Check the hash chain from the first record (or where retention pruned up to) to the newest; exit 1 at the first record that was changed, deleted or reordered.')
    .action(deps.guard(async (options: { config?: string; dir?: string }) => {
      const config = deps.loadConfig(options).audit;
      return withAuditLog(config, async (store) => {
        const result = await verifyAudit(store, { retentionSeconds: config.retentionSeconds, now: now() });
        if (result.problem) {
          deps.stdout(`The audit trail ${store.location} is broken at record ${result.problem.seq}: ${result.problem.reason}.\n`
            + `${result.records} record${result.records === 1 ? ' before it holds' : 's before it hold'}.\n${prunedLine(result)}`);
          return EXIT_FAILURE;
        }
        if (result.newest) {
          deps.stdout(`The audit trail ${store.location} holds: ${result.records} records, each unchanged and in place.\n${prunedLine(result)}`
            + `Newest: record ${result.newest.seq}, hash ${result.newest.hash} (keep it elsewhere: a chain cannot show records cut off its end).\n`);
        } else {
          deps.stdout(result.pruned
            ? `The audit trail ${store.location} holds no records: retention pruned every one, up to record ${result.pruned.seq} (from ${result.pruned.time}).\n`
              + `The next record will follow its hash ${result.pruned.hash}.\n`
            : `The audit trail ${store.location} is empty.\n`);
        }
        return 0;
      });
    }));

  withConfigOptions(audit.command('prune'))
    .description('Delete the records older than audit.retention now (a server also does this at start and hourly); the rest still verifies.')
    .action(deps.guard(async (options: { config?: string; dir?: string }) => {
      const config = deps.loadConfig(options).audit;
      return withAuditLog(config, async (store) => {
        const { pruned, anchor } = await pruneExpiredRecords(store, config.retentionSeconds, now(), undefined, operatingSystemUser());
        const older = `older than ${describeSeconds(config.retentionSeconds)} (audit.retention)`;
        deps.stdout(pruned > 0 && anchor
          ? `Pruned ${pruned} record${pruned === 1 ? '' : 's'} ${older} from ${store.location}: every record up to ${anchor.seq} is gone.\n`
            + `Verification now starts after record ${anchor.seq} (hash ${anchor.hash}).\n`
          : `No records ${older} in ${store.location}: nothing was pruned.\n`);
        return 0;
      });
    }));
}

/** The filters `list` and `tail` share. */
function withFilterOptions(command: Command): Command {
  return command
    .option('-e, --env <name>', 'only this environment')
    .option('-u, --user <name>', 'only this user')
    .option('-t, --tool <name>', 'only this tool')
    .option('--verdict <verdict>', 'allowed, refused, failed or started', parseVerdict)
    .option('--kind <kind>', 'only this kind of event: tool_call, auth or admin')
    .option('--client <id>', 'only this OAuth client');
}

/** Whether a record passes the filters `tail` takes (the same as `list`'s, without times). */
function matches(row: AuditRow, filter: AuditFilter): boolean {
  const client = filter.client === undefined ? undefined : (JSON.parse(row.payload) as { client_id?: unknown }).client_id;
  return (filter.environment === undefined || row.environment === filter.environment)
    && (filter.user === undefined || row.user === filter.user)
    && (filter.tool === undefined || row.tool === filter.tool)
    && (filter.verdict === undefined || row.verdict === filter.verdict)
    && (filter.kind === undefined || row.kind === filter.kind)
    && (filter.client === undefined || client === filter.client);
}

function parseTailFormat(value: string): 'jsonl' | 'table' {
  if (value !== 'jsonl' && value !== 'table') throw new InvalidArgumentError('use jsonl or table.');
  return value;
}

/** Opens the audit trail (a file or a PostgreSQL database) for one command and closes it whatever happens. */
async function withAuditLog(config: AuditConfig, action: (store: AuditLogStore) => Promise<number>): Promise<number> {
  const store = await openAuditLog(config.store);
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

/** What `verify` says about records retention pruned: where the chain it checked starts. */
function prunedLine({ pruned }: AuditVerification): string {
  return pruned
    ? `Records up to ${pruned.seq} were pruned by retention (the last of them from ${pruned.time}); the chain is checked from the anchor they left (hash ${pruned.hash}).\n`
    : '';
}

/** 31536000 → "365 days"; 5400 → "90 minutes". */
function describeSeconds(seconds: number): string {
  const [count, unit] = seconds % 86_400 === 0 ? [seconds / 86_400, 'day'] : seconds % 3_600 === 0 ? [seconds / 3_600, 'hour']
    : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** `2h` → two hours before now; an ISO time as itself; both as ISO UTC for comparison with the stored times. */
export function parseWhen(text: string, now: Date, option: string): string {
  const seconds = parseDurationSeconds(text);
  if (seconds !== undefined) return new Date(now.getTime() - seconds * 1_000).toISOString();
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`${option} ${text}: expected an ISO time (2026-12-07T10:00:00Z) or a span back from now (30m, 2h, 7d).`);
  return new Date(ms).toISOString();
}

function parseVerdict(value: string): string {
  if (!['allowed', 'refused', 'failed', 'started'].includes(value)) throw new InvalidArgumentError('use allowed, refused, failed or started.');
  return value;
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1_000_000) throw new InvalidArgumentError('expected a whole number from 1 to 1000000.');
  return Number(value);
}

function parseFormat(value: string): ListOptions['format'] {
  if (value !== 'table' && value !== 'jsonl' && value !== 'csv') throw new InvalidArgumentError('use table, jsonl or csv.');
  return value;
}

function format(rows: readonly AuditRow[], as: ListOptions['format']): string {
  if (as === 'jsonl') return rows.map(auditJsonLine).join('');
  const records = rows.map(auditJsonObject);
  if (as === 'csv') return [CSV_COLUMNS.join(','), ...records.map((r) => CSV_COLUMNS.map((c) => csvCell(r[c])).join(','))].map((l) => `${l}\n`).join('');
  if (records.length === 0) return 'No audit records match.\n';
  // Every cell is one line of visible text: a record's fields are other people's text (a user name typed into the
  // sign-in form, SQL), and a newline or an escape sequence in one must not forge or erase lines of this table.
  const lines = records.map((r) => [
    String(r.seq), String(r.time).replace('T', ' ').slice(0, 19), String(r.environment ?? ''), String(r.user ?? ''), String(r.tool ?? r.action ?? ''),
    r.verdict === 'allowed' ? `allowed${typeof r.rows === 'number' ? ` ${r.rows} row${r.rows === 1 ? '' : 's'}` : ''}` : `${String(r.verdict)} ${String(r.code ?? r.reason ?? '')}`,
    String(r.sql ?? ''),
  ].map((cell, i, all) => oneLine(cell, i === all.length - 1 ? 80 : 64)));
  const header = ['SEQ', 'TIME (UTC)', 'ENV', 'USER', 'TOOL/ACTION', 'OUTCOME', 'SQL'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const pad = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[pad(header), ...lines.map(pad)].join('\n')}\n`;
}

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula (=, +, -, @) is prefixed with '. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Control characters and line breaks as spaces (a record must not forge lines in a terminal), cut to `max`. */
function oneLine(text: string, max: number): string {
  // Controls (newlines, ESC) and invisible format characters (bidi overrides, zero-width) become spaces.
  const flat = text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]+/gu, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
