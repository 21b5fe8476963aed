/**
 * What each dialect writes instead of other dialects' functions and syntax: `date_trunc` on SQLite is `strftime`,
 * `LIMIT` on SQL Server is `TOP`. Models often write one dialect's SQL against another dialect's database; an error
 * that names the dialect and its equivalent sends them the right way, where "not known to be free of side effects"
 * or a bare syntax error sends them to the operator or to guessing.
 *
 * One table per dialect, read by the statement gate (guard/dialect-advice.ts) for what it stops before the database
 * sees it, and by each dialect's error mapping for what the database itself rejects. It lives in db/ because a
 * dialect folder may import db/*.ts but not guard/. Advice only words messages: it never decides what runs.
 */
import type { DialectName } from './dialect.js';

/** The dialect to advise for, and its name in messages ("MariaDB" for the mysql dialect's MariaDB flavor). */
export interface AdviceTarget {
  readonly name: DialectName;
  readonly displayName: string;
}

/** Syntax from other dialects that a failed statement can be recognised by (guard/dialect-advice.ts finds it). */
export type ForeignConstruct =
  | 'ilike' | 'extract' | 'interval' | 'interval-number' | 'interval-text' | 'cast-operator' | 'top' | 'limit'
  | 'limit-comma' | 'offset-fetch' | 'backticks' | 'brackets' | 'hash-comment';

const CONSTRUCT_NAMES: Readonly<Record<ForeignConstruct, string>> = {
  ilike: 'ILIKE',
  extract: 'EXTRACT(field FROM …)',
  interval: 'INTERVAL arithmetic',
  'interval-number': 'INTERVAL 1 HOUR (a number, then a unit)',
  'interval-text': "INTERVAL '1 hour' (the unit inside the string)",
  'cast-operator': ':: cast operator',
  top: 'SELECT TOP n',
  limit: 'LIMIT',
  'limit-comma': 'LIMIT offset, count',
  'offset-fetch': 'OFFSET … FETCH',
  backticks: '`backtick` quoting',
  brackets: '[bracket] quoting',
  'hash-comment': '# comments',
};

interface Equivalents {
  /** Lower-case function name → what to write instead. */
  readonly functions: ReadonlyMap<string, string>;
  readonly constructs: Partial<Readonly<Record<ForeignConstruct, string>>>;
  /**
   * False where the connection cannot have functions beyond the built-ins: sqlgate registers none on its SQLite
   * connections and refuses load_extension, so a name that is not a built-in does not exist there.
   */
  readonly hasUserFunctions: boolean;
}

/** Several names that share one piece of advice. */
const table = (...groups: ReadonlyArray<readonly [string, string]>): ReadonlyMap<string, string> =>
  new Map(groups.flatMap(([names, advice]) => names.split(' ').map((name): [string, string] => [name, advice])));

const LIKE_IGNORES_CASE = "use LIKE, which ignores case under the usual case-insensitive collations, or LOWER(x) LIKE LOWER('…')";
const LIMIT_AT_END = 'put LIMIT n at the end: SELECT … ORDER BY … LIMIT 5';

