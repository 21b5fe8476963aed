/**
 * Result column types for SQLite, where typing belongs to values rather than columns.
 *
 * A column read straight from a table has its declared type (`integer`, `varchar(20)`). An expression (COUNT(*),
 * 1 + 1, a view's computed column) has none, so it is named after the storage classes of the values it returned:
 * `integer`, `real`, `text` or `blob`; `real` for integers mixed with reals (SQLite's own arithmetic widens them so);
 * `any` (a STRICT table's name for a column of any type) for other mixes or when no row came back; `null` when
 * every value was null. The worker reads with safeIntegers, so an INTEGER arrives as a bigint and a REAL as a number:
 * the storage class is exact even for a REAL that happens to be whole (AVG of 2 and 4 is the REAL 3.0).
 */
import type { ResultColumn } from '../dialect.js';

type StorageClass = 'integer' | 'real' | 'text' | 'blob';

/** The columns of one statement, their untyped ones named from the rows seen so far. */
export class SqliteResultTypes {
  /** For each column without a declared type, the storage classes of its non-null values, and whether a null came. */
  private readonly seen: ({ classes: Set<StorageClass>; hasNull: boolean } | null)[];

  constructor(private readonly declared: readonly ResultColumn[]) {
    this.seen = declared.map((column) => (column.type === '' ? { classes: new Set(), hasNull: false } : null));
  }

  /** Takes note of a batch of rows, in column order. */
  observe(rows: readonly (readonly unknown[])[]): void {
    this.seen.forEach((seen, i) => {
      if (seen === null) return;
      for (const row of rows) {
        const storageClass = storageClassOf(row[i]);
        if (storageClass === null) seen.hasNull = true;
        else seen.classes.add(storageClass);
      }
    });
  }

  /** The columns with every type filled in, from what `observe` has seen. */
  get columns(): ResultColumn[] {
    return this.declared.map((column, i) => {
      const seen = this.seen[i];
      return seen ? { name: column.name, type: typeName(seen.classes, seen.hasNull) } : column;
    });
  }
}

function storageClassOf(value: unknown): StorageClass | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return 'integer';
  if (typeof value === 'number') return 'real';
  if (typeof value === 'string') return 'text';
  return 'blob';
}

function typeName(classes: ReadonlySet<StorageClass>, hasNull: boolean): string {
  if (classes.size === 0) return hasNull ? 'null' : 'any';
  if (classes.size === 1) return [...classes][0]!;
  const isNumeric = [...classes].every((c) => c === 'integer' || c === 'real');
  return isNumeric ? 'real' : 'any';
}
