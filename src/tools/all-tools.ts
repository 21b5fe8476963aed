/** The tools every environment serves, in the order clients list them. */
import { describeTableTool } from './describe-table.js';
import { executeSqlTool } from './execute-sql.js';
import { getTableSampleTool } from './get-table-sample.js';
import { listTablesTool } from './list-tables.js';
import type { ToolDefinition } from './tool.js';

export const ALL_TOOLS: readonly ToolDefinition[] = [listTablesTool, describeTableTool, executeSqlTool, getTableSampleTool];