const SQLITE: Equivalents = {
  hasUserFunctions: false,
  functions: table(
    ['date_trunc', "use strftime('%Y-%m-01', col) or date(col, 'start of month') for the month, date(col, 'start of year') for the year, date(col) for the day"],
    ['now getdate sysdate sysdatetime systimestamp localtimestamp getutcdate utc_timestamp', "use datetime('now') or CURRENT_TIMESTAMP (both UTC); date('now') is today"],
    ['curdate', "use date('now') or CURRENT_DATE"],
    ['curtime', "use time('now') or CURRENT_TIME"],
    ['extract date_part datepart year month day hour minute second quarter week weekday dayofweek dayofmonth dayofyear',
      "use strftime: strftime('%Y', col) is the year as text, CAST(strftime('%m', col) AS INTEGER) the month as a number (%d day, %H hour, %M minute, %w weekday, %j day of year)"],
    ['date_format to_char time_format datename', "use strftime(format, col), e.g. strftime('%Y-%m-%d %H:%M', col)"],
    ['dateadd date_add date_sub adddate subdate timestampadd add_months',
      "use date and time modifiers: datetime(col, '+1 day'), datetime('now', '-1 hour'), date(col, '+1 month')"],
    ['datediff timestampdiff date_diff age', 'use julianday(b) - julianday(a) for days (× 24 for hours), or unixepoch(b) - unixepoch(a) for seconds'],
    ['to_date to_timestamp str_to_date', "use date(text) or datetime(text) on ISO-8601 text ('YYYY-MM-DD HH:MM:SS'); rearrange other formats with substr()"],
    ['unix_timestamp', 'use unixepoch(col)'],
    ['from_unixtime', "use datetime(n, 'unixepoch')"],
    ['last_day eomonth', "use date(col, 'start of month', '+1 month', '-1 day')"],
    ['string_agg listagg', "use group_concat(x, ', ') (string_agg needs SQLite 3.44 or later)"],
    ['array_agg json_agg jsonb_agg json_arrayagg', 'use json_group_array(x) (or group_concat(x) for text)'],
    ['json_object_agg jsonb_object_agg json_objectagg', 'use json_group_object(key, value)'],
    ['json_build_object jsonb_build_object', 'use json_object(key, value, …)'],
    ['concat_ws', "use a || ', ' || b (concat_ws needs SQLite 3.44 or later)"],
    ['isnull nvl', 'use ifnull(a, b) or coalesce(a, b); to test for NULL, write x IS NULL'],
    ['nvl2', 'use iif(a IS NOT NULL, b, c) or CASE WHEN a IS NOT NULL THEN b ELSE c END'],
    ['len char_length character_length', 'use length(x)'],
    ['charindex locate position strpos', 'use instr(string, substring): the string comes first'],
    ['left', 'use substr(x, 1, n)'],
    ['right', 'use substr(x, -n)'],
    ['greatest', 'use max(a, b, …): with two or more arguments it is the scalar maximum'],
    ['least', 'use min(a, b, …): with two or more arguments it is the scalar minimum'],
    ['stddev stddev_samp stddev_pop stdev stdevp std variance var_samp var_pop var varp',
      'it is not built in: compute it from averages, e.g. sqrt(avg(x * x) - avg(x) * avg(x)) for the population standard deviation'],
    ['regexp_like regexp_replace regexp_substr regexp_matches regexp_instr', "it has no regular expressions here: use LIKE or GLOB patterns (GLOB '[0-9]*')"],
    ['split_part substring_index', 'use substr() with instr()'],
    ['lcase', 'use lower(x)'],
    ['ucase', 'use upper(x)'],
    ['rand', 'use random() (a 64-bit integer: abs(random()) % 100 is 0–99)'],
    ['uuid newid gen_random_uuid', 'it has no UUID function: lower(hex(randomblob(16))) gives 32 random hex digits'],
    ['convert', 'use CAST(x AS type)'],
  ),
  constructs: {
    ilike: "use LIKE, which already ignores case for ASCII letters in SQLite (city LIKE 'san%'), or lower(city) LIKE 'san%'",
    extract: "use strftime: strftime('%Y', col) is the year as text, CAST(strftime('%m', col) AS INTEGER) the month as a number",
    interval: "use date and time modifiers: datetime('now', '-1 hour'), date(col, '+7 days'), datetime(col, '-1 month')",
    'cast-operator': 'use CAST(x AS type), e.g. CAST(col AS INTEGER), or date(col) for a date',
    top: LIMIT_AT_END,
    'offset-fetch': 'use LIMIT n OFFSET m',
    'hash-comment': 'comments start with -- or are written /* … */',
  },
};

