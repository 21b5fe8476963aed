/**
 * The generic walk of the PostgreSQL gate fails closed on trees it does not know: a node type or a bare struct
 * that a future parser might add is refused, not skipped. Real SQL cannot produce these trees today, so they are
 * built by hand.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReadOnlyError } from '../../src/errors.js';
import { postgresNodes } from '../../src/guard/rules/postgres-nodes.js';
import { walkPostgresTree } from '../../src/guard/rules/postgres-tree-walk.js';

const strict = { allowed: new Set<string>(), isStrict: true };
const select = (val: unknown) => ({ SelectStmt: { targetList: [{ ResTarget: { val } }] } });

describe('postgres tree walk', () => {
  it('refuses a node type that is not on the allow-list', () => {
    expect(() => walkPostgresTree(select({ FutureExpr: { arg: { A_Const: { ival: { ival: 1 } } } } }), strict)).toThrow(
      'FutureExpr is not known to the gate',
    );
  });

  it('refuses a bare struct in a field it has no type for', () => {
    expect(() => walkPostgresTree({ SelectStmt: { futureClause: { relname: 'x' } } }, strict)).toThrow(ReadOnlyError);
    expect(() => walkPostgresTree({ SelectStmt: { futureClause: { relname: 'x' } } }, strict)).toThrow('futureClause part of SelectStmt');
  });

  it('checks bare structs by their type: a FuncCall under FuncCall.over is still walked', () => {
    const call = (name: string) => ({ FuncCall: { funcname: [{ String: { sval: name } }] } });
    const windowed = { FuncCall: { funcname: [{ String: { sval: 'rank' } }], over: { orderClause: [{ SortBy: { node: call('pg_sleep') } }] } } };
    expect(() => walkPostgresTree(select(windowed), strict)).toThrow('pg_sleep() is refused');
  });

  it('in loose (DDL) walks, visits unknown nodes but still checks calls inside them', () => {
    const ddl = { FutureDdlThing: { options: [{ DefElem: { arg: { FuncCall: { funcname: [{ String: { sval: 'lo_import' } }] } } } }] } };
    expect(() => walkPostgresTree(ddl, { allowed: new Set(), isStrict: false })).toThrow('lo_import() is refused');
    expect(() => walkPostgresTree({ FutureStmt: {} }, { allowed: new Set(), isStrict: false })).toThrow('FutureStmt statement is not known');
  });

  it('types every struct-typed field of the allowed nodes (per @pgsql/types), so real trees never hit the refusal above', () => {
    const types = fs.readFileSync(new URL('../../node_modules/@pgsql/types/types.d.ts', import.meta.url), 'utf8');
    const interfaces = new Map<string, Map<string, string>>();
    for (const m of types.matchAll(/export interface (\w+) \{([\s\S]*?)\n\}/g)) {
      interfaces.set(m[1]!, new Map([...m[2]!.matchAll(/^\s+(\w+)\?: ([\w]+)(?:\[\])?;/gm)].map((f) => [f[1]!, f[2]!])));
    }
    // Query is the analyzed tree (IntoClause.viewQuery); the raw parser never fills it.
    const missing = [...postgresNodes.allowed].flatMap((type) =>
      [...(interfaces.get(type) ?? new Map<string, string>())]
        .filter(([field, fieldType]) => interfaces.has(fieldType) && fieldType !== 'Query' && !postgresNodes.inlineFields.has(`${type}.${field}`))
        .map(([field, fieldType]) => `${type}.${field}: ${fieldType}`),
    );
    expect(missing).toEqual([]);
  });
});
