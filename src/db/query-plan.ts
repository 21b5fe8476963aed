/**
 * A statement's estimated plan, read the same way on every dialect: each engine has its own way of asking for it
 * without running the statement (EXPLAIN (FORMAT JSON), EXPLAIN FORMAT=JSON, EXPLAIN QUERY PLAN) and its own
 * answer, which its QueryPlanner turns into a tree of PlanNodes. The engine's own plan is kept as well (`raw`), for
 * whoever wants every detail.
 */
import type { JsonValue } from './serialize-value.js';

/** One step of a plan. */
export interface PlanNode {
  /** What the engine does here, in its own words: "Index Scan", "Aggregate", "SCAN", "ALL", "filesort". */
  readonly operation: string;
  /** The table (or CTE, function, subquery) it reads, when it reads one. */
  readonly relation: string | null;
  /** The engine's estimate of the rows this step produces. */
  readonly estimatedRows: number | null;
  /** The engine's estimated cost up to and including this step, in its own units; null where it gives none. */
  readonly cost: number | null;
  /** The rest worth knowing at a glance: index, join type, conditions, sort or group keys. */
  readonly detail: string | null;
  readonly children: readonly PlanNode[];
}

export interface QueryPlan {
  readonly nodes: readonly PlanNode[];
  /** The engine's own answer (JSON, or the rows it returned). */
  readonly raw: JsonValue;
}

/** What a dialect knows about plans. */
export interface QueryPlanner {
  /** The statement that returns `sql`'s estimated plan without running `sql`. */
  statementFor(sql: string): string;
  /** The plan in what that statement returned. */
  read(rows: readonly (readonly JsonValue[])[]): QueryPlan;
}

/** A detail is for reading at a glance: a long condition is cut. */
const MAX_DETAIL_CHARS = 300;

export function planDetail(parts: readonly (string | null | undefined | false)[]): string | null {
  const text = parts.filter((part): part is string => typeof part === 'string' && part !== '').join('; ');
  if (text === '') return null;
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}

/** A number the engine may give as a number or as text ("1.00"); null for anything else. */
export function planNumber(value: unknown): number | null {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : null;
}

/** A JSON object (not null, not an array): a node of a JSON plan. */
export function isPlanObject(value: unknown): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON plan that a driver may hand over as text or already parsed. */
export function planJson(value: JsonValue | undefined): JsonValue {
  if (typeof value !== 'string') return value ?? null;
  try {
    return JSON.parse(value) as JsonValue;
  } catch {
    return value;
  }
}

/** Every node with its depth, parents before children: the plan as rows. */
export function flattenPlan(nodes: readonly PlanNode[], depth = 0): { depth: number; node: PlanNode }[] {
  return nodes.flatMap((node) => [{ depth, node }, ...flattenPlan(node.children, depth + 1)]);
}

/** One line per node, indented by depth: `Index Scan on sales (using sales_pkey) — rows ≈ 10109, cost 402.61`. */
export function renderPlanLine(depth: number, node: PlanNode): string {
  const estimates = [
    node.estimatedRows === null ? null : `rows ≈ ${formatEstimate(node.estimatedRows)}`,
    node.cost === null ? null : `cost ${formatEstimate(node.cost)}`,
  ].filter((part) => part !== null);
  return `${'  '.repeat(depth)}${depth > 0 ? '→ ' : ''}${node.operation}${node.relation === null ? '' : ` on ${node.relation}`}`
    + `${node.detail === null ? '' : ` (${node.detail})`}${estimates.length === 0 ? '' : ` — ${estimates.join(', ')}`}`;
}

function formatEstimate(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