const POSTGRES: Equivalents = {
  hasUserFunctions: true,
  functions: table(
    ['date_format strftime time_format datename', "use to_char(col, 'YYYY-MM-DD HH24:MI') (YYYY, MM, DD, HH24, MI, SS; 'Month', 'Day' for names)"],
    ['ifnull isnull nvl', 'use coalesce(a, b)'],
    ['nvl2 iif if', 'use CASE WHEN condition THEN a ELSE b END'],
    ['datediff timestampdiff julianday', "subtract: date_b - date_a is a number of days for dates; for timestamps, extract(epoch FROM b - a) is seconds and age(b, a) an interval"],
    ['dateadd date_sub adddate subdate timestampadd', "add or subtract an interval: col + INTERVAL '1 day', now() - INTERVAL '1 hour'"],
    ['date_add', "add an interval: col + INTERVAL '1 day' (date_add() needs PostgreSQL 16 or later)"],
    ['getdate sysdate sysdatetime systimestamp getutcdate utc_timestamp datetime', 'use now() or current_timestamp (current_date for today)'],
    ['curdate', 'use current_date'],
    ['curtime', 'use current_time (localtime without the time zone)'],
    ['year month day hour minute second quarter week weekday dayofweek dayofmonth dayofyear datepart',
      "use extract(year FROM col) or date_part('year', col) (month, day, hour, dow, doy, quarter, week)"],
    ['group_concat listagg', "use string_agg(x::text, ', ' ORDER BY x)"],
    ['json_group_array json_arrayagg', 'use json_agg(x) or jsonb_agg(x)'],
    ['json_group_object json_objectagg', 'use json_object_agg(key, value)'],
    ['json_extract', "use col -> 'key' (json) or col ->> 'key' (text), or jsonb_extract_path_text(col, 'key')"],
    ['len', 'use length(x) (octet_length for bytes)'],
    ['charindex locate instr', 'use strpos(string, substring) or position(substring IN string)'],
    ['substring_index', 'use split_part(string, delimiter, n)'],
    ['string_split', 'use string_to_table(string, delimiter) or string_to_array(string, delimiter)'],
    ['unix_timestamp unixepoch', 'use extract(epoch FROM col)'],
    ['from_unixtime', 'use to_timestamp(n)'],
    ['str_to_date', "use to_date(text, 'YYYY-MM-DD') or to_timestamp(text, 'YYYY-MM-DD HH24:MI:SS')"],
    ['last_day eomonth', "use (date_trunc('month', col) + INTERVAL '1 month - 1 day')::date"],
    ['rand', 'use random()'],
    ['truncate', 'use trunc(x, n)'],
    ['stdev', 'use stddev_samp(x)'],
    ['stdevp', 'use stddev_pop(x)'],
    ['var', 'use var_samp(x)'],
    ['varp', 'use var_pop(x)'],
    ['newid uuid', 'use gen_random_uuid()'],
    ['lcase', 'use lower(x)'],
    ['ucase', 'use upper(x)'],
  ),
  constructs: {
    backticks: 'quote names with double quotes: "order", "Customer Name" (quoted names are case-sensitive)',
    brackets: 'quote names with double quotes: "order", "Customer Name" (quoted names are case-sensitive)',
    top: `${LIMIT_AT_END} (or FETCH FIRST 5 ROWS ONLY)`,
    'interval-number': "write the number and the unit in one string: now() - INTERVAL '1 hour', col + INTERVAL '3 days'",
    'limit-comma': 'write LIMIT count OFFSET skip: LIMIT 10, 20 is LIMIT 20 OFFSET 10',
  },
};

const MYSQL: Equivalents = {
  hasUserFunctions: true,
  functions: table(
    ['date_trunc', "use DATE_FORMAT(col, '%Y-%m-01') for the month, DATE(col) for the day, MAKEDATE(YEAR(col), 1) for the year"],
    ['to_char strftime', "use DATE_FORMAT(col, '%Y-%m-%d %H:%i') (%Y %m %d %H %i %s; TO_CHAR exists only in MariaDB 10.6 and later)"],
    ['string_agg listagg array_agg', "use GROUP_CONCAT(x ORDER BY x SEPARATOR ', ')"],
    ['getdate sysdatetime systimestamp datetime', 'use NOW() or CURRENT_TIMESTAMP (CURDATE() for today)'],
    ['getutcdate', 'use UTC_TIMESTAMP()'],
    ['dateadd', 'use DATE_ADD(col, INTERVAL 1 DAY) or col + INTERVAL 1 DAY'],
    ['add_months', 'use DATE_ADD(col, INTERVAL n MONTH) (ADD_MONTHS exists only in MariaDB 10.6 and later)'],
    ['datediff', 'it takes two dates and counts the days from the second to the first; for other units use TIMESTAMPDIFF(HOUR, start, end)'],
    ['age', 'use TIMESTAMPDIFF(YEAR, b, a) or DATEDIFF(a, b)'],
    ['julianday', 'use TO_DAYS(col) or DATEDIFF(a, b)'],
    ['unixepoch', 'use UNIX_TIMESTAMP(col)'],
    ['date_part datepart', 'use EXTRACT(YEAR FROM col) or YEAR(col), MONTH(col), DAY(col), HOUR(col)'],
    ['datename', 'use DAYNAME(col), MONTHNAME(col) or DATE_FORMAT(col, …)'],
    ['to_date to_timestamp', "use STR_TO_DATE(text, '%Y-%m-%d')"],
    ['eomonth', 'use LAST_DAY(col)'],
    ['len', 'use CHAR_LENGTH(x) (LENGTH counts bytes)'],
    ['charindex strpos', 'use LOCATE(substring, string) or INSTR(string, substring)'],
    ['isnull nvl', 'use IFNULL(a, b) or COALESCE(a, b) (MySQL\'s ISNULL(x) only tests x for NULL)'],
    ['nvl2 iif', 'use IF(condition, a, b) or CASE WHEN … THEN … ELSE … END'],
    ['median percentile_cont percentile_disc', 'MySQL has none (MariaDB has them as window functions): number the rows with ROW_NUMBER() OVER (ORDER BY x) and COUNT(*) OVER () and pick the middle'],
    ['trunc', 'use TRUNCATE(x, 0)'],
    ['random', 'use RAND()'],
    ['stdev', 'use STDDEV_SAMP(x)'],
    ['stdevp', 'use STDDEV_POP(x)'],
    ['var', 'use VAR_SAMP(x)'],
    ['varp', 'use VAR_POP(x)'],
    ['newid gen_random_uuid', 'use UUID()'],
    ['json_agg jsonb_agg json_group_array', 'use JSON_ARRAYAGG(x)'],
    ['json_object_agg jsonb_object_agg json_group_object', 'use JSON_OBJECTAGG(key, value)'],
    ['json_build_object jsonb_build_object', 'use JSON_OBJECT(key, value, …)'],
    ['split_part', 'use SUBSTRING_INDEX(SUBSTRING_INDEX(string, delimiter, n), delimiter, -1)'],
    ['generate_series', 'use a recursive CTE: WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10) SELECT n FROM s'],
  ),
  constructs: {
    ilike: LIKE_IGNORES_CASE,
    'cast-operator': 'use CAST(x AS type), e.g. CAST(col AS DATE), CAST(x AS SIGNED)',
    top: LIMIT_AT_END,
    brackets: 'quote names with backticks: `order`, `Customer Name`',
    'interval-text': 'put the unit outside the string: NOW() - INTERVAL 1 HOUR, DATE_SUB(col, INTERVAL 7 DAY)',
    'offset-fetch': 'use LIMIT n OFFSET m',
  },
};

