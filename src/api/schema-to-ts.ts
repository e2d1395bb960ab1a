/**
 * Turns a CRD's OpenAPI v3 schema into TypeScript interfaces. The CRD YAML is the API's source
 * of truth; `src/api/v1alpha1/types.generated.ts` is this function's output, and a unit test
 * fails when the two drift apart (`npm run generate` rewrites it).
 */
export interface JsonSchema {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const singular = (s: string) => (s.endsWith('ies') ? `${s.slice(0, -3)}y` : s.replace(/s$/, ''));

function doc(description: string | undefined, indent: string): string {
  if (!description) return '';
  const text = description.replace(/\s+/g, ' ').trim().replace(/\*\//g, '*\\/');
  return `${indent}/** ${text} */\n`;
}

/** Emits `interface <name>` for an object schema, and its nested object types before it. */
export function schemaToTs(name: string, schema: JsonSchema): string {
  const out: string[] = [];
  emitInterface(name, schema, out);
  return out.join('\n');
}

function emitInterface(name: string, schema: JsonSchema, out: string[]): void {
  const nested: string[] = [];
  const required = new Set(schema.required ?? []);
  let body = '';
  for (const [prop, sub] of Object.entries(schema.properties ?? {})) {
    const type = typeOf(`${name}${pascal(prop)}`, sub, nested);
    body += doc(sub.description, '  ');
    body += `  ${prop}${required.has(prop) ? '' : '?'}: ${type};\n`;
  }
  out.push(...nested);
  out.push(`${doc(schema.description, '')}export interface ${name} {\n${body}}\n`);
}

function typeOf(name: string, schema: JsonSchema, out: string[]): string {
  if (schema['x-kubernetes-int-or-string']) return 'number | string';
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `${wrap(typeOf(singular(name), schema.items ?? {}, out))}[]`;
    case 'object':
      if (!schema.properties) return 'Record<string, unknown>';
      emitInterface(name, schema, out);
      return name;
    default:
      return 'unknown';
  }
}

const wrap = (t: string) => (t.includes('|') ? `(${t})` : t);
