/**
 * What one audit record says, and how records are chained: each record's hash covers its canonical JSON and the
 * previous record's hash, so changing, removing or reordering any record breaks every hash after it.
 */
import { createHash } from 'node:crypto';

/** A tool call: who ran what, where, whether it ran, and what came back. */
export interface ToolCallEvent {
  readonly kind: 'tool_call';
  /** ISO 8601, UTC, when the call finished. */
  readonly time: string;
  readonly request_id: string;
  readonly environment: string;
  /** "anonymous" where nobody signs in (stdio, auth.mode none). */
  readonly user: string;
  /** How the user signed in (oauth, personal token, external JWT …); null without sign-in. */
  readonly via: string | null;
  readonly client_id: string | null;
  readonly tool: string;
  /** The statement that was checked (and run, when allowed); null for tools that run none of the caller's SQL. */
  readonly sql: string | null;
  readonly sql_sha256: string | null;
  /** The call's other arguments; null when audit.record_parameters is off. */
  readonly parameters: Readonly<Record<string, unknown>> | null;
  /**
   * allowed: it ran and answered; refused: a rule stopped it before it ran; failed: it ran, or tried, and failed;
   * started: a statement that changes data is about to run (recorded before it runs, so that a change committed by
   * a process killed right after has its record; the call's outcome follows under the same request id).
   */
  readonly verdict: 'allowed' | 'refused' | 'failed' | 'started';
  readonly code: string | null;
  readonly reason: string | null;
  readonly rows: number | null;
  readonly result_chars: number | null;
  readonly truncated: boolean | null;
  readonly ms: number;
}

/**
 * What a reviewer needs besides tool calls: the authorization server's events (sign-ins, lockouts, consents,
 * tokens issued, refused or revoked, client registrations) and the admin commands run against the state store. Never
 * a secret: no password, token, code or client secret goes into `details`.
 */
export interface SecurityEvent {
  readonly kind: 'auth' | 'admin';
  readonly time: string;
  /** What happened: sign_in, sign_in_failed, locked_out, consent_given, … or the admin command (users add …). */
  readonly action: string;
  /** allowed: it happened; refused: it was attempted and refused. */
  readonly verdict: 'allowed' | 'refused';
  /** The user it concerns (who signed in, whose tokens were revoked …), when there is one. */
  readonly user: string | null;
  readonly client_id: string | null;
  readonly environment: string | null;
  /** The client address (auth), or the operating-system account that ran the command (admin). */
  readonly actor: string | null;
  readonly reason: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export type AuditEvent = ToolCallEvent | SecurityEvent;

/** The SecurityEvent fields a caller gives; the time is the recorder's. */
export type SecurityEventInput = Omit<SecurityEvent, 'time' | 'user' | 'client_id' | 'environment' | 'actor' | 'reason' | 'details'>
  & Partial<Pick<SecurityEvent, 'user' | 'client_id' | 'environment' | 'actor' | 'reason' | 'details'>>;

export function securityEvent(input: SecurityEventInput, now = new Date()): SecurityEvent {
  return {
    kind: input.kind, time: now.toISOString(), action: input.action, verdict: input.verdict, user: input.user ?? null,
    client_id: input.client_id ?? null, environment: input.environment ?? null, actor: input.actor ?? null,
    reason: input.reason ?? null, details: input.details ?? {},
  };
}

/** The previous hash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with every object's keys sorted, so the same record always hashes the same, whoever wrote it. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v);
}

export function chainHash(previousHash: string, payload: string): string {
  return createHash('sha256').update(`${previousHash}\n${payload}`).digest('hex');
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
