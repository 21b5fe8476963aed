/**
 * The functions a MySQL or MariaDB read may call. An allow-list: a function missing here is refused as "not known
 * to be free of side effects" until an operator lists it in allowed_functions. Names are lower-case.
 */
import type { FunctionCatalogue } from './sql-parser-ast.js';

const AGGREGATE = [
  'any_value', 'avg', 'bit_and', 'bit_or', 'bit_xor', 'count', 'group_concat', 'grouping', 'json_arrayagg',
  'json_objectagg', 'max', 'min', 'std', 'stddev', 'stddev_pop', 'stddev_samp', 'sum', 'var_pop', 'var_samp', 'variance',
  // MariaDB, and only with OVER (…): mysql-rules.ts refuses the bare form
  'median', 'percentile_cont', 'percentile_disc',
];
const WINDOW = [
  'cume_dist', 'dense_rank', 'first_value', 'lag', 'last_value', 'lead', 'nth_value', 'ntile', 'percent_rank', 'rank',
  'row_number',
];
const MATH = [
  'abs', 'acos', 'asin', 'atan', 'atan2', 'ceil', 'ceiling', 'conv', 'cos', 'cot', 'crc32', 'degrees', 'exp', 'floor',
  'greatest', 'least', 'ln', 'log', 'log10', 'log2', 'mod', 'pi', 'pow', 'power', 'radians', 'rand', 'round', 'sign',
  'sin', 'sqrt', 'tan', 'truncate',
];
const STRING = [
  'ascii', 'bin', 'bit_count', 'bit_length', 'char', 'char_length', 'character_length', 'charset', 'chr', 'coercibility',
  'collation', 'concat', 'concat_ws', 'elt', 'export_set', 'field', 'find_in_set', 'format', 'from_base64', 'hex',
  'insert', 'instr', 'lcase', 'left', 'length', 'locate', 'lower', 'lpad', 'ltrim', 'make_set', 'mid', 'natural_sort_key',
  'oct', 'octet_length', 'ord', 'position', 'quote', 'regexp_instr', 'regexp_like', 'regexp_replace', 'regexp_substr',
  'repeat', 'replace', 'reverse', 'right', 'rpad', 'rtrim', 'sformat', 'soundex', 'space', 'strcmp', 'substr',
  'substring', 'substring_index', 'to_base64', 'to_char', 'trim', 'ucase', 'unhex', 'upper', 'weight_string',
];
const DATE_TIME = [
  'add_months', 'adddate', 'addtime', 'convert_tz', 'curdate', 'current_date', 'current_time', 'current_timestamp',
  'curtime', 'date', 'date_add', 'date_format', 'date_sub', 'datediff', 'day', 'dayname', 'dayofmonth', 'dayofweek',
  'dayofyear', 'extract', 'from_days', 'from_unixtime', 'get_format', 'hour', 'last_day', 'localtime', 'localtimestamp',
  'makedate', 'maketime', 'microsecond', 'minute', 'month', 'monthname', 'now', 'period_add', 'period_diff', 'quarter',
  'sec_to_time', 'second', 'str_to_date', 'subdate', 'subtime', 'sysdate', 'time', 'time_format', 'time_to_sec',
  'timediff', 'timestamp', 'timestampadd', 'timestampdiff', 'to_days', 'to_seconds', 'unix_timestamp', 'utc_date',
  'utc_time', 'utc_timestamp', 'week', 'weekday', 'weekofyear', 'year', 'yearweek',
];
// JSON_SET, JSON_INSERT … return a modified copy of a document; they never write a column by themselves.
const JSON = [
  'json_array', 'json_array_append', 'json_array_insert', 'json_compact', 'json_contains', 'json_contains_path',
  'json_depth', 'json_detailed', 'json_equals', 'json_exists', 'json_extract', 'json_insert', 'json_keys', 'json_length',
  'json_loose', 'json_merge', 'json_merge_patch', 'json_merge_preserve', 'json_normalize', 'json_object',
  'json_overlaps', 'json_pretty', 'json_query', 'json_quote', 'json_remove', 'json_replace', 'json_schema_valid',
  'json_schema_validation_report', 'json_search', 'json_set', 'json_storage_free', 'json_storage_size', 'json_type',
  'json_unquote', 'json_valid', 'json_value',
];
const CONDITIONAL = ['cast', 'coalesce', 'convert', 'default', 'if', 'ifnull', 'interval', 'isnull', 'nullif', 'nvl', 'nvl2', 'values'];
const INFORMATION = [
  'aes_decrypt', 'aes_encrypt', 'bin_to_uuid', 'compress', 'connection_id', 'current_role', 'current_user', 'database',
  'format_bytes', 'format_pico_time', 'found_rows', 'inet6_aton', 'inet6_ntoa', 'inet_aton', 'inet_ntoa', 'is_ipv4',
  'is_ipv4_compat', 'is_ipv4_mapped', 'is_ipv6', 'is_uuid', 'md5', 'random_bytes', 'row_count', 'schema',
  'session_user', 'sha', 'sha1', 'sha2', 'system_user', 'uncompress', 'uncompressed_length', 'user', 'uuid',
  'uuid_short', 'uuid_to_bin', 'version',
];
const SPATIAL = [
  'point', 'st_area', 'st_asgeojson', 'st_astext', 'st_aswkt', 'st_buffer', 'st_centroid', 'st_contains', 'st_distance',
  'st_distance_sphere', 'st_geomfromgeojson', 'st_geomfromtext', 'st_intersects', 'st_latitude', 'st_length',
  'st_longitude', 'st_srid', 'st_within', 'st_x', 'st_y',
];
// node-sql-parser renders some syntax as function calls: `EXISTS (subquery)`, `ROW(…)`.
const SYNTAX = ['exists', 'row'];

const NAMED_LOCKS = 'named locks outlive the statement and block other sessions';

export const MYSQL_FUNCTIONS: FunctionCatalogue = {
  scalar: new Set([...AGGREGATE, ...WINDOW, ...MATH, ...STRING, ...DATE_TIME, ...JSON, ...CONDITIONAL, ...INFORMATION, ...SPATIAL, ...SYNTAX]),
  // The grammars take no function in FROM: JSON_TABLE reaches the tree through mysql-json-table.ts.
  table: new Set(['json_table']),
  refused: new Map([
    // The statement timeout would end them too, but a read that sleeps on purpose only holds a connection.
    ['sleep', 'SLEEP only holds a connection for as long as it asks'],
    ['benchmark', 'BENCHMARK burns server CPU on purpose'],
    ['load_file', 'LOAD_FILE reads a file on the database server'],
    ['get_lock', NAMED_LOCKS],
    ['release_lock', NAMED_LOCKS],
    ['release_all_locks', NAMED_LOCKS],
    ['is_free_lock', NAMED_LOCKS],
    ['is_used_lock', NAMED_LOCKS],
    ['master_pos_wait', 'it waits on replication'],
    ['source_pos_wait', 'it waits on replication'],
    ['wait_for_executed_gtid_set', 'it waits on replication'],
    ['wait_until_sql_thread_after_gtids', 'it waits on replication'],
    ['sys_exec', 'it runs an operating-system command'],
    ['sys_eval', 'it runs an operating-system command'],
    ['nextval', 'it advances a sequence'],
    ['setval', 'it sets a sequence'],
  ]),
  refusedPrefixes: new Map(),
};
