/**
 * Reads a new password for `sqlgate users`: the whole of stdin with --password-stdin (for scripts), otherwise a
 * prompt on the terminal, twice, with echo off. Never a command-line argument, which other local users could see
 * in the process list and which lands in shell history.
 */
import readline from 'node:readline/promises';
import { Writable } from 'node:stream';
import { InvalidInputError } from '../errors.js';

/** Standard input as the CLI sees it: a stream, and whether it is a terminal. */
export type CliStdin = NodeJS.ReadableStream & { isTTY?: boolean };

/** More than any password we accept (auth/password-hash.ts caps it at 1,024 characters), so a stray file is refused fast. */
const MAX_STDIN_BYTES = 8_192;

export async function readNewPassword(options: {
  stdin: CliStdin | undefined;
  isFromStdin: boolean;
  prompt: (text: string) => void;
}): Promise<string> {
  const { stdin, isFromStdin, prompt } = options;
  if (isFromStdin) return readPasswordFromStdin(stdin);
  if (!stdin?.isTTY) {
    throw new InvalidInputError('No terminal to ask for the password on.', {
      hint: 'Pass --password-stdin and pipe the password in, e.g.: printf %s "$PASSWORD" | sqlgate users … --password-stdin',
    });
  }
  const first = await promptHidden(stdin, prompt, 'New password: ');
  const second = await promptHidden(stdin, prompt, 'Repeat it: ');
  if (first !== second) throw new InvalidInputError('The two passwords differ; nothing was changed.');
  return first;
}

/** The whole of stdin, less one trailing newline; a second line is refused rather than silently dropped. */
async function readPasswordFromStdin(stdin: CliStdin | undefined): Promise<string> {
  if (!stdin) throw new InvalidInputError('--password-stdin was given, but there is no standard input.');
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    bytes += buffer.length;
    if (bytes > MAX_STDIN_BYTES) throw new InvalidInputError('--password-stdin: the input is too long for a password.');
    chunks.push(buffer);
  }
  const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new InvalidInputError('--password-stdin: standard input was empty.');
  if (/[\r\n]/.test(password)) throw new InvalidInputError('--password-stdin: expected one line; the input has several.');
  return password;
}

/**
 * One line from the terminal without echo: readline puts the terminal in raw mode (so the kernel does not echo)
 * and echoes to `output`, which discards everything.
 */
async function promptHidden(stdin: CliStdin, prompt: (text: string) => void, question: string): Promise<string> {
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = readline.createInterface({ input: stdin, output: silent, terminal: true });
  const aborted = new AbortController();
  rl.on('SIGINT', () => aborted.abort());
  rl.on('close', () => aborted.abort());
  prompt(question);
  try {
    return await rl.question('', { signal: aborted.signal });
  } catch {
    throw new InvalidInputError('Cancelled; nothing was changed.');
  } finally {
    rl.close();
    prompt('\n');
  }
}
