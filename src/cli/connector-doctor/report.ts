/**
 * The connector doctor's findings and its report. A check returns findings instead of printing or throwing, so one
 * run is one list that renders two ways: for people, a ✓ pass, ✗ fail or ! warning (or skipped) line per finding
 * with a `fix:` line under it when something should change; for scripts, `--json`. Only a failure counts against
 * the exit code: a warning or a skipped check is worth reading but does not stop Claude.ai from connecting.
 */

/** ✓, ✗ or !: only `fail` makes the exit code 1. */
export type FindingStatus = 'pass' | 'fail' | 'warn';

/** One result of one check: a line of the report, an entry of --json's `findings`. */
export interface Finding {
  /** Which check, e.g. "DNS" or "demo: 401 challenge". */
  readonly check: string;
  readonly status: FindingStatus;
  readonly message: string;
  /** What to change, when something should change. */
  readonly fix?: string;
}

/** Whether any check failed: then Claude.ai will not connect, and the exit code is 1. */
export function hasFailure(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.status === 'fail');
}

/** `text` ending in exactly one full stop (messages quoted from pages end in their own). */
export function sentence(text: string): string {
  return `${text.replace(/[.\s]+$/, '')}.`;
}

/** Findings are made only through these, so every failure carries its fix. */
export function pass(check: string, message: string): Finding {
  return { check, status: 'pass', message };
}

export function fail(check: string, message: string, fix: string): Finding {
  return { check, status: 'fail', message, fix };
}

export function warn(check: string, message: string, fix?: string): Finding {
  return fix === undefined ? { check, status: 'warn', message } : { check, status: 'warn', message, fix };
}

export function skipped(check: string, why: string): Finding {
  return warn(check, `skipped: ${why}`);
}

const SYMBOLS: Record<FindingStatus, string> = { pass: '✓', fail: '✗', warn: '!' };

/** The report for people: one line per finding, each fix under it, and a summary. */
export function formatFindings(publicUrl: string, findings: readonly Finding[]): string {
  const lines = findings.map((f) => `${SYMBOLS[f.status]} ${f.check}: ${f.message}${f.fix ? `\n    fix: ${f.fix}` : ''}`);
  const count = (status: FindingStatus) => findings.filter((f) => f.status === status).length;
  const failed = count('fail');
  const warned = count('warn');
  const summary = failed === 0
    ? `No problems found${warned ? ` (${warned} warning${warned === 1 ? '' : 's'} or skipped check${warned === 1 ? '' : 's'} marked !)` : ''}.`
    : `${failed} check${failed === 1 ? '' : 's'} failed: Claude.ai will not connect until ${failed === 1 ? 'it is' : 'they are'} fixed.`;
  return `sqlgate doctor: can Claude.ai connect to ${publicUrl}?\n\n${lines.join('\n')}\n\n${summary}\n`;
}

/** The `--json` report for scripts: `ok` (no check failed), the public URL and every finding. */
export function formatJsonReport(publicUrl: string, findings: readonly Finding[]): string {
  return `${JSON.stringify({ ok: !hasFailure(findings), publicUrl, findings }, null, 2)}\n`;
}
