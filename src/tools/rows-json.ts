/**
 * A result's rows serialised once. fit-result.ts serialises the rows to measure them against the result budget; the
 * stateless JSON answer (mcp/transports/direct-tool-call.ts) would serialise the very same array again, a large part
 * of a 1000-row call's cost (issue 12). The JSON is remembered by the array it was made of, for as long as that
 * array lives, and only for an array that is not changed afterwards (tool outputs are built from it and frozen in
 * practice: nothing writes to a result's rows after it is fitted).
 */
const known = new WeakMap<readonly unknown[], string>();

/** Remembers that `json` is exactly `JSON.stringify(rows)`. */
export function rememberRowsJson(rows: readonly unknown[], json: string): void {
  known.set(rows, json);
}

/** `JSON.stringify(rows)` when it was remembered, else undefined (and for anything but an array). */
export function rememberedRowsJson(rows: unknown): string | undefined {
  return Array.isArray(rows) ? known.get(rows) : undefined;
}
