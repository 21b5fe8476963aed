/** SQL Server error numbers and tedious failures → sqlgate errors, with the messages tedious really builds. */
import tedious from 'tedious';
import { describe, expect, it } from 'vitest';
import { MssqlConnectError, mssqlToError } from '../../../src/db/mssql/mssql-errors.js';
import { LoginRefusedError, SqlgateError } from '../../../src/errors.js';
import { PoolClosedError } from '../../../src/util/resource-pool.js';

const READ_ONLY = { readOnly: true };
const WRITABLE = { readOnly: false };

/** A server error as tedious's request token handler builds it from an ERROR token. */
function serverError(number: number, message: string): Error {
  return Object.assign(new tedious.RequestError(message, 'EREQUEST'), { number, state: 1, class: 16, serverName: 'db-prod-7', lineNumber: 1 });
}

describe('mssqlToError', () => {
  it('keeps the server message for statement errors, with a hint per kind', () => {
    const syntax = mssqlToError(serverError(102, "Incorrect syntax near 'SELEC'."), READ_ONLY);
    expect(syntax.code).toBe('SG_QUERY_FAILED');
    expect(syntax.message).toBe("SQL Server error 102: Incorrect syntax near 'SELEC'.");
    expect(syntax.hint).toContain('TOP (n)');
    for (const number of [156, 170]) expect(mssqlToError(serverError(number, 'Incorrect syntax near the keyword'), READ_ONLY).hint).toContain('TOP (n)');

    const column = mssqlToError(serverError(207, "Invalid column name 'no_such_column'."), READ_ONLY);
    expect(column).toMatchObject({ code: 'SG_QUERY_FAILED', message: "SQL Server error 207: Invalid column name 'no_such_column'." });
    expect(column.hint).toContain('describe_table');
    expect(mssqlToError(serverError(208, "Invalid object name 'nope'."), READ_ONLY).hint).toContain('list_tables');

    const conversion = mssqlToError(serverError(8114, 'Error converting data type nvarchar to bigint.'), READ_ONLY);
    expect(conversion.code).toBe('SG_QUERY_FAILED');
    expect(conversion.hint).toContain('TRY_CAST');
    expect(mssqlToError(serverError(137, 'Must declare the scalar variable "@p3".'), READ_ONLY).hint).toContain('@p1');
  });

  it('says what T-SQL writes instead when SQL Server rejects another dialect\'s function or syntax', () => {
    const now = mssqlToError(serverError(195, "'now' is not a recognized built-in function name."), READ_ONLY);
    expect(now).toMatchObject({ code: 'SG_QUERY_FAILED', message: "SQL Server error 195: 'now' is not a recognized built-in function name." });
    expect(now.hint).toBe('SQL Server has no function now(): use GETDATE() or SYSDATETIME() (CAST(GETDATE() AS date) for today).');
    // DATETRUNC is a built-in only from SQL Server 2022 on.
    expect(mssqlToError(serverError(195, "'DATETRUNC' is not a recognized built-in function name."), READ_ONLY).hint).toContain('DATEADD(month, DATEDIFF(month, 0, col), 0)');
    expect(mssqlToError(serverError(174, 'The datediff function requires 3 argument(s).'), READ_ONLY).hint).toBe('DATEDIFF(): it takes a unit first: DATEDIFF(day, start, end).');
    expect(mssqlToError(serverError(102, "Incorrect syntax near '::'."), READ_ONLY).hint).toMatch(/^SQL Server has no :: cast operator: use CAST\(x AS type\)/);
    expect(mssqlToError(serverError(102, "Incorrect syntax near 'LIMIT'."), READ_ONLY).hint).toMatch(/^SQL Server has no LIMIT: use SELECT TOP \(n\)/);
    // A name no other dialect has keeps the general hint.
    expect(mssqlToError(serverError(195, "'no_such_fn' is not a recognized built-in function name."), READ_ONLY).hint).toContain('describe_table');
  });

  it('gives incompatible operand types their own hint', () => {
    const clash = mssqlToError(serverError(402, 'The data types int and text are incompatible in the equal to operator.'), READ_ONLY);
    expect(clash).toMatchObject({ code: 'SG_QUERY_FAILED', hint: expect.stringContaining('CAST or TRY_CAST') });
    expect(mssqlToError(serverError(206, 'Operand type clash: int is incompatible with date'), READ_ONLY).hint).toBe(clash.hint);
  });

  it('never shows the server name the error carries', () => {
    const error = mssqlToError(serverError(208, "Invalid object name 'x'."), READ_ONLY);
    expect(error.publicText).not.toContain('db-prod-7');
  });

  it('reports the first numbered error of several', () => {
    const aggregate = new AggregateError([serverError(8134, 'Divide by zero error encountered.'), serverError(3621, 'The statement has been terminated.')]);
    expect(mssqlToError(aggregate, READ_ONLY).message).toBe('SQL Server error 8134: Divide by zero error encountered.');
  });

  it('maps a read-only database to SG_READ_ONLY everywhere', () => {
    const error = mssqlToError(serverError(3906, 'Failed to update database "Sales" because the database is read-only.'), WRITABLE);
    expect(error.code).toBe('SG_READ_ONLY');
    expect(error.detail).toContain('3906');
  });

  it('maps a denied write permission to SG_READ_ONLY in a read-only environment, SG_FORBIDDEN otherwise', () => {
    const insert = serverError(229, "The INSERT permission was denied on the object 'customers', database 'Sales', schema 'dbo'.");
    expect(mssqlToError(insert, READ_ONLY).code).toBe('SG_READ_ONLY');
    expect(mssqlToError(insert, WRITABLE)).toMatchObject({ code: 'SG_FORBIDDEN', message: expect.stringContaining('INSERT permission') });
    expect(mssqlToError(serverError(262, "CREATE TABLE permission denied in database 'Sales'."), READ_ONLY).code).toBe('SG_READ_ONLY');
    const select = serverError(229, "The SELECT permission was denied on the object 'salaries', database 'Sales', schema 'hr'.");
    expect(mssqlToError(select, READ_ONLY)).toMatchObject({
      code: 'SG_FORBIDDEN',
      message: "SQL Server error 229: The SELECT permission was denied on the object 'salaries', database 'Sales', schema 'hr'.",
      hint: expect.stringContaining('operator'),
    });
    expect(mssqlToError(serverError(230, "The SELECT permission was denied on the column 'ssn' of the object 'people'."), READ_ONLY).code).toBe('SG_FORBIDDEN');
    expect(mssqlToError(serverError(229, "The EXECUTE permission was denied on the object 'p'."), READ_ONLY).code).toBe('SG_FORBIDDEN');
  });

  it('treats statements refused inside sqlgate\'s transaction as writes in a read-only environment', () => {
    const inTransaction = serverError(226, 'ALTER DATABASE statement not allowed within multi-statement transaction.');
    expect(mssqlToError(inTransaction, READ_ONLY).code).toBe('SG_READ_ONLY');
    expect(mssqlToError(inTransaction, WRITABLE)).toMatchObject({ code: 'SG_QUERY_FAILED', hint: expect.stringContaining('transaction') });
    expect(mssqlToError(serverError(266, 'Transaction count after EXECUTE indicates a mismatching number of BEGIN and COMMIT statements.'), READ_ONLY).code).toBe('SG_READ_ONLY');
  });

  it('maps lock timeouts, deadlocks and snapshot conflicts to SG_BUSY', () => {
    for (const number of [1222, 1205, 3960, 3961]) {
      const error = mssqlToError(serverError(number, 'Lock request time out period exceeded.'), READ_ONLY);
      expect(error.code, String(number)).toBe('SG_BUSY');
      expect(error.hint).toContain('Retry');
    }
  });

  it('maps login failures to SG_DB_UNAVAILABLE without the login name', () => {
    const login = new MssqlConnectError('ELOGIN', 18456, { cause: new tedious.ConnectionError("Login failed for user 'reader'.", 'ELOGIN') });
    const error = mssqlToError(login, READ_ONLY);
    expect(error).toMatchObject({ code: 'SG_DB_UNAVAILABLE', message: expect.stringContaining('authentication failed') });
    expect(error.publicText).not.toContain('reader');
    expect(error.detail).toContain('18456');
    // Without the number (tedious alone), the message still tells a failed login.
    const bare = mssqlToError(new tedious.ConnectionError("Login failed for user 'reader'.", 'ELOGIN'), READ_ONLY);
    expect(bare.message).toContain('authentication failed');
    expect(bare.publicText).not.toContain('reader');
    const database = mssqlToError(new MssqlConnectError('ELOGIN', 4060, { cause: new Error('Cannot open database "Secret" requested by the login.') }), READ_ONLY);
    expect(database.code).toBe('SG_DB_UNAVAILABLE');
    expect(database.publicText).not.toContain('Secret');
    // Refusals, told apart from a server that is down (ping's failure, doctor's verdict).
    expect([error, bare].map((e) => (e as LoginRefusedError).refused)).toEqual(['authentication', 'authentication']);
    expect(database).toMatchObject({ refused: 'database' });
    const locked = mssqlToError(new MssqlConnectError('ELOGIN', 18486, { cause: new Error("Login failed for user 'reader' because the account is currently locked out.") }), READ_ONLY);
    expect(locked).toMatchObject({ code: 'SG_DB_UNAVAILABLE', refused: 'authentication' });
    const down = mssqlToError(new tedious.ConnectionError('Failed to connect to db.internal:1433 - connect ECONNREFUSED', 'ESOCKET'), READ_ONLY);
    expect(down.code).toBe('SG_DB_UNAVAILABLE');
    expect(down).not.toBeInstanceOf(LoginRefusedError);
  });

  it('maps socket failures to SG_DB_UNAVAILABLE with the host only in the detail', () => {
    const refused = new tedious.ConnectionError('Failed to connect to db.internal:1433 - connect ECONNREFUSED 10.1.2.3:1433', 'ESOCKET');
    const error = mssqlToError(new MssqlConnectError('ESOCKET', undefined, { cause: refused }), READ_ONLY);
    expect(error).toMatchObject({ code: 'SG_DB_UNAVAILABLE', message: 'SQL Server cannot be reached.' });
    expect(error.publicText).not.toMatch(/db\.internal|10\.1\.2\.3/);
    expect(error.detail).toContain('db.internal:1433');

    const connectTimeout = mssqlToError(new tedious.ConnectionError('Failed to connect to db.internal:1433 in 15000ms', 'ETIMEOUT'), READ_ONLY);
    expect(connectTimeout).toMatchObject({ code: 'SG_DB_UNAVAILABLE', message: expect.stringContaining('connect timeout') });
    expect(mssqlToError(new tedious.ConnectionError('Connection lost - read ECONNRESET', 'ESOCKET'), READ_ONLY).message).toContain('lost');
    expect(mssqlToError(new tedious.ConnectionError('Failed to cancel request in 5000ms', 'ETIMEOUT'), READ_ONLY).message).toContain('lost');
    // The server closed the socket under a request: tedious fails it with its own bare 'socket hang up'.
    const hangUp = mssqlToError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), READ_ONLY);
    expect(hangUp).toMatchObject({ code: 'SG_DB_UNAVAILABLE', message: 'The connection to SQL Server was lost.' });
    expect(mssqlToError(new tedious.ConnectionError('Port for X not found in db.internal', 'EINSTLOOKUP'), READ_ONLY).hint).toContain('SQL Server Browser');
  });

  it('tells a TLS certificate failure apart', () => {
    const cause = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const tls = new tedious.ConnectionError('Failed to connect to db.internal:1433 - self-signed certificate', 'ESOCKET', { cause });
    const error = mssqlToError(tls, READ_ONLY);
    expect(error).toMatchObject({ code: 'SG_DB_UNAVAILABLE', message: expect.stringContaining('TLS certificate') });
    expect(error.hint).toContain('tls.ca_file');
  });

  it('maps a request timeout, a cancel and a closed pool', () => {
    expect(mssqlToError(new tedious.RequestError('Timeout: Request failed to complete in 500ms', 'ETIMEOUT'), READ_ONLY).code).toBe('SG_TIMEOUT');
    expect(mssqlToError(new tedious.RequestError('Canceled.', 'ECANCEL'), READ_ONLY).code).toBe('SG_CANCELLED');
    expect(mssqlToError(new PoolClosedError(), READ_ONLY).code).toBe('SG_DB_UNAVAILABLE');
    expect(mssqlToError(new tedious.RequestError('Requests can only be made in the LoggedIn state, not the Final state', 'EINVALIDSTATE'), READ_ONLY).code).toBe('SG_DB_UNAVAILABLE');
  });

  it('passes sqlgate errors through and hides anything unknown', () => {
    const own = new SqlgateError('SG_ROW_LIMIT', 'too many');
    expect(mssqlToError(own, READ_ONLY)).toBe(own);
    const unknown = mssqlToError(new Error('something at /srv/secret/path'), READ_ONLY);
    expect(unknown.code).toBe('SG_INTERNAL');
    expect(unknown.publicText).not.toContain('/srv/secret');
  });
});

