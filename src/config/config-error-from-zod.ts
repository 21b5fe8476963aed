/**
 * Turns zod's issues into one ConfigError a person can act on: each line names the key path, says in plain words
 * what is expected and shows the value given (secrets masked). Zod's own wording ("Invalid input: expected number,
 * received string") is written for developers, so wherever the schema gave no message of its own, the issue is
 * worded again here from its code: once, rather than field by field in the schema.
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { closestMatches } from '../util/closest-matches.js';
import { maskDatabaseUrl } from './database-url.js';
import { schemaAtPath, validatingSchema } from './schema-at-path.js';
import { SHOWS_NO_VALUE } from './unknown-name-issue.js';

/** What the parse sets as the message of an issue whose schema gave none; never shown (see PLAIN_MESSAGES). */
const NO_SCHEMA_MESSAGE = '\u0000(no schema message)';

/**
 * Parse parameters for every configuration parse. Zod applies a message given in the schema first, so only the
 * issues left with this marker are worded here, and the schema's own messages are shown as written.
 */
export const PLAIN_MESSAGES = { error: () => NO_SCHEMA_MESSAGE };

/** What configErrorFromZod needs besides the issues: the schema and input of the failed parse, and how to show it. */
export interface ConfigErrorContext {
  /** The schema that was parsed (with PLAIN_MESSAGES): its shape gives the valid keys and the ranges. */
  readonly schema: z.ZodType;
  /** What was parsed: the offending values are shown from it. */
  readonly input: unknown;
  /** Put before each issue's path when the schema is one part of the configuration (one environment). */
  readonly keyPathPrefix?: readonly string[];
  /** Keys whose values are masked. */
  readonly isSecretKey: (key: string) => boolean;
  readonly hint: string;
}

const MAX_LINES = 5;

export function configErrorFromZod(error: z.ZodError, context: ConfigErrorContext): ConfigError {
  const lines = error.issues.flatMap((issue) => describeIssue(issue, context));
  const more = lines.length > MAX_LINES ? `\n… and ${lines.length - MAX_LINES} more` : '';
  return new ConfigError(`Invalid configuration:\n- ${lines.slice(0, MAX_LINES).join('\n- ')}${more}`, { hint: context.hint });
}

function describeIssue(issue: z.core.$ZodIssue, context: ConfigErrorContext): string[] {
  const keyPath = issue.path.map(String);
  const fullPath = [...(context.keyPathPrefix ?? []), ...keyPath].join('.');
  const shown = fullPath || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = fullPath ? `in ${fullPath}` : 'at the top level';
    const known = keysOf(schemaAtPath(context.schema, issue.path));
    return issue.keys.map((key) => `unknown key "${key}" ${where}${suggestKey(key, known)}`);
  }
  if (issue.code === 'invalid_union') {
    // A value of the right kind for one alternative (a mapping where the other takes true/false): what is wrong is
    // inside it, so say that, at its own keys, rather than "must be true or false, or …" at the top.
    const inner = innerBranch(issue);
    if (inner) return inner.flatMap((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue, context));
  }
  if (issue.code === 'invalid_key') {
    // A record key (an environment name) failed its own rule: report that rule, not the key's value.
    const reason = issue.issues[0] ? expectation(issue.issues[0], undefined) : 'is not allowed';
    return [`${shown}: the name "${keyPath.at(-1)}" ${/^(is|must) /.test(reason) ? reason : `must be ${reason}`}`];
  }
  // zod puts a discriminated union's failure at its key (`…n.type`): the alternatives are listed by the union above.
  const isDiscriminator = issue.code === 'invalid_union' && issue.discriminator !== undefined && keyPath.at(-1) === issue.discriminator;
  const expected = expectation(issue, schemaAtPath(context.schema, isDiscriminator ? issue.path.slice(0, -1) : issue.path));
  if (issue.code === 'custom' && issue.params?.[SHOWS_NO_VALUE] === true) return [`${shown}: ${expected}`];
  const value = valueAt(context.input, keyPath);
  if (value === undefined) return [issue.code === 'invalid_type' ? `${shown}: is required; it ${expected}` : `${shown}: ${expected} (missing)`];
  return [`${shown}: ${expected} (got ${formatValue(value, context.isSecretKey(keyPath.at(-1) ?? ''))})`];
}

/** " — did you mean "max_rows"?", or the keys there are when none is close. */
function suggestKey(key: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const [closest] = closestMatches(key, known, 1);
  return closest ? ` — did you mean "${closest}"?` : ` (the keys there are ${known.join(', ')})`;
}

/** What the value must be, in plain words: the schema's own message, or one made from the issue's code. */
function expectation(issue: z.core.$ZodIssue, node: z.ZodType | undefined): string {
  if (issue.message !== NO_SCHEMA_MESSAGE) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return expectedType(issue.expected, node);
    case 'too_small':
    case 'too_big':
      return expectedSize(issue, node);
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${String(issue.values[0])}` : `must be one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      return expectedFormat(issue.format);
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_union':
      if (issue.discriminator !== undefined) return expectedDiscriminator(issue.discriminator, node);
      return expectedAlternatives(issue.errors, node);
    case 'invalid_key':
    case 'invalid_element':
      return issue.issues[0] ? expectation(issue.issues[0], undefined) : 'is not valid';
    default:
      return 'is not valid';
  }
}

