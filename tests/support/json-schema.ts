/**
 * The subset of JSON Schema that lambdas/api/openapi.json uses, checked strictly: a keyword it
 * does not know fails the check, so the document cannot grow a rule this checker silently skips,
 * and a member an object schema does not name is a problem (every field answered is documented).
 */
type Schema = Record<string, unknown>;

const KNOWN = new Set(['$ref', 'type', 'required', 'properties', 'enum', 'items', 'minItems', 'maxItems', 'pattern', 'description']);

export function schemaProblems(document: Schema, schema: Schema, value: unknown, at = '$'): string[] {
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) return [`${at}: the checker does not know the keyword "${keyword}"`];
  if (typeof schema.$ref === 'string') return schemaProblems(document, resolve(document, schema.$ref), value, at);
  const problems: string[] = [];
  const type = schema.type as string | undefined;
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'object' && !isObject) return [`${at}: expected an object`];
  if (type === 'array' && !Array.isArray(value)) return [`${at}: expected an array`];
  if (type === 'string' && typeof value !== 'string') return [`${at}: expected a string`];
  if (type === 'integer' && !Number.isInteger(value)) return [`${at}: expected an integer`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if (typeof schema.pattern === 'string' && typeof value === 'string' && !new RegExp(schema.pattern, 'u').test(value)) problems.push(`${at}: "${value}" does not match ${schema.pattern}`);
  if (isObject) {
    const object = value as Record<string, unknown>;
    for (const field of (schema.required as string[] | undefined) ?? []) if (!(field in object)) problems.push(`${at}.${field}: required`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [field, member] of Object.entries(object)) {
      const sub = properties[field];
      if (sub === undefined) problems.push(`${at}.${field}: not in the schema`);
      else problems.push(...schemaProblems(document, sub, member, `${at}.${field}`));
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) problems.push(`${at}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) problems.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.items !== undefined) value.forEach((item, i) => problems.push(...schemaProblems(document, schema.items as Schema, item, `${at}[${i}]`)));
  }
  return problems;
}

/** A local reference (#/components/...) in the document. */
export function resolve(document: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
  let node: unknown = document;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'object' || node === null) throw new Error(`${ref} does not resolve`);
  return node as Schema;
}