describe('mssqlToError on Babelfish for PostgreSQL', () => {
  const BABELFISH_UNMAPPED = 33557097;
  const babelfish = (message: string, context = READ_ONLY) => mssqlToError(serverError(BABELFISH_UNMAPPED, message), context);
  const sqlServer = (number: number, message: string, context = READ_ONLY) => mssqlToError(serverError(number, message), context);

  // PostgreSQL's words as Babelfish sends them under 33557097, and what SQL Server says for the same mistake.
  const SAME_MISTAKE: [postgres: string, sqlServerNumber: number, sqlServerMessage: string][] = [
    ['column "nme" does not exist', 207, "Invalid column name 'nme'."],
    ['column o.nme does not exist', 207, "Invalid column name 'nme'."],
    ['column "nme" of relation "orders" does not exist', 207, "Invalid column name 'nme'."],
    ['column reference "id" is ambiguous', 209, "Ambiguous column name 'id'."],
    ['relation "ordrs" does not exist', 208, "Invalid object name 'ordrs'."],
    ['missing FROM-clause entry for table "o"', 4104, 'The multi-part identifier "o.id" could not be bound.'],
    ['syntax error at or near "SELEC"', 102, "Incorrect syntax near 'SELEC'."],
    ['syntax error at end of input', 102, "Incorrect syntax near ')'."],
    ['syntax error at or near "LIMIT"', 102, "Incorrect syntax near 'LIMIT'."],
    ['syntax error at or near "::"', 102, "Incorrect syntax near '::'."],
    ['invalid input syntax for type integer: "abc"', 245, "Conversion failed when converting the varchar value 'abc' to data type int."],
    ['date/time field value out of range: "2024-13-45"', 242, 'The conversion of a varchar data type to a datetime data type resulted in an out-of-range value.'],
    ['integer out of range', 8115, 'Arithmetic overflow error converting expression to data type int.'],
    ['numeric field overflow', 8115, 'Arithmetic overflow error converting numeric to data type numeric.'],
    ['division by zero', 8134, 'Divide by zero error encountered.'],
    ['value too long for type character varying(10)', 8152, 'String or binary data would be truncated.'],
    ['duplicate key value violates unique constraint "orders_pkey"', 2627, "Violation of PRIMARY KEY constraint 'PK_orders'. Cannot insert duplicate key in object 'dbo.orders'."],
    ['null value in column "x" of relation "t" violates not-null constraint', 515, "Cannot insert the value NULL into column 'x', table 'db.dbo.t'; column does not allow nulls. INSERT fails."],
    ['null value in column "x" violates not-null constraint', 515, "Cannot insert the value NULL into column 'x', table 'db.dbo.t'; column does not allow nulls. INSERT fails."],
    ['insert or update on table "orders" violates foreign key constraint "orders_customer_fk"', 547, 'The INSERT statement conflicted with the FOREIGN KEY constraint "orders_customer_fk".'],
    ['new row for relation "orders" violates check constraint "orders_total_check"', 547, 'The INSERT statement conflicted with the CHECK constraint "orders_total_check".'],
    ['function foo(integer) does not exist', 195, "'foo' is not a recognized built-in function name."],
    ['function now() does not exist', 195, "'now' is not a recognized built-in function name."],
    ['function sys.date_trunc(unknown, timestamp without time zone) does not exist', 195, "'date_trunc' is not a recognized built-in function name."],
    ['procedure nope() does not exist', 2812, "Could not find stored procedure 'nope'."],
    ['operator does not exist: integer = text', 402, 'The data types int and text are incompatible in the equal to operator.'],
  ];

  it('reads the PostgreSQL wording of an unmapped error as the SQL Server error it stands for: same code, same hint', () => {
    for (const [postgres, number, message] of SAME_MISTAKE) {
      const fromBabelfish = babelfish(postgres);
      const fromSqlServer = sqlServer(number, message);
      expect(fromBabelfish.code, postgres).toBe('SG_QUERY_FAILED');
      expect(fromBabelfish.hint, postgres).toBe(fromSqlServer.hint);
      expect(fromBabelfish.message).toBe(`SQL Server error 33557097: ${postgres}`);
    }
  });

  it('gives each kind of mistake its hint, and another dialect\'s function or syntax what T-SQL writes instead', () => {
    expect(babelfish('column "nme" does not exist').hint).toContain('describe_table');
    expect(babelfish('relation "ordrs" does not exist').hint).toContain('list_tables');
    expect(babelfish('syntax error at or near "SELEC"').hint).toContain('TOP (n)');
    expect(babelfish('invalid input syntax for type integer: "abc"').hint).toContain('TRY_CAST');
    expect(babelfish('duplicate key value violates unique constraint "orders_pkey"').hint).toContain('constraint');
    expect(babelfish('function now() does not exist').hint).toBe('SQL Server has no function now(): use GETDATE() or SYSDATETIME() (CAST(GETDATE() AS date) for today).');
    expect(babelfish('function foo(integer) does not exist').hint).toContain('list_tables');
    expect(babelfish('syntax error at or near "LIMIT"').hint).toMatch(/^SQL Server has no LIMIT: use SELECT TOP \(n\)/);
    expect(babelfish('operator does not exist: integer = text').hint).toContain('CAST or TRY_CAST');
  });

  it('treats a PostgreSQL permission refusal like SQL Server\'s: SG_FORBIDDEN, and SG_READ_ONLY only where it names a change', () => {
    for (const message of ['permission denied for table orders', 'permission denied for view v_salaries', 'permission denied for schema hr', 'permission denied for function f']) {
      // The wording does not say which permission; in a read-only environment the gate let only a read through.
      for (const context of [READ_ONLY, WRITABLE]) {
        expect(babelfish(message, context), message).toMatchObject({
          code: 'SG_FORBIDDEN',
          message: `SQL Server error 33557097: ${message}`,
          hint: expect.stringContaining('operator'),
        });
      }
    }
    // Ownership is what ALTER and DROP need: a change, refused by the login of a read-only environment.
    expect(babelfish('must be owner of table orders', READ_ONLY).code).toBe('SG_READ_ONLY');
    expect(babelfish('must be owner of table orders', WRITABLE).code).toBe('SG_FORBIDDEN');
  });

  it('maps a read-only replica, deadlocks, lock timeouts and serialization failures like their SQL Server errors', () => {
    const readOnly = babelfish('cannot execute INSERT in a read-only transaction', WRITABLE);
    expect(readOnly).toMatchObject({ code: 'SG_READ_ONLY', detail: 'SQL Server error 33557097: cannot execute INSERT in a read-only transaction' });
    for (const message of ['deadlock detected', 'canceling statement due to lock timeout', 'could not serialize access due to concurrent update']) {
      expect(babelfish(message), message).toMatchObject({ code: 'SG_BUSY', hint: expect.stringContaining('Retry') });
    }
    expect(babelfish('deadlock detected').message).toBe(sqlServer(1205, 'Transaction was deadlocked.').message);
  });

  it('says so when Babelfish does not implement the T-SQL, and keeps the general hint for wording it does not know', () => {
    const unsupported = babelfish("'UNPIVOT' is not currently supported in Babelfish");
    expect(unsupported).toMatchObject({ code: 'SG_QUERY_FAILED', hint: expect.stringContaining('Babelfish') });
    expect(babelfish('could not open file "base/1/2": No such file or directory')).toMatchObject({
      code: 'SG_QUERY_FAILED',
      hint: 'Check the statement against describe_table; send one statement per call.',
    });
  });

  it('reads PostgreSQL wording only under Babelfish\'s unmapped number', () => {
    // A statement's own THROW 50000 with such a text is the statement's error, not a refused permission.
    expect(sqlServer(50000, 'permission denied for table orders')).toMatchObject({ code: 'SG_QUERY_FAILED', message: 'SQL Server error 50000: permission denied for table orders' });
  });
});
