/**
 * How a masked column's values leave sqlgate. Masking happens on the values sqlgate returns, after the database
 * answered; the statement itself may only select a masked column as it is (policy/check-statement.ts), so every
 * value of such an output column is one raw value of the column and masking it hides it whole.
 *
 * NULL stays NULL (whether a value is missing is not the value). Everything else becomes a string.
 */
import type { MaskKind } from '../config/policy-schema.js';
import type { JsonValue } from '../db/serialize-value.js';

const HIDDEN = '•••';

export function maskValue(value: JsonValue, kind: MaskKind): JsonValue {
  if (value === null) return null;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  switch (kind) {
    case 'email':
      return maskEmail(text);
    case 'last4':
      // Short values would be shown whole: nothing of them is kept.
      return text.length > 4 ? `${HIDDEN}${text.slice(-4)}` : HIDDEN;
    case 'redact':
      return HIDDEN;
  }
}

/** `alice@example.com` → `a•••@example.com`: the first character and the domain; anything else is hidden whole. */
function maskEmail(text: string): string {
  const at = text.lastIndexOf('@');
  if (at < 1 || at === text.length - 1) return HIDDEN;
  return `${[...text.slice(0, at)][0]}${HIDDEN}${text.slice(at)}`;
}

/** Masks the given output columns (0-based positions) of every row, in place. */
export function maskRows(rows: JsonValue[][], masks: ReadonlyMap<number, MaskKind>): void {
  if (masks.size === 0) return;
  for (const row of rows) {
    for (const [position, kind] of masks) {
      if (position < row.length) row[position] = maskValue(row[position]!, kind);
    }
  }
}
