/**
 * The catalog facts a policy check needs, loaded before the check so that the check itself is synchronous: every
 * relation a statement names and, for views, every relation their definitions name, down to the tables.
 *
 * Facts are kept for a minute per environment (RELATION_TTL_MS): a statement over the same tables does not pay
 * for catalog queries again, and a view redefined outside sqlgate is seen within that minute (a schema change made
 * through sqlgate is seen at once). Nothing the policy
 * relies on for safety depends on the facts being complete: a name the catalog does not know is refused, and a
 * view whose definition cannot be read or parsed counts as reaching everything.
 */
import type { Introspector, RelationFacts, TableRef } from '../db/dialect.js';
import type { StatementRules } from '../guard/statement-gate.js';
import type { QueryShape, StatementShape, TableSourceShape } from '../guard/statement-shape.js';
import { LruCache } from '../util/lru-cache.js';
import { tableSourcesOf } from './shape-tables.js';

const RELATION_TTL_MS = 60_000;
const MAX_CACHED_RELATIONS = 2_000;
/** Views inside views deeper than this are treated as unreadable (so: refused under a policy). */
const MAX_VIEW_DEPTH = 8;
/** At most this many relations are looked up for one statement; past it the statement is refused. */
export const MAX_RELATIONS_PER_STATEMENT = 200;

/** What was loaded for one statement: facts by name key, and the tables each view reaches. */
export interface LoadedCatalog {
  /** Facts of the relation a table source's parts name; null when the catalog has none. */
  facts(parts: readonly string[]): RelationFacts | null;
  /**
   * The relations a view's definition names, directly or through other views, with their facts; null when the
   * definition could not be read or parsed, or nests too deep (the view must then be refused).
   */
  viewReach(view: RelationFacts): readonly RelationFacts[] | null;
}

interface CachedFacts {
  readonly facts: RelationFacts | null;
  readonly at: number;
}

const caches = new WeakMap<Introspector, LruCache<string, CachedFacts>>();

export function partsKey(parts: readonly string[]): string {
  return parts.map((p) => p.toLowerCase()).join('\u0000');
}

/** A table source's parts as the catalog's reference (callers refuse more than two parts before this). */
function refOf(parts: readonly string[]): TableRef {
  return parts.length >= 2 ? { schema: parts.at(-2)!, name: parts.at(-1)! } : { schema: null, name: parts[0] ?? '' };
}

export async function loadCatalog(shape: StatementShape, introspector: Introspector, rules: StatementRules): Promise<LoadedCatalog> {
  // A schema change made here must be seen by the statements after it (`CREATE TABLE t AS …` then `SELECT … FROM
  // t`, which the facts kept for t would refuse as unknown for a minute): what was kept is dropped, and what this
  // statement reads, from before the change, is not kept.
  const isSchemaChange = shape.kind === 'ddl' || shape.kind === 'create-from-query';
  if (isSchemaChange) caches.delete(introspector);
  let cache = caches.get(introspector);
  if (!cache) {
    cache = new LruCache<string, CachedFacts>(MAX_CACHED_RELATIONS);
    if (!isSchemaChange) caches.set(introspector, cache);
  }
  const byKey = new Map<string, RelationFacts | null>();
  const viewTables = new Map<string, readonly (readonly string[])[] | null>();

  const lookup = async (parts: readonly string[]): Promise<RelationFacts | null> => {
    const key = partsKey(parts);
    if (byKey.has(key)) return byKey.get(key)!;
    if (byKey.size >= MAX_RELATIONS_PER_STATEMENT) return null;
    const cached = cache.get(key);
    let facts: RelationFacts | null;
    if (cached && Date.now() - cached.at < RELATION_TTL_MS) {
      facts = cached.facts;
    } else {
      facts = parts.length > 2 ? null : await introspector.relationFacts(refOf(parts));
      cache.set(key, { facts, at: Date.now() });
    }
    byKey.set(key, facts);
    return facts;
  };

  // Breadth first: the statement's own relations, then what their views name, one level at a time.
  let level = tableSourcesOf(shape).map((t) => t.parts);
  for (let depth = 0; depth <= MAX_VIEW_DEPTH && level.length > 0; depth++) {
    const next: (readonly string[])[] = [];
    for (const facts of await Promise.all(level.map(lookup))) {
      if (facts?.kind !== 'view') continue;
      const key = partsKey([facts.schema ?? '', facts.name]);
      if (viewTables.has(key)) continue;
      const named = depth === MAX_VIEW_DEPTH ? null : viewDefinitionTables(facts, rules);
      viewTables.set(key, named);
      if (named) next.push(...named.flatMap((parts) => inView(parts, facts)));
    }
    level = next;
  }

  const viewReach = (view: RelationFacts, seen = new Set<string>()): RelationFacts[] | null => {
    const key = partsKey([view.schema ?? '', view.name]);
    if (seen.has(key)) return [];
    seen.add(key);
    const named = viewTables.get(key);
    if (!named) return null;
    const reached: RelationFacts[] = [];
    for (const parts of named) {
      const facts = inView(parts, view).map((p) => byKey.get(partsKey(p))).find((f) => f);
      if (!facts) return null;
      reached.push(facts);
      if (facts.kind === 'view') {
        const deeper = viewReach(facts, seen);
        if (!deeper) return null;
        reached.push(...deeper);
      }
    }
    return reached;
  };

  return {
    facts: (parts) => byKey.get(partsKey(parts)) ?? null,
    viewReach: (view) => viewReach(view),
  };
}

