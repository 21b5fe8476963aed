/**
 * Follows how deeply JSON text nests arrays and objects, chunk by chunk, without parsing it: for refusing a body
 * nested deeper than the code behind a parser can recurse, before it is parsed.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Tracks the nesting of arrays and objects across chunks of UTF-8 JSON text, outside strings. It reads bytes, not
 * characters: in UTF-8 an ASCII byte is always that character (never part of a longer sequence, and decoders do not
 * swallow it after an invalid one), and every parser behind sqlgate reads JSON as UTF-8 (fetch's json(), the MCP
 * SDK, and oidc-provider, which ignores a charset parameter). It never has to be right about text that is not JSON:
 * the parser refuses that anyway.
 */
export class JsonDepthScanner {
  private depth = 0;
  private isInString = false;
  private isEscaped = false;

  constructor(private readonly maxDepth: number) {}

  /** Scans the next chunk; true once the nesting has gone deeper than maxDepth. */
  isTooDeepAfter(chunk: Uint8Array): boolean {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.isInString) {
        if (this.isEscaped) this.isEscaped = false;
        else if (byte === BACKSLASH) this.isEscaped = true;
        else if (byte === QUOTE) this.isInString = false;
      } else if (byte === QUOTE) {
        this.isInString = true;
      } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
        if (++this.depth > this.maxDepth) return true;
      } else if ((byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) && this.depth > 0) {
        this.depth--;
      }
    }
    return false;
  }
}
