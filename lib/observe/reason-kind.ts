// A dead letter's reason is free text (an error message, a table name, a value): as a metric label
// it would make a series per message. Metrics carry its kind instead, one of a few fixed words;
// the text itself is in the dead-letter record's header, the log line and the status page.
export const reasonKinds = [
  'no-source',
  'no-route',
  'table-not-allowed',
  'undecodable',
  'unsupported-op',
  'bad-tombstone',
  'unordered',
  'schema-change',
  'database-refused',
  'other',
] as const;
export type ReasonKind = (typeof reasonKinds)[number];

// First match wins; the texts are the ones lib/runtime, lib/stages, lib/debezium and lib/sink write.
const rules: readonly [RegExp, ReasonKind][] = [
  [/no source node of the topology reads topic/, 'no-source'],
  [/no route for table/, 'no-route'],
  [/not in this sink's allow-list/, 'table-not-allowed'],
  [/unsupported Debezium op|unknown op/, 'unsupported-op'],
  [/schema id|not valid Avro|Confluent (header|magic byte)|value Tandem cannot read/i, 'undecodable'],
  [/^tombstone /, 'bad-tombstone'],
  [/cannot order a change/, 'unordered'],
  [/the record lacks column|a type change at the source|no SQL type known|column \S+: .*without|not in target table/, 'schema-change'],
  [/^(writing to|recording the tombstone in) /, 'database-refused'],
];

export function reasonKind(reason: string): ReasonKind {
  // The sink prefixes a table name ("rooms: the record lacks ..."): the rules match anywhere but `^`.
  const text = reason.replace(/^[A-Za-z0-9_$]+: (?=(writing to|recording the tombstone in) )/, '');
  return rules.find(([test]) => test.test(text))?.[1] ?? 'other';
}
