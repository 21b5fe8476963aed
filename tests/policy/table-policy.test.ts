import { describe, expect, it } from 'vitest';
import { policySchema } from '../../src/config/policy-schema.js';
import { TablePolicy } from '../../src/policy/table-policy.js';

const config = policySchema.parse({
  deny: ['hr.*', 'payroll', 'customers.ssn', '*.password_hash', 'sales.orders.card_number'],
  mask: { 'customers.email': 'email', 'customers.phone': 'last4' },
  roles: { hr: { allow: ['hr.*', 'payroll'], unmask: ['customers.email'] }, auditor: { allow: ['customers.ssn'] } },
});

const t = (schema: string | null, name: string) => [{ schema, name }];

describe('TablePolicy', () => {
  const none = TablePolicy.for(config, [])!;

  it('is null for an environment that denies and masks nothing', () => {
    expect(TablePolicy.for(undefined, [])).toBeNull();
    expect(TablePolicy.for(policySchema.parse({ roles: {} }), ['hr'])).toBeNull();
  });

  it('denies tables by name in any schema, by schema.table with globs, case-insensitively', () => {
    expect(none.isTableDenied(t('public', 'payroll'))).toBe(true);
    expect(none.isTableDenied(t('other', 'PAYROLL'))).toBe(true);
    expect(none.isTableDenied(t('hr', 'employees'))).toBe(true);
    expect(none.isTableDenied(t('HR', 'anything'))).toBe(true);
    expect(none.isTableDenied(t('public', 'customers'))).toBe(false);
    expect(none.isTableDenied(t('public', 'payrolls'))).toBe(false);
    // A table inherits its parents' denial (partitions of a denied table).
    expect(none.isTableDenied([{ schema: 'public', name: 'payroll_2024' }, { schema: 'public', name: 'payroll' }])).toBe(true);
  });

  it('denies columns by table.column in any schema, schema.table.column, and globs', () => {
    expect(none.columnRule(t('public', 'customers'), 'ssn')).toEqual({ kind: 'deny' });
    expect(none.columnRule(t('crm', 'Customers'), 'SSN')).toEqual({ kind: 'deny' });
    expect(none.columnRule(t('public', 'users'), 'password_hash')).toEqual({ kind: 'deny' });
    expect(none.columnRule(t('sales', 'orders'), 'card_number')).toEqual({ kind: 'deny' });
    expect(none.columnRule(t('public', 'orders'), 'card_number')).toBeNull();
    expect(none.columnRule(t('public', 'customers'), 'name')).toBeNull();
  });

  it('masks columns, and deny beats mask', () => {
    expect(none.columnRule(t('public', 'customers'), 'email')).toEqual({ kind: 'mask', mask: 'email' });
    expect(none.columnRule(t('public', 'customers'), 'phone')).toEqual({ kind: 'mask', mask: 'last4' });
    const both = TablePolicy.for(policySchema.parse({ deny: ['customers.email'], mask: { 'customers.email': 'email' } }), [])!;
    expect(both.columnRule(t('public', 'customers'), 'email')).toEqual({ kind: 'deny' });
  });

  it('reads SQLite\'s main database (no schema) as schema main', () => {
    const sqlite = TablePolicy.for(policySchema.parse({ deny: ['main.secrets', 'main.customers.ssn'] }), [])!;
    expect(sqlite.isTableDenied(t(null, 'secrets'))).toBe(true);
    expect(sqlite.columnRule(t(null, 'customers'), 'ssn')).toEqual({ kind: 'deny' });
  });

  it('lifts denials and masks for the caller\'s roles only', () => {
    const hr = TablePolicy.for(config, ['hr'])!;
    expect(hr.isTableDenied(t('hr', 'employees'))).toBe(false);
    expect(hr.isTableDenied(t('public', 'payroll'))).toBe(false);
    expect(hr.columnRule(t('public', 'customers'), 'email')).toBeNull();
    expect(hr.columnRule(t('public', 'customers'), 'phone')).toEqual({ kind: 'mask', mask: 'last4' });
    // hr's allow of tables does not lift a column denial.
    expect(hr.columnRule(t('hr', 'employees'), 'password_hash')).toEqual({ kind: 'deny' });
    expect(TablePolicy.for(config, ['auditor'])!.columnRule(t('public', 'customers'), 'ssn')).toBeNull();
    expect(TablePolicy.for(config, ['unknown'])!.isTableDenied(t('public', 'payroll'))).toBe(true);
  });
});

describe('policy configuration', () => {
  it('refuses malformed patterns and mask kinds with a clear message', () => {
    expect(() => policySchema.parse({ deny: ['a.b.c.d'] })).toThrow(/table, schema.table, table.column or schema.table.column/);
    expect(() => policySchema.parse({ deny: ['"quoted".t'] })).toThrow(/no quotes or spaces/);
    expect(() => policySchema.parse({ mask: { customers: 'email' } })).toThrow(/must name columns/);
    expect(() => policySchema.parse({ mask: { 'customers.email': 'hash' } })).toThrow(/email, last4, redact/);
    expect(() => policySchema.parse({ roles: { Analyst: {} } })).toThrow(/role name/);
    expect(() => policySchema.parse({ roles: { hr: { unmask: ['customers'] } } })).toThrow(/must name columns/);
  });
});
