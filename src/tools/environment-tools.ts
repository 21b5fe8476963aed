/**
 * The tools one environment serves: the built-ins it has not switched off, then the tools its configuration
 * defines, built and checked against its dialect (a bad definition stops the start with its key).
 */
import { ConfigError } from '../errors.js';
import type { Environment } from '../environments/environment.js';
import { ALL_TOOLS } from './all-tools.js';
import { buildConfigTool } from './config-tools/config-tool.js';
import type { ToolDefinition } from './tool.js';

export function toolsForEnvironment(environment: Environment): ToolDefinition[] {
  const { builtIns, defined } = environment.config.tools;
  const tools = [
    ...ALL_TOOLS.filter((tool) => builtIns[tool.name as keyof typeof builtIns] !== false),
    ...defined.map((tool) => buildConfigTool(tool, environment)),
  ];
  if (tools.length === 0) {
    throw new ConfigError(`environments.${environment.name}.tools switches every built-in tool off and defines none: the environment would serve nothing.`, {
      hint: 'Define a tool under tools:, or switch a built-in back on.',
    });
  }
  return tools;
}
