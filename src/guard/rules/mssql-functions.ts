/**
 * The functions a SQL Server read may call. An allow-list of built-ins: a scalar user-defined function must be
 * called with its schema (`dbo.fn()`), so a schema-qualified call is a user function and needs allowed_functions.
 * An unqualified name in FROM may be a user table-valued function, so FROM has its own, shorter list. Lower-case.
 */
import type { FunctionCatalogue } from './sql-parser-ast.js';

const AGGREGATE = [
  'approx_count_distinct', 'approx_percentile_cont', 'approx_percentile_disc', 'avg', 'checksum_agg', 'count',
  'count_big', 'grouping', 'grouping_id', 'max', 'min', 'stdev', 'stdevp', 'string_agg', 'sum', 'var', 'varp',
];
const WINDOW = [
  'cume_dist', 'dense_rank', 'first_value', 'lag', 'last_value', 'lead', 'ntile', 'percent_rank', 'percentile_cont',
  'percentile_disc', 'rank', 'row_number',
];
const MATH = [
  'abs', 'acos', 'asin', 'atan', 'atn2', 'ceiling', 'cos', 'cot', 'degrees', 'exp', 'floor', 'greatest', 'least', 'log',
  'log10', 'pi', 'power', 'radians', 'rand', 'round', 'sign', 'sin', 'sqrt', 'square', 'tan',
];
const STRING = [
  'ascii', 'char', 'charindex', 'concat', 'concat_ws', 'datalength', 'difference', 'format', 'left', 'len', 'lower',
  'ltrim', 'nchar', 'patindex', 'quotename', 'replace', 'replicate', 'reverse', 'right', 'rtrim', 'soundex', 'space',
  'str', 'string_escape', 'stuff', 'substring', 'translate', 'trim', 'unicode', 'upper',
];
const DATE_TIME = [
  'current_timestamp', 'current_timezone', 'current_timezone_id', 'date_bucket', 'dateadd', 'datediff', 'datediff_big',
  'datefromparts', 'datename', 'datepart', 'datetime2fromparts', 'datetimefromparts', 'datetimeoffsetfromparts',
  'datetrunc', 'day', 'eomonth', 'getdate', 'getutcdate', 'isdate', 'month', 'smalldatetimefromparts', 'switchoffset',
  'sysdatetime', 'sysdatetimeoffset', 'sysutcdatetime', 'timefromparts', 'todatetimeoffset', 'year',
];
// JSON_MODIFY returns a modified copy of its argument; it writes nothing by itself.
const JSON = ['isjson', 'json_array', 'json_arrayagg', 'json_modify', 'json_object', 'json_objectagg', 'json_path_exists', 'json_query', 'json_value'];
const CONDITIONAL = ['cast', 'choose', 'coalesce', 'convert', 'iif', 'isnull', 'isnumeric', 'nullif', 'parse', 'try_cast', 'try_convert', 'try_parse'];
const INFORMATION = [
  'app_name', 'binary_checksum', 'contains', 'freetext', 'checksum', 'col_length', 'col_name', 'columnproperty', 'compress', 'current_user',
  'databasepropertyex', 'db_id', 'db_name', 'decompress', 'has_perms_by_name', 'hashbytes', 'host_name', 'ident_current',
  'is_member', 'is_srvrolemember', 'newid', 'object_id', 'object_name', 'object_schema_name', 'objectproperty',
  'objectpropertyex', 'original_login', 'rowcount_big', 'schema_id', 'schema_name', 'scope_identity',
  'serverproperty', 'session_context', 'session_user', 'suser_id', 'suser_name', 'suser_sid', 'suser_sname',
  'system_user', 'type_id', 'type_name', 'user_id', 'user_name',
];
// node-sql-parser renders some syntax as calls: EXISTS/ALL/ANY (subquery), GROUP BY CUBE/ROLLUP, and the target type
// of CONVERT(varchar(10), …). Unqualified, they cannot be user functions.
const SYNTAX = [
  'all', 'any', 'cube', 'exists', 'rollup', 'some', 'binary', 'datetime2', 'datetimeoffset', 'decimal', 'float', 'nchar',
  'numeric', 'nvarchar', 'time', 'varbinary', 'varchar',
];

const REMOTE = 'it reaches another server or a file through an OLE DB provider';
const FILE = 'it reads a file on the database server';

export const MSSQL_FUNCTIONS: FunctionCatalogue = {
  scalar: new Set([...AGGREGATE, ...WINDOW, ...MATH, ...STRING, ...DATE_TIME, ...JSON, ...CONDITIONAL, ...INFORMATION, ...SYNTAX]),
  table: new Set(['containstable', 'freetexttable', 'generate_series', 'openjson', 'string_split']),
  refused: new Map([
    ['openrowset', REMOTE],
    ['opendatasource', REMOTE],
    ['openquery', 'it sends a query to a linked server'],
    ['openxml', 'it reads an XML document handle prepared by sp_xml_preparedocument'],
    ['fn_get_audit_file', FILE],
    ['fn_xe_file_target_read_file', FILE],
    ['fn_trace_gettable', FILE],
  ]),
  refusedPrefixes: new Map([
    ['xp_', 'extended stored procedures (xp_…) reach the operating system'],
    ['sp_', 'system stored procedures (sp_…) change server state or run dynamic SQL'],
  ]),
};
