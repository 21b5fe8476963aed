/**
 * Parses an environment's `database` URL into a typed target.
 *
 * Accepted schemes: `sqlite:` (path after the colon; `sqlite:///abs` and `sqlite://./rel` too), `postgres://` and
 * `postgresql://`, `mysql://` and `mariadb://` (one dialect, two flavors), `sqlserver://` and `mssql://`.
 * Errors never repeat the password: `maskDatabaseUrl` is what goes into messages.
 */
import path from 'node:path';

export type DialectName = 'postgres' | 'mysql' | 'sqlite' | 'mssql';

export interface SqliteTarget {
  readonly dialect: 'sqlite';
  /** Absolute path of the database file. */
  readonly file: string;
}

export interface NetworkTarget {
  readonly dialect: 'postgres' | 'mysql' | 'mssql';
  /** For mysql: which server family the URL named. The wire protocol and driver are the same. */
  readonly flavor: 'postgres' | 'mysql' | 'mariadb' | 'mssql';
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Query-string parameters, keys lower-cased (sslmode, encrypt, trustservercertificate, …). */
  readonly params: Readonly<Record<string, string>>;
}

export type DatabaseTarget = SqliteTarget | NetworkTarget;

const SCHEMES: Record<string, { dialect: NetworkTarget['dialect']; flavor: NetworkTarget['flavor']; port: number }> = {
  'postgres:': { dialect: 'postgres', flavor: 'postgres', port: 5432 },
  'postgresql:': { dialect: 'postgres', flavor: 'postgres', port: 5432 },
  'mysql:': { dialect: 'mysql', flavor: 'mysql', port: 3306 },
  'mariadb:': { dialect: 'mysql', flavor: 'mariadb', port: 3306 },
  'sqlserver:': { dialect: 'mssql', flavor: 'mssql', port: 1433 },
  'mssql:': { dialect: 'mssql', flavor: 'mssql', port: 1433 },
};

export const SUPPORTED_SCHEMES = ['sqlite:', ...Object.keys(SCHEMES)];

/** Replaces the password of a URL with `****` so it can appear in messages and logs. */
export function maskDatabaseUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)([^@]*)@/i, '$1****@');
}

/** Result of parsing: the target, or a sentence saying what is wrong (the caller adds the key path). */
export type ParseResult = { ok: true; target: DatabaseTarget } | { ok: false; problem: string };

/**
 * Parses a database URL. `baseDir` resolves relative SQLite paths (the working directory, so that
 * `sqlite:./data/demo.sqlite` means what it says when typed in a shell).
 */
export function parseDatabaseUrl(url: string, baseDir: string): ParseResult {
  const trimmed = url.trim();
  const schemeMatch = /^([a-z][a-z0-9+.-]*:)/i.exec(trimmed);
  const scheme = schemeMatch?.[1]?.toLowerCase();
  if (!scheme || (scheme !== 'sqlite:' && !(scheme in SCHEMES))) {
    return { ok: false, problem: `expected a URL starting with one of ${SUPPORTED_SCHEMES.join(' ')}` };
  }
  if (scheme === 'sqlite:') {
    let rest = trimmed.slice('sqlite:'.length);
    if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs/path → /abs/path; sqlite://./x → ./x
    if (rest === '' || rest === ':memory:') {
      return { ok: false, problem: 'expected a file path after "sqlite:" (in-memory databases are not served)' };
    }
    return { ok: true, target: { dialect: 'sqlite', file: path.resolve(baseDir, decodeURIComponent(rest)) } };
  }
  const spec = SCHEMES[scheme]!;
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return { ok: false, problem: `is not a valid URL; expected ${scheme}//user:password@host:port/database` };
  }
  if (!parsed.hostname) return { ok: false, problem: 'has no host name' };
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) return { ok: false, problem: `names no database; expected ${scheme}//user@host:port/DATABASE` };
  if (database.includes('/')) return { ok: false, problem: 'the database name must not contain "/"' };
  const port = parsed.port ? Number(parsed.port) : spec.port;
  const params: Record<string, string> = {};
  for (const [key, value] of parsed.searchParams) params[key.toLowerCase()] = value;
  return {
    ok: true,
    target: {
      dialect: spec.dialect,
      flavor: spec.flavor,
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port,
      user: decodeURIComponent(parsed.username),
      password: decodeURIComponent(parsed.password),
      database,
      params,
    },
  };
}
