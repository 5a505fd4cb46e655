// The identity of a `tandem_tombstones` row, computed outside the database for simulations (the
// in-memory database of the test driver, benchmark loads). The database derives it itself
// (lib/sink/dialect.ts, the key trigger); test/db checks that both agree.
import { createHash } from 'node:crypto';

/** `pk_hash`: SHA-256 of the key text (`pk`, MariaDB's JSON_ARRAY rendering) as UTF-8 bytes. */
export function tombstonePkHash(pk: string): Buffer {
  return createHash('sha256').update(pk, 'utf8').digest();
}