const MSSQL: Equivalents = {
  hasUserFunctions: true,
  functions: table(
    ['now sysdate localtimestamp systimestamp datetime', 'use GETDATE() or SYSDATETIME() (CAST(GETDATE() AS date) for today)'],
    ['utc_timestamp', 'use GETUTCDATE() or SYSUTCDATETIME()'],
    ['curdate', 'use CAST(GETDATE() AS date)'],
    ['curtime', 'use CAST(GETDATE() AS time)'],
    ['date_trunc datetrunc',
      'use DATEADD(month, DATEDIFF(month, 0, col), 0) or DATEFROMPARTS(YEAR(col), MONTH(col), 1) (DATETRUNC exists only in SQL Server 2022 and later)'],
    ['ifnull nvl', 'use ISNULL(a, b) or COALESCE(a, b)'],
    ['if nvl2', 'use IIF(condition, a, b) or CASE WHEN … THEN … ELSE … END'],
    ['group_concat listagg array_agg string_agg',
      "use STRING_AGG(x, ', ') WITHIN GROUP (ORDER BY x) (SQL Server 2017 and later; before that, STUFF((SELECT ', ' + x … FOR XML PATH('')), 1, 2, ''))"],
    ['length char_length character_length', 'use LEN(x) (DATALENGTH for bytes)'],
    ['substr', 'use SUBSTRING(x, start, length)'],
    ['instr locate strpos position', 'use CHARINDEX(substring, string)'],
    ['date_format to_char strftime', "use FORMAT(col, 'yyyy-MM-dd HH:mm') or CONVERT(varchar(10), col, 23)"],
    ['date_part extract hour minute second quarter week weekday dayofweek dayofmonth dayofyear',
      'use DATEPART(hour, col) (year, quarter, month, day, week, weekday, dayofyear, minute, second), or YEAR(col), MONTH(col), DAY(col)'],
    ['date_add date_sub adddate subdate timestampadd add_months', 'use DATEADD(day, 1, col) (units: year, month, day, hour, minute, second)'],
    ['timestampdiff age julianday', 'use DATEDIFF(day, start, end) (DATEDIFF_BIG for seconds over long spans)'],
    ['datediff', 'it takes a unit first: DATEDIFF(day, start, end)'],
    ['unix_timestamp unixepoch', "use DATEDIFF_BIG(second, '1970-01-01', col)"],
    ['from_unixtime', "use DATEADD(second, n, '1970-01-01')"],
    ['str_to_date to_date to_timestamp', 'use CONVERT(date, text, 23) or TRY_CONVERT(datetime2, text)'],
    ['last_day', 'use EOMONTH(col)'],
    ['greatest least', 'GREATEST and LEAST exist only in SQL Server 2022 and later: use CASE WHEN a > b THEN a ELSE b END, or (SELECT MAX(v) FROM (VALUES (a), (b)) AS t(v))'],
    ['random', 'use RAND(), or ORDER BY NEWID() for a random order'],
    ['ceil', 'use CEILING(x)'],
    ['trunc truncate', 'use ROUND(x, n, 1) (a third argument other than 0 truncates)'],
    ['mod', 'use a % b'],
    ['pow', 'use POWER(x, y)'],
    ['ln', 'use LOG(x)'],
    ['lcase', 'use LOWER(x)'],
    ['ucase', 'use UPPER(x)'],
    ['lpad', "use RIGHT(REPLICATE('0', n) + x, n)"],
    ['rpad', "use LEFT(x + REPLICATE(' ', n), n)"],
    ['json_extract', "use JSON_VALUE(col, '$.key') (JSON_QUERY for objects and arrays)"],
    ['uuid gen_random_uuid', 'use NEWID()'],
    ['median', 'use PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) OVER ()'],
    ['stddev stddev_samp', 'use STDEV(x)'],
    ['stddev_pop', 'use STDEVP(x)'],
    ['variance var_samp', 'use VAR(x)'],
    ['var_pop', 'use VARP(x)'],
    ['date', 'use CAST(col AS date)'],
  ),
  constructs: {
    ilike: LIKE_IGNORES_CASE,
    extract: 'use DATEPART(year, col) or YEAR(col), MONTH(col), DAY(col)',
    interval: 'use DATEADD: DATEADD(hour, -1, SYSDATETIME()), DATEADD(day, 7, col)',
    'cast-operator': 'use CAST(x AS type) or CONVERT(type, x)',
    limit: 'use SELECT TOP (n) … ORDER BY …, or ORDER BY … OFFSET m ROWS FETCH NEXT n ROWS ONLY',
    'limit-comma': 'use ORDER BY … OFFSET m ROWS FETCH NEXT n ROWS ONLY',
    backticks: 'quote names with [brackets] or double quotes: [order], [Customer Name]',
  },
};

