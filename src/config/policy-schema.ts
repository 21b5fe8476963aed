/**
 * An environment's table/column policy (`environments.<env>.policy`): tables and columns denied, columns masked,
 * and per named role exceptions. Part of the schema in schema.ts, kept apart to keep each file about one thing;
 * schema.ts checks the role names against the `roles` section. How the patterns are read: policy/name-pattern.ts.
 */
import { z } from 'zod';
import { ROLE_NAME_PATTERN } from './roles-schema.js';

/** How a masked column's values are shown: policy/mask-value.ts. */
export const MASK_KINDS = ['email', 'last4', 'redact'] as const;
export type MaskKind = (typeof MASK_KINDS)[number];

/** One to three dot-separated parts of name characters and `*` globs: `hr.*`, `payroll`, `customers.ssn`, `*.password_hash`. */
const NAME_PATTERN = /^[^.\s"`[\]]+(\.[^.\s"`[\]]+){0,2}$/;

const namePattern = z
  .string()
  .trim()
  .regex(NAME_PATTERN, 'must be table, schema.table, table.column or schema.table.column (names and * globs, no quotes or spaces)');

const columnPattern = namePattern.refine((p) => p.includes('.'), 'must name columns: table.column or schema.table.column');

const roleExceptionSchema = z
  .strictObject({
    /** Denied tables and columns this role may read anyway. */
    allow: z.array(namePattern).default([]),
    /** Masked columns this role sees unmasked. */
    unmask: z.array(columnPattern).default([]),
  })
  .transform((r) => ({ allow: r.allow, unmask: r.unmask }));

export const policySchema = z
  .strictObject({
    deny: z.array(namePattern).default([]),
    /** Column pattern → how its values are shown. */
    mask: z.record(columnPattern, z.enum(MASK_KINDS, { message: `must be one of ${MASK_KINDS.join(', ')}` })).default({}),
    roles: z.record(z.string().regex(ROLE_NAME_PATTERN, 'must be a role name from the roles section'), roleExceptionSchema).default({}),
  })
  .transform((p) => ({
    deny: p.deny,
    mask: Object.entries(p.mask).map(([pattern, kind]) => ({ pattern, kind })),
    roles: new Map(Object.entries(p.roles)) as ReadonlyMap<string, RoleException>,
  }));

export interface RoleException {
  readonly allow: readonly string[];
  readonly unmask: readonly string[];
}

export type PolicyConfig = z.output<typeof policySchema>;
