/** Tool annotations shared by the catalog tools. */
import type { ToolHints } from './tool.js';

export function readOnlyHints(title: string): ToolHints {
  return { title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
}
