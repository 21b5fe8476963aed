/** The audit record of a tool call: its result size is the characters the model received, text and structured. */
import { describe, expect, it } from 'vitest';
import { toolCallEvent, type ToolCallOutcome } from '../../src/audit/tool-call-event.js';

const outcome = (result: ToolCallOutcome['result']): ToolCallOutcome => ({
  requestId: 'r1', environment: 'demo', identity: undefined, tool: 'execute_sql', input: { query: 'SELECT 1' },
  statement: undefined, recordsParameters: false, ms: 3, result,
});

describe('toolCallEvent result_chars', () => {
  const structured = { table: 'orders', columns: [{ name: 'id', type: 'int' }], rows: [[1, 'a|b', null], [2, { x: 'é' }, true]], row_count: 2, truncated: false };
  const exact = 'text'.length + JSON.stringify(structured).length;

  it('counts the text and the structured content\'s JSON', () => {
    expect(toolCallEvent(outcome({ structured, text: 'text' })).result_chars).toBe(exact);
  });

  it('comes out the same from the rows\' measured JSON length, without serialising them again', () => {
    const measured = toolCallEvent(outcome({ structured, text: 'text', rowsJsonChars: JSON.stringify(structured.rows).length }));
    expect(measured.result_chars).toBe(exact);
    const onlyRows = { rows: [[1], [2]] };
    expect(toolCallEvent(outcome({ structured: onlyRows, text: '', rowsJsonChars: 9 })).result_chars).toBe(JSON.stringify(onlyRows).length);
  });

  it('serialises whatever has no rows array as it is', () => {
    const described = { table: 'orders', columns: [] };
    expect(toolCallEvent(outcome({ structured: described, text: 'x', rowsJsonChars: 999 })).result_chars).toBe(1 + JSON.stringify(described).length);
  });
});