function expectedType(type: string, node: z.ZodType | undefined): string {
  switch (type) {
    case 'number':
    case 'int':
    case 'bigint':
      return expectedNumber(node);
    case 'boolean':
      return 'must be true or false';
    case 'string':
      return 'must be text';
    case 'object':
      return 'must be a mapping of keys to values';
    case 'record':
      return 'must be a mapping of names to settings';
    case 'array':
      return 'must be a list';
    default:
      return `must be a ${type}`;
  }
}

/** "must be a whole number from 1 to 100000", from the number schema's own bounds. */
function expectedNumber(node: z.ZodType | undefined): string {
  const schema = node instanceof z.ZodNumber ? node : undefined;
  const noun = schema?.isInt ? 'a whole number' : 'a number';
  // z.int() reports the safe-integer limits as its bounds when none is given: those are no rule of ours.
  const bound = (value: number | null | undefined) => (typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined);
  const min = bound(schema?.minValue);
  const max = bound(schema?.maxValue);
  if (min !== undefined && max !== undefined) return `must be ${noun} from ${min} to ${max}`;
  if (min !== undefined) return `must be ${noun} of at least ${min}`;
  if (max !== undefined) return `must be ${noun} of at most ${max}`;
  return `must be ${noun}`;
}

function expectedSize(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, node: z.ZodType | undefined): string {
  const isMinimum = issue.code === 'too_small';
  const limit = isMinimum ? issue.minimum : issue.maximum;
  switch (issue.origin) {
    case 'number':
    case 'int':
    case 'bigint':
      if (node instanceof z.ZodNumber) return expectedNumber(node);
      if (isMinimum) return issue.inclusive ? `must be at least ${limit}` : `must be greater than ${limit}`;
      return issue.inclusive ? `must be at most ${limit}` : `must be less than ${limit}`;
    case 'string':
      if (isMinimum && Number(limit) === 1) return 'must not be empty';
      return `must be ${isMinimum ? 'at least' : 'at most'} ${limit} character${Number(limit) === 1 ? '' : 's'} long`;
    case 'array':
    case 'set':
      return `must list ${isMinimum ? 'at least' : 'at most'} ${limit} item${Number(limit) === 1 ? '' : 's'}`;
    default:
      return isMinimum ? 'is too small' : 'is too large';
  }
}

function expectedFormat(format: string): string {
  switch (format) {
    case 'url':
      return 'must be a URL such as https://example.com';
    case 'email':
      return 'must be an email address';
    case 'regex':
      return 'is not in the expected form';
    default:
      return `must be a valid ${format}`;
  }
}

/** A value no alternative of a union accepted: "must be a whole number of at least 1, or text". */
/** A discriminated union whose key (`type:`) names no alternative: list the ones there are. */
function expectedDiscriminator(key: string, node: z.ZodType | undefined): string {
  const options = node instanceof z.ZodUnion ? (node.options as readonly z.ZodType[]) : [];
  const values = options.flatMap((option) => {
    const inner = validatingSchema(option);
    const literal = inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[key] : undefined;
    return literal instanceof z.ZodLiteral ? [...literal.values].map(String) : [];
  });
  return values.length > 0 ? `must be one of ${values.join(', ')}` : `is not a valid ${key}`;
}

function expectedAlternatives(branches: readonly (readonly z.core.$ZodIssue[])[], node: z.ZodType | undefined): string {
  const options = node instanceof z.ZodUnion ? (node.options as readonly z.ZodType[]) : [];
  const alternatives = branches.flatMap((issues, i) => {
    const first = issues[0];
    if (!first) return [];
    const option = options[i];
    return [expectation(first, option && schemaAtPath(validatingSchema(option), first.path))];
  });
  const unique = [...new Set(alternatives)];
  if (unique.length === 0) return 'is not valid';
  return unique.map((text, i) => (i === 0 ? text : text.replace(/^must be /, ''))).join(', or ');
}

/** The keys a mapping takes there; for a union of mappings (a parameter of any type), the keys of any of them. */
function keysOf(node: z.ZodType | undefined): string[] {
  if (node instanceof z.ZodObject) return Object.keys(node.shape);
  if (node instanceof z.ZodUnion) return [...new Set((node.options as readonly z.ZodType[]).flatMap((option) => keysOf(validatingSchema(option))))];
  return [];
}

/**
 * The one alternative of a union that failed inside the value rather than on its kind: every other alternative
 * failed with a single type mismatch at the value itself. Undefined when that is not so.
 */
function innerBranch(issue: z.core.$ZodIssueInvalidUnion): readonly z.core.$ZodIssue[] | undefined {
  const isKindMismatch = (issues: readonly z.core.$ZodIssue[]) => issues.length === 1 && issues[0]!.code === 'invalid_type' && issues[0]!.path.length === 0;
  const inner = issue.errors.filter((issues) => !isKindMismatch(issues));
  return inner.length === 1 && issue.errors.length > 1 ? inner[0] : undefined;
}

function valueAt(raw: unknown, keyPath: readonly string[]): unknown {
  let node: any = raw;
  for (const key of keyPath) {
    if (node === null || typeof node !== 'object') return undefined;
    node = node[key];
  }
  return node;
}

function formatValue(value: unknown, isSecret: boolean): string {
  if (typeof value === 'string') return JSON.stringify(isSecret ? maskDatabaseUrl(value).replace(/^(?!.*:\/\/).+$/, '****') : value);
  if (value === null) return 'an empty value';
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping';
  return String(value);
}
