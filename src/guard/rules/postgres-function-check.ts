/**
 * Decides whether a called name — a function, an operator or a TABLESAMPLE method — may run.
 *
 * Name resolution: a schema-qualified `pg_catalog.lower(x)` is the built-in. An unqualified `lower(x)` is resolved
 * by PostgreSQL through search_path, where pg_catalog comes first unless the search_path names it later; the gate
 * treats unqualified built-in names as the built-in and accepts the risk that someone moved pg_catalog behind a
 * schema holding a function of the same name (the engine backstop and least privilege cover that case). Any other
 * schema (`public.lower(x)`) is a user-defined function, whatever its name, and runs only when allowed.
 */
import { unknownFunctionError } from '../dialect-advice.js';
import { postgresFunctions } from './postgres-functions.js';
import { FUNCTIONS_HINT, NEVER_HINT, POSTGRES_ADVICE, postgresRefusal } from './postgres-refusal.js';

/** Functions the operator allowed: lower-case names, bare (`f`: any schema) or schema-qualified (`s.f`). */
export type AllowedFunctions = ReadonlySet<string>;

/** A call that is allowed but writes: the statement becomes a `write`. */
export interface CallEffect {
  readonly writes: string;
}

const ALLOWED_FUNCTIONS_HINT =
  'Ask the operator to allow it in allowed_functions (the environment setting) if it only reads. ' + FUNCTIONS_HINT;

/** Characters PostgreSQL allows in operator names (CREATE OPERATOR). */
const OPERATOR_SYMBOL = /^[+\-*/<>=~!@#%^&|`?]+$/;

function refusedReason(name: string): string | undefined {
  const exact = postgresFunctions.refused.get(name);
  if (exact !== undefined) return exact;
  return postgresFunctions.refusedPrefixes.find(([prefix]) => name.startsWith(prefix))?.[1];
}

/**
 * Checks a function call by its parsed name parts (`['pg_catalog', 'lower']`, `['lower']`). Returns the write
 * effect of an allowed writing function, `undefined` for a function that only reads, and throws a ReadOnlyError
 * for anything else.
 */
export function checkPostgresFunction(parts: readonly string[], allowed: AllowedFunctions): CallEffect | undefined {
  const name = parts[parts.length - 1] ?? '';
  // catalog.schema.name: PostgreSQL accepts the current database as catalog, so the schema decides.
  const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  const shown = `${parts.join('.')}()`;

  // By bare name and before allowed_functions: these reach server files, other sessions or run unseen SQL text,
  // and a function of the same name elsewhere is more likely a wrapper than a coincidence.
  const never = refusedReason(name);
  if (never !== undefined) throw postgresRefusal(`Function ${shown} is refused: it ${never}.`, NEVER_HINT);

  const isBuiltinPath = schema === undefined || schema === 'pg_catalog';
  if (isBuiltinPath) {
    const writes = postgresFunctions.writes.get(name);
    if (writes !== undefined) return { writes };
    if (postgresFunctions.safe.has(name)) return undefined;
  }
  if (allowed.has(name) || (schema !== undefined && allowed.has(`${schema}.${name}`))) return undefined;

  if (!isBuiltinPath && (postgresFunctions.safe.has(name) || postgresFunctions.writes.has(name))) {
    throw postgresRefusal(
      `Function ${shown} is not the built-in ${name}(): a function in schema ${schema} is user-defined, and is not known to be free of side effects; ask the operator to allow it in allowed_functions.`,
      `Call the built-in as ${name}(…) or pg_catalog.${name}(…). ${ALLOWED_FUNCTIONS_HINT}`,
    );
  }
  const qualifiedEntry = schema === undefined ? [...allowed].find((entry) => entry.endsWith(`.${name}`)) : undefined;
  throw unknownFunctionError(POSTGRES_ADVICE, {
    shown: parts.join('.'),
    isBuiltinPath,
    builtins: postgresFunctions.safe,
    hint: qualifiedEntry === undefined
      ? ALLOWED_FUNCTIONS_HINT
      : `allowed_functions lists ${qualifiedEntry}: call it schema-qualified, as ${qualifiedEntry}(…).`,
  });
}

/**
 * Checks an operator name from `a op b`, `OPERATOR(schema.op)` or `ORDER BY … USING op`. Every operator is a
 * function in PostgreSQL. Symbol operators are accepted (built-in ones compute values; a user-defined symbol
 * operator is the same unqualified-name risk as above), but an explicitly qualified operator must be pg_catalog's.
 */
export function checkPostgresOperator(parts: readonly string[]): void {
  const symbol = parts[parts.length - 1] ?? '';
  const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  if (!OPERATOR_SYMBOL.test(symbol)) {
    throw postgresRefusal(`Operator ${parts.join('.')} is not known to the gate.`, FUNCTIONS_HINT);
  }
  if (schema !== undefined && schema !== 'pg_catalog') {
    throw postgresRefusal(
      `Operator OPERATOR(${parts.join('.')}) is refused: an operator outside pg_catalog is user-defined and may call any function.`,
      `Write the operator without OPERATOR(…), or as OPERATOR(pg_catalog.${symbol}).`,
    );
  }
}

/** Checks a TABLESAMPLE method: a method is a handler function, so only the built-in ones run unless allowed. */
export function checkPostgresTablesample(parts: readonly string[], allowed: AllowedFunctions): void {
  const name = parts[parts.length - 1] ?? '';
  const schema = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  const isBuiltinPath = schema === undefined || schema === 'pg_catalog';
  if (isBuiltinPath && postgresFunctions.tablesampleMethods.has(name)) return;
  if (allowed.has(name) || (schema !== undefined && allowed.has(`${schema}.${name}`))) return;
  throw postgresRefusal(
    `TABLESAMPLE method ${parts.join('.')} is not known to be free of side effects; ask the operator to allow it in allowed_functions.`,
    'TABLESAMPLE BERNOULLI (…) and TABLESAMPLE SYSTEM (…) are allowed.',
  );
}
