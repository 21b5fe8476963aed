/**
 * The functions a SQLite read may call. An allow-list of built-ins (core, math, date/time, JSON, window); an
 * application-defined function missing here is refused until an operator lists it in allowed_functions. Lower-case.
 * The engine backstop (stmt.readonly, query_only) stops writes but not side effects outside the database file,
 * which is what the refused list is about.
 */
import type { FunctionCatalogue } from './sql-parser-ast.js';

const AGGREGATE = [
  'avg', 'count', 'group_concat', 'json_group_array', 'json_group_object', 'jsonb_group_array', 'jsonb_group_object',
  'max', 'median', 'min', 'percentile', 'percentile_cont', 'percentile_disc', 'string_agg', 'sum', 'total',
];
const WINDOW = [
  'cume_dist', 'dense_rank', 'first_value', 'lag', 'last_value', 'lead', 'nth_value', 'ntile', 'percent_rank', 'rank',
  'row_number',
];
const CORE = [
  'abs', 'changes', 'char', 'coalesce', 'concat', 'concat_ws', 'format', 'glob', 'hex', 'if', 'ifnull', 'iif', 'instr', 'last_insert_rowid', 'length',
  'like', 'likelihood', 'likely', 'lower', 'ltrim', 'nullif', 'octet_length', 'printf', 'quote', 'random', 'randomblob',
  'replace', 'round', 'rtrim', 'sign', 'soundex', 'sqlite_source_id', 'sqlite_version', 'substr', 'substring', 'total_changes', 'trim',
  'typeof', 'unhex', 'unicode', 'unistr', 'unlikely', 'upper', 'zeroblob',
];
const MATH = [
  'acos', 'acosh', 'asin', 'asinh', 'atan', 'atan2', 'atanh', 'ceil', 'ceiling', 'cos', 'cosh', 'degrees', 'exp', 'floor',
  'ln', 'log', 'log10', 'log2', 'mod', 'pi', 'pow', 'power', 'radians', 'sin', 'sinh', 'sqrt', 'tan', 'tanh', 'trunc',
];
const DATE_TIME = ['current_date', 'current_time', 'current_timestamp', 'date', 'datetime', 'julianday', 'strftime', 'time', 'timediff', 'unixepoch'];
// json_set, json_insert … return a modified copy of their argument; they write nothing by themselves.
const JSON = [
  'json', 'json_array', 'json_array_length', 'json_error_position', 'json_extract', 'json_insert', 'json_object',
  'json_patch', 'json_pretty', 'json_quote', 'json_remove', 'json_replace', 'json_set', 'json_type', 'json_valid',
  'jsonb', 'jsonb_array', 'jsonb_extract', 'jsonb_insert', 'jsonb_object', 'jsonb_patch', 'jsonb_remove',
  'jsonb_replace', 'jsonb_set',
];
// node-sql-parser renders `EXISTS (subquery)` as a call.
const SYNTAX = ['cast', 'exists'];
// sqlgate's own, registered on every connection (db/sqlite/sqlite-worker.ts): the caller of the statement, for
// views that filter rows by user (session_context). They only return a value.
const SQLGATE = ['sqlgate_client', 'sqlgate_roles', 'sqlgate_user'];

/** Table-valued PRAGMA functions exist only for pragmas that return results and have no side effects. */
const PRAGMA_TABLES = [
  'pragma_collation_list', 'pragma_compile_options', 'pragma_database_list', 'pragma_foreign_key_check',
  'pragma_foreign_key_list', 'pragma_function_list', 'pragma_index_info', 'pragma_index_list', 'pragma_index_xinfo',
  'pragma_module_list', 'pragma_pragma_list', 'pragma_table_info', 'pragma_table_list', 'pragma_table_xinfo',
];

const FILE = 'it reads or writes files outside the database';

export const SQLITE_FUNCTIONS: FunctionCatalogue = {
  scalar: new Set([...AGGREGATE, ...WINDOW, ...CORE, ...MATH, ...DATE_TIME, ...JSON, ...SYNTAX, ...SQLGATE]),
  table: new Set(['generate_series', 'json_each', 'json_tree', 'jsonb_each', 'jsonb_tree', ...PRAGMA_TABLES]),
  refused: new Map([
    ['load_extension', 'it loads native code into the database process'],
    ['fts3_tokenizer', 'it can register native tokenizer code'],
    ['readfile', FILE],
    ['writefile', FILE],
    ['edit', 'it starts an editor on the server'],
    ['fsdir', FILE],
    ['zipfile', FILE],
    ['sqlar_compress', FILE],
    ['sqlar_uncompress', FILE],
  ]),
  refusedPrefixes: new Map(),
};
