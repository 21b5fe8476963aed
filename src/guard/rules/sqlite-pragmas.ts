/**
 * PRAGMA statements a SQLite read may run. node-sql-parser has no PRAGMA, so they are read from tokens:
 * `PRAGMA [schema.]name` or `PRAGMA [schema.]name(argument)` with a name, string or number as the argument.
 * `PRAGMA name = value` changes a setting and is refused, and so is `PRAGMA setting(value)`, which means the same.
 */
import type { StatementVerdict } from '../statement-gate.js';
import { Refusal, type Token } from './sql-parser-text.js';

/** Pragmas whose argument names what to describe (a table, an index …): they read whatever the argument. */
const QUERY_PRAGMAS = new Set([
  'foreign_key_check', 'foreign_key_list', 'index_info', 'index_list', 'index_xinfo', 'integrity_check', 'quick_check',
  'table_info', 'table_list', 'table_xinfo',
]);
/** Pragmas that only report when called without an argument (with one, most of them change a setting). */
const REPORTING_PRAGMAS = new Set([
  ...QUERY_PRAGMAS, 'application_id', 'auto_vacuum', 'automatic_index', 'busy_timeout', 'cache_size', 'cell_size_check',
  'collation_list', 'compile_options', 'data_version', 'database_list', 'defer_foreign_keys', 'encoding',
  'foreign_keys', 'freelist_count', 'function_list', 'journal_mode', 'journal_size_limit', 'legacy_alter_table',
  'locking_mode', 'max_page_count', 'mmap_size', 'module_list', 'page_count', 'page_size', 'pragma_list', 'query_only',
  'read_uncommitted', 'recursive_triggers', 'reverse_unordered_selects', 'schema_version', 'secure_delete',
  'synchronous', 'temp_store', 'trusted_schema', 'user_version', 'wal_autocheckpoint',
]);

const READ: StatementVerdict = Object.freeze({ kind: 'read', isDestructive: false });

export function pragmaVerdict(tokens: readonly Token[]): StatementVerdict {
  let i = 1;
  if (tokens[i + 1]?.text === '.') i += 2;
  const nameToken = tokens[i];
  if (!nameToken || (nameToken.kind !== 'word' && nameToken.kind !== 'quoted')) throw new Refusal('PRAGMA needs a pragma name');
  const name = nameToken.value.toLowerCase();
  const rest = tokens.slice(i + 1);
  if (rest[0]?.text === '=') throw new Refusal(`PRAGMA ${name} = … changes a setting of the connection or the database file`);
  if (!REPORTING_PRAGMAS.has(name)) throw new Refusal(`PRAGMA ${name} is not a read-only pragma the gate knows`, READ_PRAGMA_HINT);
  if (rest.length === 0) return READ;
  const isOneArgument = rest.length === 3 && rest[0]!.text === '(' && rest[2]!.text === ')' && rest[1]!.kind !== 'punct';
  if (!isOneArgument) throw new Refusal(`PRAGMA ${name} takes at most one argument in parentheses: a name, a string or a number`);
  if (!QUERY_PRAGMAS.has(name)) throw new Refusal(`PRAGMA ${name}(value) changes a setting; PRAGMA ${name} alone reads it`);
  return READ;
}

const READ_PRAGMA_HINT = `Read-only pragmas: ${[...REPORTING_PRAGMAS].sort().join(', ')}; the ones that take an argument: ${[...QUERY_PRAGMAS].sort().join(', ')}.`;
