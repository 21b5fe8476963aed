/** The parameter helpers that need no database: timestamps as bound, column kinds, and date checks. */
import { describe, expect, it } from 'vitest';
import type { ToolParameterConfig } from '../../../src/config/tool-schema.js';
import { columnKindOf, toUtcTimestamp, valueSchemaOf } from '../../../src/tools/config-tools/tool-parameters.js';

const parameter = (type: 'date' | 'timestamp') => ({ name: 'p', type, description: 'P', required: true, default: undefined }) as ToolParameterConfig;
const messages = (type: 'date' | 'timestamp', value: string) => valueSchemaOf(parameter(type)).safeParse(value).error?.issues.map((i) => i.message) ?? [];

describe('toUtcTimestamp', () => {
  it('moves a time with an offset to UTC and keeps every digit of its fraction', () => {
    expect(toUtcTimestamp('2025-03-01T14:30:00Z')).toBe('2025-03-01 14:30:00');
    expect(toUtcTimestamp('2025-03-01T14:30:00.123456+02:00')).toBe('2025-03-01 12:30:00.123456');
    expect(toUtcTimestamp('2025-03-01T23:30:00.5-01:00')).toBe('2025-03-02 00:30:00.5');
  });

  it('takes a time without an offset as UTC', () => {
    expect(toUtcTimestamp('2025-03-01 14:30')).toBe('2025-03-01 14:30:00');
    expect(toUtcTimestamp('2025-03-01T14:30:00')).toBe('2025-03-01 14:30:00');
  });
});

describe('date and timestamp parameters', () => {
  it('say one thing when the form is wrong, and another when the day does not exist', () => {
    expect(messages('date', '03/01/2025')).toEqual(['must be a date written YYYY-MM-DD']);
    expect(messages('date', '2025-02-30')).toEqual(['is not a real date']);
    expect(messages('date', '2024-02-29')).toEqual([]);
    expect(messages('timestamp', 'yesterday')).toEqual(['must be an ISO 8601 time such as 2025-03-01T14:30:00Z']);
    expect(messages('timestamp', '2025-02-30T10:00:00Z')).toEqual(['is not a real time']);
    expect(messages('timestamp', '2025-03-01T14:30:00.123456+02:00')).toEqual([]);
  });
});

describe('columnKindOf', () => {
  it('reads the kind of a column from its declared type, on every dialect', () => {
    for (const type of ['integer', 'bigint', 'numeric(12,2)', 'DECIMAL(12,2)', 'double precision', 'real', 'money', 'tinyint(1)']) expect(columnKindOf(type)).toBe('number');
    for (const type of ['date', 'timestamp', 'timestamp with time zone', 'datetime2', 'datetimeoffset', 'TIMESTAMP', 'year']) expect(columnKindOf(type)).toBe('date');
    for (const type of ['varchar(20)', 'text', 'nvarchar(max)', 'char(2)', 'uuid', 'json']) expect(columnKindOf(type)).toBe('text');
  });

  it('does not guess where the type says nothing or means a length of time', () => {
    expect(columnKindOf('')).toBeUndefined();
    expect(columnKindOf('blob')).toBeUndefined();
    expect(columnKindOf('interval')).toBeUndefined();
  });
});
