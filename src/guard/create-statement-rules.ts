/**
 * Builds the statement gate's rules for an environment's dialect. Parsers load once per dialect and flavor and are
 * shared by every environment that uses them (the rules hold no per-environment state), with one verdict cache each
 * (cached-rules.ts).
 */
import type { DatabaseTarget } from '../config/database-url.js';
import { withVerdictCache } from './cached-rules.js';
import { createMssqlRules } from './rules/mssql-rules.js';
import { createMysqlRules } from './rules/mysql-rules.js';
import { createPostgresRules } from './rules/postgres-rules.js';
import { createSqliteRules } from './rules/sqlite-rules.js';
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

function load(target: DatabaseTarget): Promise<StatementRules> {
  switch (target.dialect) {
    case 'postgres':
      return createPostgresRules();
    case 'mysql':
      return createMysqlRules({ flavor: target.flavor === 'mariadb' ? 'mariadb' : 'mysql' });
    case 'mssql':
      return createMssqlRules();
    case 'sqlite':
      return createSqliteRules();
  }
}
