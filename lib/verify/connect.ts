// Verify's two read-only connections: values as exact text (dates with microseconds, big
// integers, decimals), and both sessions in UTC so TIMESTAMP columns render alike on both sides.
import { createConnection, type Connection } from 'mysql2/promise';
import { fatal } from '../errors';
import { redactUrl } from '../sink';

export async function connectForVerify(url: string, side: string): Promise<Connection> {
  let conn: Connection;
  try {
    conn = await createConnection({ uri: url, dateStrings: true, supportBigNumbers: true, bigNumberStrings: true, jsonStrings: true, charset: 'utf8mb4_unicode_ci', connectTimeout: 10_000 });
  } catch (err) {
    throw fatal(`verify: cannot connect to side ${side} (${redactUrl(url)}): ${err instanceof Error ? err.message : String(err)}`, {
      stage: 'verify',
      hint: `check TANDEM_DB_${side.toUpperCase()}_URL or --${side}-file`,
    });
  }
  await conn.query("SET SESSION time_zone = '+00:00'");
  // A consistent read per statement is enough: each chunk is compared, then re-read on a miss.
  await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  return conn;
}
