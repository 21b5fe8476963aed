/**
 * Holds the dependency rules of STYLE.md with a test: an import that points the wrong way fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');
const DRIVERS = ['pg', 'pg-cursor', 'mysql2', 'mysql2/promise', 'mssql', 'tedious', 'better-sqlite3', 'ioredis'];
const DIALECT_FOLDERS = ['postgres', 'mysql', 'sqlite', 'mssql'];
/** State store backends: the only other place a driver may be imported (store/<backend>/). */
const STORE_BACKENDS = ['sqlite', 'postgres', 'redis'];
/** A driver package or one of its own modules (e.g. tedious/lib/…). */
const isDriver = (spec: string) => DRIVERS.some((driver) => spec === driver || spec.startsWith(`${driver}/`));

interface SourceFile {
  /** Path relative to src/, with forward slashes. */
  file: string;
  /** Import specifiers: packages as written, relative imports resolved to paths relative to src/. */
  imports: string[];
  text: string;
}

function readSources(dir = SRC): SourceFile[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return readSources(full);
    if (!entry.name.endsWith('.ts')) return [];
    const text = fs.readFileSync(full, 'utf8');
    const imports = [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => {
      const spec = m[1]!;
      return spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(full), spec)).replaceAll(path.sep, '/') : spec;
    });
    return [{ file: path.relative(SRC, full).replaceAll(path.sep, '/'), imports, text }];
  });
}

const sources = readSources();
const inFolder = (folder: string) => sources.filter((s) => s.file.startsWith(`${folder}/`));
const violations = (files: SourceFile[], isForbidden: (spec: string) => boolean) =>
  files.flatMap((s) => s.imports.filter(isForbidden).map((spec) => `${s.file} imports ${spec}`));