/**
 * SQL Server stores a view as the `CREATE [OR ALTER] VIEW … AS SELECT …` it was made with, which its grammar cannot
 * parse; the same text as ALTER VIEW it parses. A header after a leading comment is not matched (the view is refused).
 */
const CREATE_VIEW_HEADER = /^\s*CREATE\s+(?:OR\s+ALTER\s+)?VIEW\b/i;

/** The relations a view's stored definition names; null when there is no definition or it does not parse. */
function viewDefinitionTables(view: RelationFacts, rules: StatementRules): (readonly string[])[] | null {
  if (!view.definition) return null;
  let definition = view.definition;
  let shape = shapeOrNull(definition, rules);
  const isAltered = shape?.kind !== 'create-from-query' && CREATE_VIEW_HEADER.test(definition);
  if (isAltered) {
    definition = definition.replace(CREATE_VIEW_HEADER, 'ALTER VIEW');
    shape = shapeOrNull(definition, rules);
  }
  if (!shape) return null;
  const query: QueryShape | StatementShape = shape.kind === 'create-from-query' ? shape.query : shape;
  if (query.kind !== 'select' && query.kind !== 'set' && query.kind !== 'values') return null;
  // A view that calls a function the gate does not allow (a user-defined payroll_total(), query_to_xml(…)) reads
  // tables its FROM list does not show. A definition stored as a query (PostgreSQL, MySQL), or SQL Server's read as
  // ALTER VIEW, must pass the gate as a statement would. SQLite's CREATE VIEW text is not put through it: SQLite
  // keeps no functions in the database.
  if ((shape.kind !== 'create-from-query' || isAltered) && !passesGate(definition, rules)) return null;
  return tableSourcesOf(query).map((t: TableSourceShape) => t.parts);
}

function shapeOrNull(sql: string, rules: StatementRules): StatementShape | null {
  try {
    return rules.shape(sql);
  } catch {
    return null;
  }
}

function passesGate(sql: string, rules: StatementRules): boolean {
  try {
    rules.classify(sql, { allowedFunctions: [] });
    return true;
  } catch {
    return false;
  }
}

/**
 * The names a name inside a view's definition may stand for, in the order the engine tries them: an unqualified
 * name in a view of schema s is s's table first (SQL Server, MySQL), else whatever the name resolves to anywhere
 * (PostgreSQL's pg_get_viewdef qualifies every name the search path would not find).
 */
function inView(parts: readonly string[], view: RelationFacts): (readonly string[])[] {
  return parts.length === 1 && view.schema !== null ? [[view.schema, parts[0]!], parts] : [parts];
}
