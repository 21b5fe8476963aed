/**
 * A shop database with secrets, opened as an environment under a table/column policy, and a way to run
 * execute_sql on it as a caller with roles: the ground the leak corpora (tests/policy/*-leak-corpus.test.ts) stand
 * on. Every secret value is a canary — a string found nowhere else — so a statement leaks exactly when a canary
 * (or a recognisable piece of one) shows up in anything it returns: rows, text, or an error message.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { DialectName } from '../../src/db/dialect.js';
import { createDialect } from '../../src/db/registry.js';
import type { Environment } from '../../src/environments/environment.js';
import type { Identity } from '../../src/environments/identity.js';
import { SqlgateError } from '../../src/errors.js';
import { StatementRulesCache } from '../../src/guard/create-statement-rules.js';
import { executeSqlTool } from '../../src/tools/execute-sql.js';
import { createTestDatabase } from './test-databases.js';

/** The policy every corpus runs under. hr may read payroll and the hr schema, and sees emails unmasked. */
export const SHOP_POLICY = {
  deny: ['hr.*', 'payroll', 'customers.ssn', '*.password_hash'],
  mask: { 'customers.email': 'email', 'customers.phone': 'last4' },
  roles: { hr: { allow: ['hr.*', 'payroll'], unmask: ['customers.email'] } },
};

/**
 * The canaries: denied values (ssn, payroll amounts and notes, password hashes, hr rows) and masked ones (email,
 * phone). A masked email may show its first character and domain, a masked phone its last four digits: the
 * canaries are the parts that must never show.
 */
export const CANARIES = {
  ssn: ['SSN-7f3a-111', 'SSN-7f3a-222'],
  email: ['zq-alice-local@corp-a.test', 'zq-bob-local@corp-b.test'],
  emailLocalParts: ['zq-alice-local', 'zq-bob-local'],
  phone: ['+1-555-7301-0001', '+1-555-7302-0002'],
  phonePrefixes: ['+1-555-7301', '+1-555-7302'],
  payroll: ['PAYNOTE-91c2', '731946.25'],
  passwordHash: ['$argon2id$canary-hash-abc'],
  hr: ['HRNOTE-5e1d'],
} as const;

/** Every string whose appearance in a non-hr caller's output is a leak. */
export const LEAK_MARKERS: readonly string[] = [
  ...CANARIES.ssn, ...CANARIES.emailLocalParts, ...CANARIES.phonePrefixes, ...CANARIES.payroll, ...CANARIES.passwordHash, ...CANARIES.hr,
  // Fragments a cut or encoded value would still show.
  'SSN-7f3a', '7f3a-111', 'alice-local', 'bob-local', '7301-0001', 'PAYNOTE', '731946', 'canary-hash', 'HRNOTE',
];

/** The tables every dialect's shop has, in the dialect's SQL (hr is a schema where the dialect has schemas). */
export interface ShopSchema {
  readonly dialect: DialectName;
  /** DDL and data, run as the database owner before the environment opens. */
  readonly statements: readonly string[];
}

const rulesCache = new StatementRulesCache();

export interface PolicyShop {
  readonly environment: Environment;
  /** Runs execute_sql as a caller with `roles`; resolves to what it returned or the SqlgateError it refused with. */
  run(sql: string, roles?: string[]): Promise<ShopOutcome>;
  close(): Promise<void>;
}

export type ShopOutcome =
  | { readonly ok: true; readonly text: string; readonly structured: { columns: { name: string }[]; rows: unknown[][] } }
  | { readonly ok: false; readonly error: SqlgateError };

/** Opens the shop of `schema` as environment "shop" under SHOP_POLICY (or `policy`), read-only unless `writable`. */
export async function openPolicyShop(schema: ShopSchema, options: { writable?: boolean; policy?: object } = {}): Promise<PolicyShop> {
  const database = await createTestDatabase(schema.dialect, schema.statements);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlgate-policy-shop-'));
  const file = {
    roles: { hr: { environments: { shop: options.writable ? 'write' : 'read' } } },
    environments: {
      shop: {
        database: database.url,
        read_only: !options.writable,
        ...(options.writable ? { destructive_statements: 'allow', allow_ddl: true } : {}),
        policy: options.policy ?? SHOP_POLICY,
      },
    },
  };
  // JSON is YAML: the file is read as an operator's sqlgate.yaml would be.
  fs.writeFileSync(path.join(dir, 'sqlgate.yaml'), JSON.stringify(file));
  const config = loadConfig({ env: {}, cwd: dir }).environments[0]!;
  const dialect = await createDialect(config);
  await dialect.open();
  const environment: Environment = { name: 'shop', config, dialect, rules: await rulesCache.rulesFor(config.target), description: undefined, namedRoleLimits: new Map() };
  return {
    environment,
    async run(sql, roles = []) {
      const identity: Identity = { user: 'tester', via: 'none', environment: 'shop', canWrite: options.writable === true, scopes: [], roles };
      try {
        const output = await executeSqlTool.run(executeSqlTool.inputSchema.parse({ query: sql }), { environment, signal: new AbortController().signal, identity });
        return { ok: true, text: output.text, structured: output.structured as never };
      } catch (err) {
        if (!(err instanceof SqlgateError)) throw err;
        return { ok: false, error: err };
      }
    },
    async close() {
      await dialect.close();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The canary markers found in an outcome: its rows, its text, or its error's message, hint and detail. */
export function leaksIn(outcome: ShopOutcome): string[] {
  const shown = outcome.ok
    ? `${outcome.text}\n${JSON.stringify(outcome.structured)}`
    : `${outcome.error.message}\n${outcome.error.hint ?? ''}`;
  return LEAK_MARKERS.filter((marker) => shown.includes(marker));
}

/**
 * A leak attempt held: refused by the policy (SG_POLICY_DENIED), or answered with no canary anywhere in the
 * answer. Any other failure (a database error, a refusal by the read-only gate) also counts when it shows no
 * canary, and is returned so a corpus can insist on the policy refusing.
 */
export function expectHeld(sql: string, outcome: ShopOutcome): void {
  expect(leaksIn(outcome), `${sql}\n→ ${outcome.ok ? outcome.text.slice(0, 400) : `${outcome.error.code}: ${outcome.error.message}`}`).toEqual([]);
}

/** A legitimate statement ran, and showed no canary. */
export function expectAllowed(sql: string, outcome: ShopOutcome): asserts outcome is Extract<ShopOutcome, { ok: true }> {
  expect(outcome.ok ? 'ok' : `${outcome.error.code}: ${outcome.error.message} (${outcome.error.hint ?? ''})`, sql).toBe('ok');
  expectHeld(sql, outcome);
}