const EQUIVALENTS: Readonly<Record<DialectName, Equivalents>> = { sqlite: SQLITE, postgres: POSTGRES, mysql: MYSQL, mssql: MSSQL };

/**
 * What `name` (another dialect's function, or one of this dialect's that is easy to call wrongly) is written as in
 * this dialect: "use strftime(…)", "it takes a unit first: …". Undefined when the table has nothing. Ignores case.
 */
export function functionEquivalent(dialect: DialectName, name: string): string | undefined {
  return EQUIVALENTS[dialect].functions.get(name.toLowerCase());
}

/**
 * "SQLite has no function date_trunc(): use strftime(…)." for a function the dialect lacks, or undefined. Only for
 * a name known to be missing (the gate did not find it among the built-ins, or the database said so). `shown` is
 * the name as written.
 */
export function adviseOnFunction(target: AdviceTarget, shown: string): string | undefined {
  const advice = functionEquivalent(target.name, shown);
  return advice === undefined ? undefined : `${target.displayName} has no function ${shown}(): ${advice}.`;
}

/**
 * "ISNULL(): …" for a function this dialect has but that was called another dialect's way (the server said the
 * argument count is wrong), or undefined when the table has nothing to say about it.
 */
export function adviseOnMiscountedCall(target: AdviceTarget, name: string): string | undefined {
  const advice = functionEquivalent(target.name, name);
  return advice === undefined ? undefined : `${name.toUpperCase()}(): ${advice}.`;
}

/** "SQLite has no ILIKE: use LIKE …." for syntax of another dialect, or undefined where the dialect has it. */
export function adviseOnConstruct(target: AdviceTarget, construct: ForeignConstruct): string | undefined {
  const advice = EQUIVALENTS[target.name].constructs[construct];
  return advice === undefined ? undefined : `${target.displayName} has no ${CONSTRUCT_NAMES[construct]}: ${advice}.`;
}

/** False where a name that is not a built-in cannot be a function of the database either (see Equivalents). */
export function canHaveUserFunctions(dialect: DialectName): boolean {
  return EQUIVALENTS[dialect].hasUserFunctions;
}
