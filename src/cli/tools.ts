/**
 * `sqlgate tools list|test`: the tools an environment serves, and one tool run from the command line exactly as a
 * client would call it (the same checks, gate, limits and rendering), so an operator can try a configured tool
 * before anyone connects.
 */
import type { Command } from 'commander';
import type { Sqlgate } from '../app.js';
import type { Config } from '../config/schema.js';
import { InvalidInputError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import type { ToolDefinition } from '../tools/tool.js';
import { withConfigOptions } from './with-store.js';

/** What `sqlgate tools` needs from the command line: output, configuration loading, logging and the error guard. */
export interface ToolsCommandDeps {
  readonly stdout: (text: string) => void;
  /** Loads the configuration opening only the named environment (or every one), with auth off. */
  readonly loadConfig: (options: { config?: string; dir?: string }, environments: 'all' | readonly string[]) => Config;
  readonly createLogger: (config: Config) => Logger;
  readonly guard: (action: (...args: any[]) => Promise<number | void>) => (...args: any[]) => Promise<void>;
}

interface ToolsOptions {
  config?: string;
  dir?: string;
  env?: string;
  json?: boolean;
}

export function addToolsCommand(program: Command, deps: ToolsCommandDeps): void {
  const tools = program.command('tools').description('List the tools of an environment, or run one as a client would (to try a configured tool).');

  withConfigOptions(tools.command('list'))
    .description('List the tools each environment serves (built-in and configured), with their parameters.')
    .option('-e, --env <name>', 'only this environment')
    .option('--json', 'print JSON')
    .action(deps.guard(async (options: ToolsOptions) => {
      return withSqlgate(deps, options, options.env === undefined ? 'all' : [options.env], async (sqlgate) => {
        const environments = sqlgate.environments.list();
        const listing = environments.map((e) => ({ environment: e.name, tools: sqlgate.tools(e.name).map(describeTool) }));
        deps.stdout(options.json ? `${JSON.stringify(listing, null, 2)}\n` : listing.map(toText).join('\n'));
      });
    }));

  withConfigOptions(tools.command('test').argument('<name>', 'the tool to run'))
    .description('Run one tool with parameters given as --param name=value, and print what the model would get.')
    .option('-e, --env <name>', 'the environment (default: the only one configured)')
    .option('-p, --param <name=value>', 'a parameter (repeat it; a list is comma-separated)', collect, [])
    .option('--json', 'print the structured result as JSON')
    .action(deps.guard(async (name: string, options: ToolsOptions & { param: string[] }) => {
      const environment = options.env ?? onlyEnvironment(deps.loadConfig(options, []));
      return withSqlgate(deps, options, [environment], async (sqlgate) => {
        const tool = sqlgate.tools(environment).find((t) => t.name === name);
        if (!tool) {
          throw new InvalidInputError(`Environment "${environment}" has no tool named "${name}".`, {
            hint: `Its tools: ${sqlgate.tools(environment).map((t) => t.name).join(', ')}.`,
          });
        }
        const input = parseInput(tool, options.param);
        const controller = new AbortController();
        const output = await tool.run(input, { environment: sqlgate.environments.resolve(environment), signal: controller.signal });
        deps.stdout(options.json ? `${JSON.stringify(output.structured, null, 2)}\n` : `${output.text}\n`);
      });
    }));
}

async function withSqlgate(deps: ToolsCommandDeps, options: ToolsOptions, environments: 'all' | readonly string[], action: (sqlgate: Sqlgate) => Promise<void>): Promise<number> {
  const config = deps.loadConfig(options, environments);
  const { createSqlgate } = await import('../app.js');
  const sqlgate = await createSqlgate(config, deps.createLogger(config));
  try {
    await action(sqlgate);
    return 0;
  } finally {
    await sqlgate.close();
  }
}

function onlyEnvironment(config: Config): string {
  const names = config.configuredEnvironments.map((e) => e.name);
  if (names.length !== 1) {
    throw new InvalidInputError('Say which environment the tool is in: --env NAME.', { hint: `Configured environments: ${names.join(', ')}.` });
  }
  return names[0]!;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--param k=v` pairs as the tool's input: each value is read as its parameter's type (numbers, true/false, lists
 * split at commas), then checked by the tool's own input schema, as a client's arguments would be.
 */
function parseInput(tool: ToolDefinition, pairs: readonly string[]): Record<string, unknown> {
  const parameters = parametersOf(tool);
  const input: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new InvalidInputError(`--param ${pair}: expected name=value.`);
    const key = pair.slice(0, equals);
    const text = pair.slice(equals + 1);
    const type = parameters.get(key);
    if (type === undefined) {
      throw new InvalidInputError(`${tool.name} has no parameter "${key}".`, {
        hint: parameters.size > 0 ? `Its parameters: ${[...parameters.keys()].join(', ')}.` : 'It takes no parameters.',
      });
    }
    input[key] = readValue(text, type);
  }
  const parsed = tool.inputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path.join('.');
      // Only a parameter can be missing; an issue under it (a list's item, `ids.1`) is about a value that was given.
      const name = issue.path.length > 0 ? String(issue.path[0]) : '';
      if (name !== '' && input[name] === undefined) return `${name}: is required (give --param ${name}=…)`;
      return `${key || '(input)'}: ${issue.message}${name !== '' ? ` (got ${JSON.stringify(input[name])})` : ''}`;
    });
    throw new InvalidInputError(`The parameters do not fit ${tool.name}:\n- ${problems.join('\n- ')}`, { hint: 'Run "sqlgate tools list" to see each parameter and its type.' });
  }
  return parsed.data as Record<string, unknown>;
}

/** Each parameter's JSON type, read from the tool's input schema (built-in and configured tools alike). */
function parametersOf(tool: ToolDefinition): Map<string, string> {
  const schema = tool.inputSchema.toJSONSchema({ io: 'input' }) as { properties?: Record<string, { type?: string; items?: { type?: string } }> };
  return new Map(Object.entries(schema.properties ?? {}).map(([key, property]) => [key, property.type === 'array' ? `array:${property.items?.type ?? 'string'}` : property.type ?? 'string']));
}

function readValue(text: string, type: string): unknown {
  if (type.startsWith('array:')) return text.split(',').map((item) => readValue(item.trim(), type.slice('array:'.length)));
  if ((type === 'integer' || type === 'number') && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (type === 'boolean' && /^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return text;
}

function describeTool(tool: ToolDefinition) {
  const schema = tool.inputSchema.toJSONSchema({ io: 'input' }) as { properties?: Record<string, { description?: string; type?: string; enum?: unknown[] }>; required?: string[] };
  return {
    name: tool.name,
    description: tool.description,
    parameters: Object.entries(schema.properties ?? {}).map(([name, p]) => ({
      name,
      type: p.enum ? `one of ${p.enum.join(', ')}` : p.type ?? 'any',
      required: schema.required?.includes(name) ?? false,
      description: p.description ?? '',
    })),
  };
}

function toText(listing: { environment: string; tools: ReturnType<typeof describeTool>[] }): string {
  const lines = [`${listing.environment}:`];
  for (const tool of listing.tools) {
    lines.push(`  ${tool.name}  ${tool.description.split('\n')[0]}`);
    for (const p of tool.parameters) lines.push(`      ${p.name} (${p.type}${p.required ? '' : ', optional'})${p.description ? `: ${p.description}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
