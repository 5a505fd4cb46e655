/** An Avro schema as JSON: a type name, a union (array) or a type object. */
export type AvroSchemaJson = string | AvroSchemaObject | AvroSchemaJson[];

export interface AvroSchemaObject {
  type: AvroSchemaJson;
  [attribute: string]: unknown;
}

/** Where decoders find writer schemas by the id framed into each Kafka record. */
export interface SchemaSource {
  /**
   * The schema registered under `id`. Rejects with a `TandemError`: `poison` when the id does not
   * exist (the record can never be read), `retriable` when the registry cannot be reached.
   */
  getSchema(id: number): Promise<AvroSchemaJson>;
}

/** A schema source that producers can register schemas with (subjects `<topic>-key` / `<topic>-value`). */
export interface SchemaRegistry extends SchemaSource {
  /** Registers `schema` under `subject` and returns its id; an identical schema keeps its id. */
  register(subject: string, schema: AvroSchemaJson): Promise<number>;
}
