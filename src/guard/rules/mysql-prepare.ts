/**
 * MySQL statements the gate reads from tokens before (or instead of) node-sql-parser:
 * - SHOW …: every form is a read, but node-sql-parser knows only some (not SHOW FULL TABLES, SHOW VARIABLES LIKE …).
 *   The token grammar accepts names, literals, `.`, `,` and `@`, so no expression can hide in it; SHOW … WHERE is
 *   refused because its expression would go unchecked.
 * - DESCRIBE / DESC / EXPLAIN tbl [column]: a read of the table definition.
 * - EXPLAIN [ANALYZE] [FORMAT=…] / DESCRIBE of a query (MariaDB: ANALYZE SELECT): the options are blanked for the
 *   parser, which must then find a SELECT. EXPLAIN ANALYZE runs the query, which is fine for a read.
 * - TABLE t: shorthand for SELECT * FROM t, handed to the parser as that.
 */
import type { StatementVerdict } from '../statement-gate.js';
import { Refusal, type Edits, type Token } from './sql-parser-text.js';

const READ: StatementVerdict = Object.freeze({ kind: 'read', isDestructive: false });
const EXPLAIN_OPTIONS = new Set(['ANALYZE', 'EXTENDED', 'PARTITIONS']);
const QUERY_STARTS = new Set(['SELECT', 'WITH', 'TABLE', '(']);
// EXPLAIN of a write is routed to the EXPLAIN path, which refuses it (EXPLAIN ANALYZE would run it).
const WRITE_STARTS = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

export function prepareMysql(tokens: readonly Token[], edits: Edits): { verdict?: StatementVerdict; explain?: boolean } | undefined {
  const first = tokens[0]!.value;
  if (first === 'SHOW') return { verdict: showVerdict(tokens) };
  if (first === 'DESC' || first === 'DESCRIBE' || first === 'EXPLAIN') {
    return isName(tokens[1]) && !isQueryOrOption(tokens[1]!) ? { verdict: describeVerdict(tokens) } : explainOf(tokens, edits);
  }
  if (first === 'ANALYZE') {
    if (tokens[1] && tokens[1].kind !== 'quoted' && ['SELECT', 'WITH', '(', 'FORMAT'].includes(tokens[1].value)) return explainOf(tokens, edits);
    throw new Refusal('ANALYZE TABLE updates index statistics; table maintenance is not run through sqlgate');
  }
  if (first === 'TABLE') edits.set(0, 'SELECT * FROM');
  return undefined;
}

function isName(token: Token | undefined): boolean {
  return token?.kind === 'word' || token?.kind === 'quoted';
}

function isQueryOrOption(token: Token): boolean {
  if (token.kind === 'quoted') return false;
  return QUERY_STARTS.has(token.value) || WRITE_STARTS.has(token.value) || EXPLAIN_OPTIONS.has(token.value) || token.value === 'FORMAT' || token.value === 'FOR';
}

function showVerdict(tokens: readonly Token[]): StatementVerdict {
  if (tokens.length < 2) throw new Refusal('SHOW needs something to show, e.g. SHOW TABLES');
  for (let i = 1; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === 'word' && token.value === 'WHERE') {
      throw new Refusal("SHOW … WHERE evaluates an expression the gate does not check; use SHOW … LIKE 'pattern' or query information_schema");
    }
    if (token.kind === 'word' && token.value === 'INTO') throw new Refusal('SHOW … INTO is refused: INTO assigns variables');
    if (token.kind === 'punct' && !['.', ',', '@'].includes(token.text)) {
      // SHOW GRANTS FOR CURRENT_USER(): the only parentheses a SHOW needs.
      if (token.text === '(' && tokens[i - 1]?.value === 'CURRENT_USER' && tokens[i + 1]?.text === ')') {
        i++;
        continue;
      }
      throw new Refusal(`"${token.text}" is not accepted in a SHOW statement; SHOW takes names, LIKE 'pattern', FROM/IN and numbers`);
    }
  }
  return READ;
}

/** DESCRIBE name[.name] [column | 'wildcard'] */
function describeVerdict(tokens: readonly Token[]): StatementVerdict {
  let i = 2;
  if (tokens[i]?.text === '.' && isName(tokens[i + 1])) i += 2;
  if (tokens[i] && (isName(tokens[i]) || tokens[i]!.kind === 'string')) i++;
  if (i !== tokens.length) throw new Refusal('DESCRIBE takes a table name and optionally one column name or pattern');
  return READ;
}

function explainOf(tokens: readonly Token[], edits: Edits): { explain: true } {
  edits.set(0, 'EXPLAIN');
  let i = 1;
  for (;;) {
    const token = tokens[i];
    if (token && token.kind === 'word' && EXPLAIN_OPTIONS.has(token.value)) {
      edits.set(i++, '');
    } else if (token?.value === 'FORMAT' && tokens[i + 1]?.text === '=' && tokens[i + 2]?.kind === 'word') {
      for (const j of [i, i + 1, i + 2]) edits.set(j, '');
      i += 3;
    } else {
      break;
    }
  }
  if (tokens[i]?.value === 'TABLE') edits.set(i, 'SELECT * FROM');
  else if (!tokens[i] || tokens[i]!.kind === 'quoted' || !QUERY_STARTS.has(tokens[i]!.value)) {
    throw new Refusal('EXPLAIN is accepted only for a read statement');
  }
  return { explain: true };
}
