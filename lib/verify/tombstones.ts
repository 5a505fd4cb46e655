// Tandem's tandem_tombstones compared after the application tables converged. A differing
// tombstone is harmless ("dominated") when the row it names exists on both sides with the same
// updated_at, newer than either side's deleted_at (the rows themselves are compared by verify): no change that could still arrive is decided
// by it. That happens when lastWriterWins drops a delete that lost, inside one batch, to a newer
// write of the same row, so the target never records the older tombstone.
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { parseTables, type TableSpec } from '../config';
import { compareDatabases, type RowDiff, type VerifyReport } from './compare';
import { connectForVerify } from './connect';
import { quote } from './sql';

export interface TombstoneCheck {
  report: VerifyReport;
  /** Differing tombstones that a newer row on both sides makes irrelevant. */
  dominated: number;
  /** The others: these could decide a late change differently on the two sides. */
  notDominated: RowDiff[];
}

async function rowVersion(db: Connection, spec: TableSpec, key: unknown[]): Promise<string | undefined> {
  const where = spec.primaryKey.map((c) => `${quote(c)} = ?`).join(' AND ');
  const [rows] = await db.query<RowDataPacket[]>(`SELECT updated_at FROM ${quote(spec.name)} WHERE ${where}`, key.map((v) => String(v)));
  return rows[0] ? String(rows[0].updated_at) : undefined;
}

/** `tables` tells the key columns of the tables tombstones name (default: the demo chat tables). */
export async function checkTombstones(a: string, b: string, tables: TableSpec[] = parseTables('rooms,members:room_id+user_id,messages') as TableSpec[]): Promise<TombstoneCheck> {
  const ca = await connectForVerify(a, 'a');
  const cb = await connectForVerify(b, 'b');
  try {
    const report = await compareDatabases(ca, cb, { tables: ['tandem_tombstones'], maxDiffs: 100_000 });
    let dominated = 0;
    const notDominated: RowDiff[] = [];
    for (const d of report.diffs) {
      const spec = tables.find((t) => t.name === d.key.tbl);
      // A table outside the list cannot be checked: its difference counts as not dominated.
      const deletedAt = [d.a?.deleted_at, d.b?.deleted_at].filter((v): v is string => typeof v === 'string').sort().pop() ?? '';
      let ok = false;
      // Rows are keyed by (tbl, pk_hash), a digest; the key itself is the text in `pk`.
      const pk = d.a?.pk ?? d.b?.pk;
      if (spec && typeof pk === 'string') {
        const key = JSON.parse(pk) as unknown[];
        const [va, vb] = [await rowVersion(ca, spec, key), await rowVersion(cb, spec, key)];
        ok = va !== undefined && va === vb && va > deletedAt;
      }
      if (ok) dominated++;
      else notDominated.push(d);
    }
    return { report, dominated, notDominated };
  } finally {
    await ca.end().catch(() => ca.destroy());
    await cb.end().catch(() => cb.destroy());
  }
}