describe('architecture', () => {
  it('reads the source tree', () => {
    expect(sources.length).toBeGreaterThan(30);
  });

  it('errors.ts is a leaf', () => {
    expect(sources.find((s) => s.file === 'errors.ts')!.imports.filter((i) => !i.startsWith('node:'))).toEqual([]);
  });

  it('only db/registry.ts reaches into a dialect folder', () => {
    const outside = sources.filter((s) => s.file !== 'db/registry.ts' && !DIALECT_FOLDERS.some((d) => s.file.startsWith(`db/${d}/`)));
    expect(violations(outside, (spec) => DIALECT_FOLDERS.some((d) => spec.startsWith(`db/${d}/`)))).toEqual([]);
  });

  it('a dialect folder imports its driver, db/*.ts, errors, util and config types only — never another dialect', () => {
    for (const dialect of DIALECT_FOLDERS) {
      const bad = violations(inFolder(`db/${dialect}`), (spec) => {
        if (spec.startsWith('node:') || isDriver(spec)) return false;
        if (spec.startsWith(`db/${dialect}/`)) return false;
        if (/^db\/[^/]+\.js$/.test(spec) || spec === 'errors.js' || spec.startsWith('util/') || spec.startsWith('config/')) return false;
        return true;
      });
      expect(bad, dialect).toEqual([]);
    }
  });

  it('drivers are imported only inside a dialect folder or a store backend folder', () => {
    const outside = sources.filter((s) => !s.file.startsWith('db/') && !STORE_BACKENDS.some((b) => s.file.startsWith(`store/${b}/`)));
    expect(violations(outside, isDriver)).toEqual([]);
  });

  it('only store/open-state-store.ts reaches into a store backend folder', () => {
    const outside = sources.filter((s) => s.file !== 'store/open-state-store.ts' && !STORE_BACKENDS.some((b) => s.file.startsWith(`store/${b}/`)));
    expect(violations(outside, (spec) => STORE_BACKENDS.some((b) => spec.startsWith(`store/${b}/`)))).toEqual([]);
  });

  it('store/ imports only its own files, errors, util and config types — never db/, tools/, auth/ or the layers above', () => {
    const bad = violations(inFolder('store'), (spec) => {
      // rate-limiter-flexible counts over a driver (ioredis) or in memory: the limit counters' storage engine.
      if (spec.startsWith('node:') || isDriver(spec) || spec === 'rate-limiter-flexible') return false;
      return !(spec.startsWith('store/') || spec === 'errors.js' || spec.startsWith('util/') || spec.startsWith('config/'));
    });
    expect(bad).toEqual([]);
    expect(sources.filter((s) => s.file.startsWith('store/')).length).toBeGreaterThan(0);
  });

  it('tools never import a driver, Hono, the MCP SDK or the HTTP layer', () => {
    expect(
      violations(inFolder('tools'), (spec) => isDriver(spec) || spec.startsWith('hono') || spec.startsWith('@hono') || spec.startsWith('@modelcontextprotocol') || /^(http|mcp|cli)\//.test(spec)),
    ).toEqual([]);
  });

  it('only http/ imports Hono', () => {
    const outside = sources.filter((s) => !s.file.startsWith('http/'));
    expect(violations(outside, (spec) => spec === 'hono' || spec.startsWith('hono/') || spec.startsWith('@hono/'))).toEqual([]);
  });

  it('only telemetry/ imports prom-client: the instrumented layers get an observer (telemetry/observers.ts)', () => {
    const outside = sources.filter((s) => !s.file.startsWith('telemetry/'));
    expect(violations(outside, (spec) => spec === 'prom-client' || spec.startsWith('prom-client/'))).toEqual([]);
    expect(violations(inFolder('telemetry'), (spec) => spec === 'prom-client').length).toBeGreaterThan(0);
  });

  it('only cli/ and main.ts read process.env or call process.exit (a connection process entry excepted)', () => {
    const offenders = sources
      .filter((s) => !s.file.startsWith('cli/') && s.file !== 'main.ts' && s.file !== 'db/sqlite/sqlite-worker.ts')
      .filter((s) => /process\.env|process\.exit\(/.test(s.text))
      .map((s) => s.file);
    expect(offenders).toEqual([]);
  });

  it('the command line and app.ts reach no optional library through static imports (issue 12)', () => {
    // Each is loaded with a dynamic import once the configuration asks for it (a dialect, a store, OAuth, metrics,
    // tracing) or a command needs it; tests/e2e/lazy-loading.test.ts checks what a real start resolves.
    const optional = [...DRIVERS, 'oidc-provider', 'openid-client', 'koa', 'jose', '@node-rs/argon2', 'prom-client', 'libpg-query', 'node-sql-parser', '@opentelemetry/api'];
    const isOptional = (spec: string) => optional.some((lib) => spec === lib || spec.startsWith(`${lib}/`));
    const byFile = new Map(sources.map((s) => [s.file, s]));
    // Runtime imports only: `import type` and `export type` are erased (verbatimModuleSyntax keeps everything else).
    const runtimeImports = (source: SourceFile) =>
      [...source.text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => {
        const spec = (m[1] ?? m[2])!;
        return spec.startsWith('.') ? path.relative(SRC, path.resolve(SRC, path.dirname(source.file), spec)).replaceAll(path.sep, '/').replace(/\.js$/, '.ts') : spec;
      });
    const reachedFrom = new Map<string, string>([['cli/run-cli.ts', ''], ['app.ts', '']]);
    const queue = [...reachedFrom.keys()];
    const found: string[] = [];
    const chain = (file: string): string => (reachedFrom.get(file) ? `${chain(reachedFrom.get(file)!)} → ${file}` : file);
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      for (const spec of runtimeImports(byFile.get(file)!)) {
        if (isOptional(spec)) found.push(`${chain(file)} → ${spec}`);
        if (byFile.has(spec) && !reachedFrom.has(spec)) {
          reachedFrom.set(spec, file);
          queue.push(spec);
        }
      }
    }
    expect(reachedFrom.size).toBeGreaterThan(50);
    expect(found).toEqual([]);
  });

  it('keeps every source file under about 400 lines', () => {
    const long = sources.filter((s) => s.text.split('\n').length > 450).map((s) => `${s.file}: ${s.text.split('\n').length}`);
    expect(long).toEqual([]);
  });
});
