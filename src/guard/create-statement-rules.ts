/**
 * Builds the statement gate's rules for an environment's dialect. Parsers load once per dialect and flavor and are
 * shared by every environment that uses them (the rules hold no per-environment state), with one verdict cache each
 * (cached-rules.ts).
 *
 * A dialect's rules module (and its parser) is imported only when an environment of that dialect is configured:
 * libpg-query's WebAssembly and node-sql-parser's grammars cost tens of MB each, and a PostgreSQL-only deployment
 * needs none of the others (issue 12).
 */
import type { DatabaseTarget } from '../config/database-url.js';
import { withVerdictCache } from './cached-rules.js';
import type { StatementRules } from './statement-gate.js';

export class StatementRulesCache {
  private readonly loaded = new Map<string, Promise<StatementRules>>();

  rulesFor(target: DatabaseTarget): Promise<StatementRules> {
    const key = target.dialect === 'mysql' ? `mysql:${target.flavor}` : target.dialect;
    let rules = this.loaded.get(key);
    if (!rules) {
      rules = load(target).then(withVerdictCache);
      this.loaded.set(key, rules);
    }
    return rules;
  }
}

async function load(target: DatabaseTarget): Promise<StatementRules> {
  switch (target.dialect) {
    case 'postgres':
      return (await import('./rules/postgres-rules.js')).createPostgresRules();
    case 'mysql':
      return (await import('./rules/mysql-rules.js')).createMysqlRules({ flavor: target.flavor === 'mariadb' ? 'mariadb' : 'mysql' });
    case 'mssql':
      return (await import('./rules/mssql-rules.js')).createMssqlRules();
    case 'sqlite':
      return (await import('./rules/sqlite-rules.js')).createSqliteRules();
  }
}
