/**
 * A YAML syntax error as a person can fix it: where (line and column), the lines there with a caret under the spot,
 * and what is wrong in plain words. The parser's own message ("Flow map in block collection must be sufficiently
 * indented …") speaks the YAML specification's language; it is kept as the error's detail.
 */
import type { YAMLError } from 'yaml';
import { ConfigError } from '../errors.js';

/** Plain explanations of the parser's error codes that a hand-written configuration file runs into. */
const EXPLANATIONS: Partial<Record<YAMLError['code'], string>> = {
  BAD_INDENT: 'the indentation does not line up. The keys of one mapping start in the same column, nested keys further right '
    + 'than their parent, and an inline { … } or [ … ] must be closed with } or ] before the next key',
  TAB_AS_INDENT: 'a tab indents this line; YAML indents with spaces only',
  DUPLICATE_KEY: 'this key is already given above in the same mapping; keep one of them',
  MISSING_CHAR: 'a closing character is missing: a quote, } or ] opened above is not closed',
  BLOCK_AS_IMPLICIT_KEY: 'this does not read as "key: value". A value that contains ": " must be quoted, and a key needs a colon and a space after it',
  MULTILINE_IMPLICIT_KEY: 'this does not read as "key: value": a colon may be missing after the key, or a quote left open on the line above',
  BAD_SCALAR_START: 'a value cannot start with this character unless it is quoted: write it in quotes, e.g. "@value"',
  BAD_DQ_ESCAPE: 'inside "double quotes" a backslash starts an escape such as \\n: write \\\\ for a backslash, or use single quotes',
  MULTIPLE_DOCS: 'the file holds more than one YAML document ("---" starts another); sqlgate reads one',
};

/** Lines shown above the one the error is on: an unclosed quote or bracket is often only noticed a line later. */
const LINES_BEFORE = 2;

export function yamlSyntaxError(file: string, text: string, errors: readonly YAMLError[]): ConfigError {
  const first = errors[0]!;
  // prettyErrors appends " at line L, column C:" and its own excerpt to the parser's message.
  const parserMessage = first.message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '');
  const explanation = EXPLANATIONS[first.code] ?? parserMessage;
  const position = first.linePos?.[0];
  const more = errors.length > 1 ? `\n(and ${errors.length - 1} more YAML error${errors.length > 2 ? 's' : ''} after it)` : '';
  if (!position) return new ConfigError(`${file} is not valid YAML: ${explanation}.${more}`, { detail: parserMessage });
  return new ConfigError(
    `${file} is not valid YAML at line ${position.line}, column ${position.col}: ${explanation}.\n${excerpt(text, position.line, position.col)}${more}`,
    {
      hint: 'Fix the file there (or on the line above, where an unclosed quote or bracket starts); "sqlgate init" writes a commented example.',
      detail: parserMessage,
    },
  );
}

/** The error's line and the ones before it, numbered, with a caret under the column (1-based). */
function excerpt(text: string, line: number, column: number): string {
  const lines = text.split(/\r?\n/);
  const from = Math.max(1, line - LINES_BEFORE);
  const width = String(line).length;
  const shown: string[] = [];
  for (let n = from; n <= line; n++) shown.push(`  ${String(n).padStart(width)} | ${maskSecrets(lines[n - 1] ?? '')}`);
  // The caret follows what is shown: a masked password before the column shortens the line.
  const before = maskSecrets((lines[line - 1] ?? '').slice(0, column - 1)).replace(/[^\t]/g, ' ');
  shown.push(`  ${' '.repeat(width)} | ${before}^`);
  return shown.join('\n');
}

/** The file may hold literal credentials: a URL's password and the values of password and secret keys are masked. */
function maskSecrets(line: string): string {
  return line
    .replace(/(:\/\/[^:/@\s]*:)[^@\s]+@/g, '$1****@')
    .replace(/^(\s*(?:-\s+)?["']?([\w-]*(?:password|secret)[\w-]*)["']?\s*:\s*)\S.*$/i, (all, prefix: string, key: string) =>
      (key.endsWith('_file') ? all : `${prefix}****`));
}
