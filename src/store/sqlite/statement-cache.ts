/**
 * better-sqlite3 compiles a statement on every `prepare()`, and the state store's reads run on every request (a
 * personal access token and its user are looked up for each MCP call: compiling those took far longer than running
 * them, issue 12). A store keeps its statements by their text instead. Only for statements run with get/all/run:
 * an `iterate()` in progress keeps its statement busy, and a second one of the same text would then fail.
 */
import type Database from 'better-sqlite3';

export function cachedStatements(db: Database.Database): (sql: string) => Database.Statement {
  const statements = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
}
