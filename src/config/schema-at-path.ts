/**
 * Finds the schema that validates the value at a key path of the configuration (`environments.demo.max_rows` → the
 * max_rows number schema), so that error messages can say what the schema itself knows: the keys a mapping takes,
 * a number's range. Wrappers that do not change what is valid (defaults, optional, preprocess, transform) are
 * looked through, and a union is entered through the first alternative that has the key.
 */
import { z } from 'zod';

/** The schema under `root` that validates the value at `keyPath`, or undefined where the path leaves the schema. */
export function schemaAtPath(root: z.ZodType, keyPath: readonly PropertyKey[]): z.ZodType | undefined {
  let node: z.ZodType | undefined = validatingSchema(root);
  for (const key of keyPath) {
    if (node instanceof z.ZodObject) node = (node.shape as Record<string, z.ZodType | undefined>)[String(key)];
    else if (node instanceof z.ZodRecord) node = node.valueType as z.ZodType;
    else if (node instanceof z.ZodArray) node = node.element as z.ZodType;
    else if (node instanceof z.ZodUnion) node = (node.options as readonly z.ZodType[]).map((option) => schemaAtPath(option, [key])).find((found) => found !== undefined);
    else return undefined;
    if (node === undefined) return undefined;
    node = validatingSchema(node);
  }
  return node;
}

/** The schema under the wrappers: `.default()`, `.optional()`, `.nullable()`, `.transform()` and `z.preprocess()`. */
export function validatingSchema(schema: z.ZodType): z.ZodType {
  let node = schema;
  for (;;) {
    if (node instanceof z.ZodPipe) {
      // `.transform(f)` pipes into a ZodTransform, `z.preprocess(f, s)` pipes out of one: s is what validates.
      node = (node.in instanceof z.ZodTransform ? node.out : node.in) as z.ZodType;
    } else if (node instanceof z.ZodDefault || node instanceof z.ZodPrefault || node instanceof z.ZodOptional || node instanceof z.ZodNullable) {
      node = node.unwrap() as z.ZodType;
    } else {
      return node;
    }
  }
}
