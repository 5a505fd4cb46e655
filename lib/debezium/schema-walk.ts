// Reads Avro schema JSON the way Avro resolves it: named types by full name, relative to the
// enclosing namespace, so `"after": ["null", "Value"]` finds the record defined in `before`.
import type { AvroSchemaJson, AvroSchemaObject } from '../registry';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

export function isObjectSchema(schema: AvroSchemaJson): schema is AvroSchemaObject {
  return typeof schema === 'object' && schema !== null && !Array.isArray(schema);
}

function fullName(name: string, namespace: string): string {
  return name.includes('.') || !namespace ? name : `${namespace}.${name}`;
}

function namespaceOf(schema: AvroSchemaObject, enclosing: string): string {
  const name = typeof schema.name === 'string' ? schema.name : '';
  if (name.includes('.')) return name.slice(0, name.lastIndexOf('.'));
  return typeof schema.namespace === 'string' ? schema.namespace : enclosing;
}

/** A resolved type with the namespace its own references resolve in. */
export interface Located {
  schema: AvroSchemaJson;
  namespace: string;
}

export class NamedTypes {
  private readonly byName = new Map<string, Located>();

  constructor(root: AvroSchemaJson) {
    this.collect(root, '');
  }

  private collect(schema: AvroSchemaJson, namespace: string): void {
    if (Array.isArray(schema)) {
      for (const branch of schema) this.collect(branch, namespace);
      return;
    }
    if (!isObjectSchema(schema)) return;
    const ns = namespaceOf(schema, namespace);
    if (typeof schema.name === 'string' && ['record', 'error', 'enum', 'fixed'].includes(String(schema.type))) {
      this.byName.set(fullName(schema.name, ns), { schema, namespace: ns });
    }
    if (Array.isArray(schema.fields)) {
      for (const field of schema.fields as { type: AvroSchemaJson }[]) this.collect(field.type, ns);
    }
    if (typeof schema.type === 'object') this.collect(schema.type, ns);
    if (schema.items !== undefined) this.collect(schema.items as AvroSchemaJson, ns);
    if (schema.values !== undefined) this.collect(schema.values as AvroSchemaJson, ns);
  }

  /** Follows name references until a definition (or a primitive name) is reached. */
  resolve(schema: AvroSchemaJson, namespace: string): Located {
    if (typeof schema === 'string' && !PRIMITIVES.has(schema)) {
      const found = this.byName.get(fullName(schema, namespace)) ?? this.byName.get(schema);
      if (!found) throw new Error(`undefined Avro type name ${schema}`);
      return found;
    }
    if (isObjectSchema(schema)) return { schema, namespace: namespaceOf(schema, namespace) };
    return { schema, namespace };
  }
}

export interface FieldSchema {
  name: string;
  type: AvroSchemaJson;
  default?: unknown;
}

export function fieldsOf(record: AvroSchemaObject): FieldSchema[] {
  return Array.isArray(record.fields) ? (record.fields as FieldSchema[]) : [];
}

/** A union with `null` is a nullable column; other unions Debezium never writes. */
export function unwrapNullable(type: AvroSchemaJson): { nullable: boolean; type: AvroSchemaJson } {
  if (!Array.isArray(type)) return { nullable: false, type };
  const rest = type.filter((branch) => branch !== 'null');
  if (rest.length !== 1) throw new Error(`union ${JSON.stringify(type)} is not "null or one type"`);
  return { nullable: rest.length < type.length, type: rest[0] };
}

/** The type's name as written in the schema (`type` of an annotated primitive, or the name). */
export function typeNameOf(schema: AvroSchemaJson): string {
  if (typeof schema === 'string') return schema;
  if (isObjectSchema(schema)) return typeof schema.type === 'string' ? schema.type : typeNameOf(schema.type);
  return 'union';
}
