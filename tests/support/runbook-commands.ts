/**
 * The shell commands of a Markdown page, as tests/docs/runbooks.test.ts holds them to account: every line of every
 * ```sh block (also bash, shell, console), with `\` continuations joined into one line, here-documents kept with
 * the command they belong to, comments dropped, and the page's "not run by the tests" markers read.
 *
 * Two markers exist, and both must give a reason: `<!-- not run by the tests: <reason> -->` on the line before a
 * block marks all of its commands; `# not run by the tests: <reason>` at the end of a line marks that command.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One command of a page: where it is, its text (continuations joined), and the marker's reason if it is marked. */
export interface DocCommand {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly notRun?: string;
}

const SHELL_FENCES = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);
const BLOCK_MARKER = /^\s*<!--\s*not run by the tests:\s*(\S.*?)\s*-->\s*$/;
const LINE_MARKER = /^not run by the tests:\s*(\S.*)$/;

/** Every command in the page's shell blocks, in order. */
export function readShellCommands(markdownFile: string): DocCommand[] {
  const file = path.basename(markdownFile);
  const lines = fs.readFileSync(markdownFile, 'utf8').split('\n');
  const commands: DocCommand[] = [];
  for (const block of fencedBlocks(lines)) {
    if (!SHELL_FENCES.has(block.language)) continue;
    const blockReason = BLOCK_MARKER.exec(previousNonBlank(lines, block.openLine) ?? '')?.[1];
    for (const command of commandsOf(block.body, block.openLine + 1)) {
      const reason = blockReason ?? (command.comment === undefined ? undefined : LINE_MARKER.exec(command.comment)?.[1]);
      commands.push({ file, line: command.line, text: command.text, ...(reason ? { notRun: reason } : {}) });
    }
  }
  return commands;
}

/** The body of the first fenced block (any language) whose first line is `firstLine`, e.g. "# /etc/sqlgate/sqlgate.yaml". */
export function fencedBlockStartingWith(markdownFile: string, firstLine: string): string {
  const lines = fs.readFileSync(markdownFile, 'utf8').split('\n');
  const block = fencedBlocks(lines).find((b) => b.body[0]?.trim() === firstLine);
  if (!block) throw new Error(`${markdownFile} has no fenced block starting with "${firstLine}"`);
  return `${block.body.join('\n')}\n`;
}

/** The here-document that `command` (a command of the page) writes, e.g. the body of `sudo tee FILE <<'EOF'`. */
export function hereDocumentOf(command: string): string {
  const match = /<<-?\s*'?"?(\w+)'?"?[^\n]*\n([\s\S]*)\n\s*\1\s*$/.exec(command);
  if (!match) throw new Error(`no here-document in: ${command}`);
  return `${match[2]}\n`;
}

/**
 * The programs and options a command uses, for "run by <test file>": for each part of a pipeline or list, the
 * program's base name (after `sudo` and its options, and `VAR=value` assignments) and every `--long` option without
 * its value. (One-letter options say nothing when searched for in a test file's source, and have long synonyms.)
 */
export function programsAndOptions(command: string): string[] {
  const words: string[] = [];
  for (const part of splitOutsideQuotes(command, /^(\|\|?|&&|;)$/)) {
    const tokens = part.filter((t) => !/^\d*[<>]/.test(t));
    let i = 0;
    if (tokens[i] === 'sudo') for (i++; i < tokens.length && tokens[i]!.startsWith('-'); i++) if (tokens[i] === '-u') i++;
    while (i < tokens.length && /^[A-Za-z_]\w*=/.test(tokens[i]!)) i++;
    if (i >= tokens.length) continue;
    words.push(path.basename(unquote(tokens[i]!)));
    for (const token of tokens.slice(i + 1)) if (/^--[A-Za-z]/.test(token)) words.push(token.replace(/=.*$/s, ''));
  }
  return [...new Set(words)];
}

interface FencedBlock {
  readonly language: string;
  readonly openLine: number; // 1-based line of the opening fence
  readonly body: string[];
}

function fencedBlocks(lines: readonly string[]): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      body.push(lines[j]!);
    }
    blocks.push({ language: open[2]!.toLowerCase(), openLine: i + 1, body });
    i = j;
  }
  return blocks;
}

function previousNonBlank(lines: readonly string[], openLine: number): string | undefined {
  for (let i = openLine - 2; i >= 0; i--) if (lines[i]!.trim() !== '') return lines[i];
  return undefined;
}

/** Logical commands of a block: continuation lines and here-documents joined, whole-line comments skipped. */
function commandsOf(body: readonly string[], firstLine: number): { line: number; text: string; comment?: string }[] {
  const commands: { line: number; text: string; comment?: string }[] = [];
  for (let i = 0; i < body.length; i++) {
    const start = i;
    if (body[i]!.trim() === '' || body[i]!.trim().startsWith('#')) continue;
    let { code, comment } = splitComment(body[i]!);
    const parts = [code.trim()];
    while (parts.at(-1)!.endsWith('\\') && i + 1 < body.length) {
      ({ code, comment } = splitComment(body[++i]!));
      parts.push(code.trim());
    }
    // A continued line is one command: written as one line here, so that a declaration names it as one.
    let text = parts.map((p, n) => (n < parts.length - 1 ? p.slice(0, -1).trimEnd() : p)).join(' ');
    const hereDoc = /<<-?\s*'?"?(\w+)'?"?/.exec(text);
    if (hereDoc) {
      const lines = [text];
      while (i + 1 < body.length) {
        lines.push(body[++i]!);
        if (body[i]!.trim() === hereDoc[1]) break;
      }
      text = lines.join('\n');
    }
    commands.push({ line: firstLine + start, text, ...(comment === undefined ? {} : { comment }) });
  }
  return commands;
}

/** Splits a line at its comment: a `#` that starts a word outside quotes, as the shell reads it. */
function splitComment(line: string): { code: string; comment?: string } {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '\\') i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return { code: line.slice(0, i).trimEnd(), comment: line.slice(i + 1).trim() };
  }
  return { code: line.trimEnd() };
}

/** Shell words, split into parts at the separators `separator` matches (outside quotes). */
function splitOutsideQuotes(text: string, separator: RegExp): string[][] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  const flush = () => {
    if (word !== '') words.push(word);
    word = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word += c;
    } else if (/\s/.test(c)) flush();
    else if (c === '|' || c === ';' || (c === '&' && text[i + 1] === '&')) {
      flush();
      const operator = c === '|' && text[i + 1] === '|' ? '||' : c === '&' ? '&&' : c;
      words.push(operator);
      i += operator.length - 1;
    } else word += c;
  }
  flush();
  const parts: string[][] = [[]];
  for (const w of words) {
    if (separator.test(w)) parts.push([]);
    else parts.at(-1)!.push(w);
  }
  return parts.filter((p) => p.length > 0);
}

function unquote(word: string): string {
  return word.replace(/^['"]|['"]$/g, '');
}
