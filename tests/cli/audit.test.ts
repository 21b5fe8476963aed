/**
 * `sqlgate audit list|tail|verify|prune` on each store backend (audit.url a SQLite file, or a PostgreSQL database):
 * filters, the three formats (CSV safe to open in a spreadsheet), relative times, and verify's exit code when the
 * chain is broken.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ToolCallEvent } from '../../src/audit/audit-record.js';
import { AuditTrail } from '../../src/audit/audit-trail.js';
import { parseWhen } from '../../src/cli/audit.js';
import { EXIT_CONFIG } from '../../src/cli/exit.js';
import { runCli } from '../../src/cli/run-cli.js';
import { PG_ADMIN_URL } from '../support/test-databases.js';
import { AUDIT_BACKENDS } from '../store/audit-log-backends.js';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-audit-cli-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({ argv: ['node', 'sqlgate', ...args, '--dir', dir], env: {}, cwd: dir, stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
  return { code, stdout, stderr };
}

/** sqlgate.yaml with this audit section (YAML lines, indented by two) and one environment. */
function writeConfig(audit: string): void {
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), `audit:\n${audit}\nenvironments:\n  demo: { database: "sqlite:./x.db" }\n`);
}

describe.each(AUDIT_BACKENDS)('sqlgate audit on $name', ({ setUp }) => {
  const backend = setUp();

  beforeEach(async () => {
    writeConfig(`  url: ${JSON.stringify(backend.url)}`);
    const trail = new AuditTrail(await backend.open(), true);
    const base: ToolCallEvent = {
      kind: 'tool_call', time: '2026-12-07T10:00:00.000Z', request_id: 'r1', environment: 'demo', user: 'alice', via: 'oauth',
      client_id: 'claude', tool: 'execute_sql', sql: 'SELECT 1', sql_sha256: null, parameters: {}, verdict: 'allowed', code: null,
      reason: null, rows: 1, result_chars: 12, truncated: false, ms: 3,
    };
    await trail.record(base);
    await trail.record({ ...base, time: '2026-12-07T11:00:00.000Z', request_id: 'r2', user: 'bob', sql: 'DELETE FROM t', verdict: 'refused', code: 'SG_READ_ONLY', reason: 'read-only', rows: null });
    await trail.record({ ...base, time: '2026-12-07T12:00:00.000Z', request_id: 'r3', sql: '=HYPERLINK("http://x")', rows: 1 });
  });

  describe('sqlgate audit list', () => {
    it('prints a table, oldest first', async () => {
      const { code, stdout } = await cli(['audit', 'list']);
      expect(code).toBe(0);
      expect(stdout.split('\n')[0]).toMatch(/^SEQ +TIME \(UTC\) +ENV +USER +TOOL\/ACTION +OUTCOME +SQL$/);
      expect(stdout).toContain('2    2026-12-07 11:00:00  demo  bob    execute_sql  refused SG_READ_ONLY  DELETE FROM t');
      expect(stdout).toContain('allowed 1 row ');
    });

    it('filters by user and verdict, and prints JSON Lines', async () => {
      const { stdout } = await cli(['audit', 'list', '--user', 'alice', '--format', 'jsonl']);
      const records = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records.map((r) => [r.seq, r.user, r.request_id])).toEqual([[1, 'alice', 'r1'], [3, 'alice', 'r3']]);
      expect(records[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
      const refused = await cli(['audit', 'list', '--verdict', 'refused', '--format', 'jsonl']);
      expect(refused.stdout.trim().split('\n').map((l) => JSON.parse(l).request_id)).toEqual(['r2']);
    });

    it('prints CSV that a spreadsheet will not run as a formula', async () => {
      const { stdout } = await cli(['audit', 'list', '--format', 'csv']);
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe('seq,time,kind,environment,user,via,client_id,tool,action,actor,verdict,code,reason,rows,result_chars,truncated,ms,sql,sql_sha256,parameters,details,request_id,hash');
      expect(lines).toHaveLength(4);
      expect(lines[3]).toContain(`,"'=HYPERLINK(""http://x"")",`);
    });

    it('takes --since as an ISO time or a span back from now', async () => {
      const { stdout } = await cli(['audit', 'list', '--since', '2026-12-07T10:30:00Z', '--format', 'jsonl']);
      expect(stdout.trim().split('\n').map((l) => JSON.parse(l).request_id)).toEqual(['r2', 'r3']);
      expect(parseWhen('2h', new Date('2026-12-07T12:00:00Z'), '--since')).toBe('2026-12-07T10:00:00.000Z');
      const bad = await cli(['audit', 'list', '--since', 'yesterday']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('--since yesterday: expected an ISO time (2026-12-07T10:00:00Z) or a span back from now (30m, 2h, 7d).');
    });
  });

  describe('sqlgate audit tail', () => {
    it('prints the new records that match as they are written, and stops after --count', async () => {
      const tail = cli(['audit', 'tail', '--user', 'alice', '--count', '2', '--interval-ms', '20']);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const trail = new AuditTrail(await backend.open(), true);
      const base: ToolCallEvent = {
        kind: 'tool_call', time: new Date().toISOString(), request_id: 'live1', environment: 'demo', user: 'alice', via: 'oauth',
        client_id: 'claude', tool: 'execute_sql', sql: 'SELECT 2', sql_sha256: null, parameters: {}, verdict: 'allowed', code: null,
        reason: null, rows: 1, result_chars: 12, truncated: false, ms: 3,
      };
      await trail.record(base);
      await trail.record({ ...base, request_id: 'live2', user: 'bob' });
      await trail.record({ ...base, request_id: 'live3' });
      await trail.close();
      const { code, stdout } = await tail;
      expect(code).toBe(0);
      // The three records written before it started are not printed; bob's is filtered out.
      expect(stdout.trim().split('\n').map((l) => [JSON.parse(l).seq, JSON.parse(l).request_id])).toEqual([[4, 'live1'], [6, 'live3']]);
    });
  });

  describe('sqlgate audit verify', () => {
    it('says the chain holds and gives the newest hash', async () => {
      const { code, stdout } = await cli(['audit', 'verify']);
      expect(code).toBe(0);
      expect(stdout).toContain('holds: 3 records, each unchanged and in place.');
      expect(stdout).toMatch(/Newest: record 3, hash [0-9a-f]{64}/);
    });

    it('exits 1 and names the first broken record', async () => {
      await backend.tamper('DELETE FROM audit_records WHERE seq = 2');
      const { code, stdout } = await cli(['audit', 'verify']);
      expect(code).toBe(1);
      expect(stdout).toContain('is broken at record 3: record 2 is missing (deleted).\n1 record before it holds.');
    });
  });

  describe('sqlgate audit prune', () => {
    /** A trail of its own, with audit.retention: two records from 2020, then two from now. */
    beforeEach(async () => {
      await backend.empty();
      writeConfig(`  url: ${JSON.stringify(backend.url)}\n  retention: 30d`);
      const trail = new AuditTrail(await backend.open(), true);
      const base: ToolCallEvent = {
        kind: 'tool_call', time: '2020-01-01T00:00:00.000Z', request_id: 'old1', environment: 'demo', user: 'alice', via: 'oauth',
        client_id: 'claude', tool: 'execute_sql', sql: 'SELECT 1', sql_sha256: null, parameters: {}, verdict: 'allowed', code: null,
        reason: null, rows: 1, result_chars: 12, truncated: false, ms: 3,
      };
      await trail.record(base);
      await trail.record({ ...base, time: '2020-01-02T00:00:00.000Z', request_id: 'old2' });
      await trail.record({ ...base, time: new Date().toISOString(), request_id: 'new1' });
      await trail.record({ ...base, time: new Date().toISOString(), request_id: 'new2' });
      await trail.close();
    });

    it('deletes the records older than audit.retention, says how many, and exits 0', async () => {
      const { code, stdout } = await cli(['audit', 'prune']);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Pruned 2 records older than 30 days \(audit\.retention\) from .+: every record up to 2 is gone\.\nVerification now starts after record 2 \(hash [0-9a-f]{64}\)\.\n$/);
      expect(stdout).toContain(` from ${backend.location}: every record`);
      const list = await cli(['audit', 'list', '--format', 'jsonl']);
      const left = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
      expect(left.map((r) => r.request_id ?? r.action)).toEqual(['new1', 'new2', 'audit prune']);
      // Pruning is itself on the record: who pruned, how many, through which record.
      expect(left[2]).toMatchObject({ kind: 'admin', action: 'audit prune', actor: os.userInfo().username, details: { pruned: 2, through_seq: 2, through_time: '2020-01-02T00:00:00.000Z' } });
      const again = await cli(['audit', 'prune']);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('No records older than 30 days (audit.retention) in ');
      expect(again.stdout).toContain(': nothing was pruned.');
    });

    it('leaves a trail that verify says holds, and says up to which record retention pruned', async () => {
      await cli(['audit', 'prune']);
      const { code, stdout } = await cli(['audit', 'verify']);
      expect(code).toBe(0);
      expect(stdout).toContain('holds: 3 records, each unchanged and in place.\n');
      expect(stdout).toMatch(/Records up to 2 were pruned by retention \(the last of them from 2020-01-02T00:00:00\.000Z\); the chain is checked from the anchor they left \(hash [0-9a-f]{64}\)\.\n/);
      expect(stdout).toMatch(/Newest: record 5, hash [0-9a-f]{64}/);
    });

    it('verify still exits 1 when the record after the anchor is deleted, and mentions the pruning', async () => {
      await cli(['audit', 'prune']);
      await backend.tamper('DELETE FROM audit_records WHERE seq = 3');
      const { code, stdout } = await cli(['audit', 'verify']);
      expect(code).toBe(1);
      expect(stdout).toContain('is broken at record 4: record 3 is missing (deleted).\n0 records before it hold.\nRecords up to 2 were pruned by retention');
    });
  });
});

describe('sqlgate audit on a PostgreSQL trail it cannot open', () => {
  it('says so in a sentence, naming audit.url with the password masked, and prints no stack', async () => {
    writeConfig('  url: "postgres://sqlgate:s3cret@127.0.0.1:1/audit"');
    const unreachable = await cli(['audit', 'verify']);
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.stdout).toBe('');
    expect(unreachable.stderr).toContain('Cannot connect to the audit trail postgres://sqlgate:****@127.0.0.1:1/audit (ECONNREFUSED).');
    expect(unreachable.stderr).toContain('Check that PostgreSQL runs at 127.0.0.1:1 and accepts connections from here, or correct audit.url.');
    expect(unreachable.stderr).not.toContain('s3cret');
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops serve at start with the reason and what to check, when the server refuses the login', async () => {
    const url = new URL(PG_ADMIN_URL);
    url.username = 'sqlgate_no_such_role';
    url.password = 's3cret';
    writeConfig(`  url: "${url}"\nlog: { level: silent }`);
    const { code, stdout, stderr } = await cli(['serve', '--port', '0']);
    expect(code).toBe(EXIT_CONFIG);
    expect(stdout).toBe('');
    url.password = '****';
    expect(stderr).toBe(`sqlgate: PostgreSQL refused the login of the audit trail ${url} (28000).\n`
      + 'Check the user name and password in audit.url, and the server\'s pg_hba.conf entry for this host.\n');
  });

  it('refuses a URL of another kind before connecting', async () => {
    writeConfig('  url: "mysql://sqlgate:s3cret@db/audit"');
    const { code, stderr } = await cli(['audit', 'list']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('- audit.url: must be a sqlite: or postgres:// URL such as "sqlite:./data/sqlgate-audit.sqlite" or "postgres://sqlgate:PASSWORD@db.internal:5432/sqlgate_audit" (got "mysql://sqlgate:****@db/audit")');
    expect(stderr).not.toContain('s3cret');
  });
});

describe('audit.stream: stdout', () => {
  it('is refused for stdio, whose standard output is the MCP protocol', async () => {
    fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), 'audit:\n  stream: stdout\nenvironments:\n  demo: { database: "sqlite:./x.db" }\n');
    const { code, stdout, stderr } = await cli(['stdio', '--env', 'demo']);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('audit.stream: stdout cannot be used with stdio: standard output carries the MCP protocol');
    expect(stderr).toContain('Point audit.stream at a file');
  });
});
