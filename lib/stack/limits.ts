// How large a row the local stack carries, stated once: every MariaDB, Kafka, Connect and Tandem
// client limit on the way is derived from MAX_ROW_BYTES here, so they cannot drift apart. A limit
// missed on the way fails loudly (a connector FAILED on RecordTooLargeException, a consumer stuck on
// an oversized fetch), which is why they are set together. Users' own clusters: docs/runtime.md,
// "Rows larger than 1 MB".

export const MiB = 1024 * 1024;

/**
 * The largest row: MariaDB's `max_allowed_packet` on both servers. An application cannot write a
 * larger row (its statement would not fit), so nothing larger reaches the change stream.
 */
export const MAX_ROW_BYTES = 64 * MiB;

/**
 * The largest change event a source connector produces. An update carries the row twice (before
 * and after images: binlog_row_image=FULL), plus Debezium's envelope and the Avro framing (small;
 * 4 MiB is far more than they take).
 */
export const MAX_RECORD_BYTES = 2 * MAX_ROW_BYTES + 4 * MiB;

/**
 * The largest record batch the broker accepts (`message.max.bytes`; topics inherit it). One
 * record, plus room for what Tandem adds when it dead-letters that record (the original bytes
 * travel with headers naming the reason and the source offset).
 */
export const MAX_BATCH_BYTES = MAX_RECORD_BYTES + MiB;

/** The largest request or response on the wire: one batch plus the protocol's framing. */
export const MAX_REQUEST_BYTES = MAX_BATCH_BYTES + MiB;

/**
 * What Debezium may hold in its queue between the binlog reader and Kafka
 * (`max.queue.size.in.bytes`): by default only the record count (8192) bounds it, and 8192 rows of
 * 20 MB exhaust any heap. A record larger than this still passes, alone.
 */
export const CONNECTOR_QUEUE_BYTES = MAX_ROW_BYTES;
