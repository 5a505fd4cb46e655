import type { Headers } from './change-event';

/** One record as read from Kafka, before decoding. Keys and values are still Confluent-framed Avro. */
export interface KafkaRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are int64: kept as a decimal string. */
  offset: string;
  timestamp: number;
  key: Buffer | null;
  /** `null` is a Kafka tombstone (Debezium sends one after each delete). */
  value: Buffer | null;
  headers: Headers;
}

/** What a decoder's caller tells it about the events it will drop. */
export interface DecodeOptions {
  /**
   * Server ids whose row changes the caller drops whatever their rows hold (Tandem's echoes, which
   * the origin filter drops): their events come with `before` and `after` null and `key` {}.
   */
  withoutRowsFrom?: ReadonlySet<number>;
}
