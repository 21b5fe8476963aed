/**
 * A tool's zod schema as the SDK publishes it in tools/list, without "$schema". Every input and output schema named
 * its JSON Schema dialect: 57 characters each, 456 of the built-in tools' budget of 6,000 (issue 12), and MCP reads
 * a schema without "$schema" as JSON Schema 2020-12, the dialect zod writes. Validation stays zod's own.
 */
import type { z } from 'zod';

type Standard = z.ZodType['~standard'];
type JsonSchemaOf = Required<Standard>['jsonSchema'];

export function publishedSchema<T extends z.ZodType>(schema: T): T {
  const standard = schema['~standard'] as Standard & { jsonSchema: JsonSchemaOf };
  const withoutDialect = (json: Record<string, unknown>) => {
    const { $schema: _dialect, ...rest } = json;
    return rest;
  };
  const jsonSchema: JsonSchemaOf = {
    input: (options) => withoutDialect(standard.jsonSchema.input(options)),
    output: (options) => withoutDialect(standard.jsonSchema.output(options)),
  };
  // Only "~standard" is read by the SDK (validate, jsonSchema); the zod schema itself stays as it was.
  return { '~standard': { ...standard, jsonSchema } } as unknown as T;
}
