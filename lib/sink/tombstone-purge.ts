// Forgets deletes older than the retention: removes the tombstones whose deleted_at is older than
// the server's clock minus the retention, all of them each cycle, in short chunks that take
// one pooled connection at a time (a flush waits for one chunk at most) and never wait for a lock.
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../observe';
import { isConnectionError, toTandemError } from './classify';
import type { Sessions } from './connection';
import type { Dialect } from './dialect';

export interface TombstonePurgeOptions {
  sessions: Sessions;
  retentionMs: number;
  log: Logger;
  /** Least time between the starts of two cycles. Default one minute. */
  everyMs?: number;
  /** Tombstones per transaction. Default 1000. */
  chunkRows?: number;
}

export interface PurgeCycle {
  /** The cutoff the server computed (`YYYY-MM-DD HH:MM:SS.ffffff`), null when it could not. */
  cutoff: string | null;
  deleted: number;
  chunks: number;
}

export class TombstonePurge {
  private readonly everyMs: number;
  private readonly chunkRows: number;
  private lastStart = -Infinity;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: TombstonePurgeOptions) {
    this.everyMs = options.everyMs ?? 60_000;
    this.chunkRows = options.chunkRows ?? 1000;
  }

  /**
   * Starts a cycle in the background when one is due and none runs. Called after each flush:
   * a sink that writes nothing (its database unreachable, say) does not purge either.
   */
  maybeStart(): void {
    if (this.running || this.stopping || Date.now() - this.lastStart < this.everyMs) return;
    this.lastStart = Date.now();
    const t0 = Date.now();
    this.running = this.runOnce()
      .then(
        (c) => {
          if (c.deleted > 0) this.options.log.info('purged old tombstones', { deleted: c.deleted, chunks: c.chunks, olderThan: c.cutoff, ms: Date.now() - t0 });
        },
        (err: unknown) => this.options.log.warn('purging old tombstones failed; will try again', { error: toTandemError(err, 'purging tombstones').message }),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  /** One cycle: every tombstone older than the cutoff taken at its start, chunk after chunk. */
  async runOnce(): Promise<PurgeCycle> {
    const dialect = await this.options.sessions.dialect();
    const cutoff = await this.withConnection(async (conn) => {
      const [rows] = await conn.query<RowDataPacket[]>(dialect.purge.cutoff, [this.options.retentionMs * 1000]);
      const value: unknown = rows[0]?.cutoff;
      return typeof value === 'string' ? value : null;
    });
    if (cutoff === null) {
      this.options.log.warn("tombstones are not purged: the server cannot convert UTC_TIMESTAMP() to its global time_zone (load its time zone tables)");
      return { cutoff, deleted: 0, chunks: 0 };
    }
    const cycle: PurgeCycle = { cutoff, deleted: 0, chunks: 0 };
    // The cutoff is fixed for the cycle, so it ends: fewer rows than a chunk means none is left
    // (or the rest is locked by a writer right now and waits for the next cycle).
    while (!this.stopping) {
      const n = await this.chunk(dialect, cutoff);
      cycle.deleted += n;
      cycle.chunks++;
      if (n < this.chunkRows) break;
    }
    return cycle;
  }

  /** Stops after the current chunk; resolves once the running cycle is over. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private chunk(dialect: Dialect, cutoff: string): Promise<number> {
    return this.withConnection(async (conn) => {
      await conn.query(dialect.purge.isolation);
      await conn.beginTransaction();
      const [rows] = await conn.query<RowDataPacket[]>(dialect.purge.lockExpired, [cutoff, this.chunkRows]);
      if (rows.length > 0) {
        const keys = rows.map((r) => ({ tbl: String(r.tbl), pkHash: r.pk_hash as Buffer }));
        await conn.query(dialect.purge.deleteKeys, dialect.purge.deleteKeysValues(keys));
      }
      await conn.commit();
      return rows.length;
    });
  }

  /** A Tandem session for one short piece of work (its binlog events carry Tandem's server id). */
  private async withConnection<T>(work: (conn: PoolConnection) => Promise<T>): Promise<T> {
    const conn = await this.options.sessions.acquire();
    try {
      const result = await work(conn);
      conn.release();
      return result;
    } catch (err) {
      if (isConnectionError(err)) conn.destroy();
      else
        await conn.rollback().then(
          () => conn.release(),
          () => conn.destroy(),
        );
      throw err;
    }
  }
}
