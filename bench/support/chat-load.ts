// A reproducible stream of chat-table changes (inserts, updates, deletes with realistic sizes),
// as Debezium would have captured them from database a, plus the final state they leave behind.
// Each delete is produced three ways, so Debezium's JDBC sink and Tandem each find what they read:
// a Debezium delete event and a Kafka tombstone on the row topic, and a tandem_tombstones row
// change (what Tandem's triggers would have captured) on the tombstone topic.
import { Decimal, LocalDateTime, tombstonePkHash, type ColumnValue, type Row, type SourceInfo } from '../../lib/model';

export const TABLES = ['rooms', 'members', 'messages'] as const;
export type ChatTable = (typeof TABLES)[number];
export const KEYS: Record<ChatTable, string[]> = { rooms: ['id'], members: ['room_id', 'user_id'], messages: ['id'] };
export const COLUMNS: Record<ChatTable, string[]> = {
  rooms: ['id', 'name', 'topic', 'is_private', 'created_at', 'updated_at'],
  members: ['room_id', 'user_id', 'nickname', 'role', 'joined_at', 'updated_at'],
  messages: ['id', 'room_id', 'author_id', 'body', 'meta', 'tip', 'sent_at', 'edited_at', 'updated_at'],
};

export interface LoadCounts {
  inserts: number;
  updates: number;
  deletes: number;
}

/** One change: the row topic's event, and for a delete the tombstone row Tandem reads. */
export interface Change {
  table: ChatTable;
  op: 'c' | 'u' | 'd';
  before: Row | null;
  after: Row | null;
  key: Row;
  source: SourceInfo;
  /** Set on deletes: the tandem_tombstones row (tbl, pk_hash, pk, deleted_at, origin). */
  tombstone?: Row;
}

/** xorshift32: the same load for the same seed, in every run and for both consumers. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const WORDS = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua'.split(' ');

export class ChatLoad {
  readonly final: Record<ChatTable, Map<string, Row>> = { rooms: new Map(), members: new Map(), messages: new Map() };
  readonly counts: LoadCounts = { inserts: 0, updates: 0, deletes: 0 };
  private readonly live: Record<ChatTable, string[]> = { rooms: [], members: [], messages: [] };
  private readonly next: Record<ChatTable, number> = { rooms: 1, members: 1, messages: 1 };
  private readonly random: () => number;

  /**
   * `startMicros`: the first change's time (default: an hour ago). Recent on purpose: the sink
   * purges tombstones older than its retention (7 days), so old deletes would be forgotten.
   */
  constructor(seed = 42, private readonly serverId = 11, private readonly startMicros = BigInt(Date.now() - 3_600_000) * 1000n) {
    this.random = rng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private text(min: number, max: number): string {
    const len = min + this.int(max - min);
    let s = '';
    while (s.length < len) s += `${WORDS[this.int(WORDS.length)]} `;
    return s.slice(0, len).trimEnd();
  }

  private newRow(table: ChatTable, at: LocalDateTime): Row {
    const n = this.next[table]++;
    switch (table) {
      case 'rooms':
        return { id: n, name: `room ${n} ${this.text(5, 30)}`, topic: this.random() < 0.5 ? this.text(20, 120) : null, is_private: this.int(2), created_at: at, updated_at: at };
      case 'members':
        return { room_id: 1 + this.int(Math.max(1, this.next.rooms - 1)), user_id: n, nickname: `user${n}`, role: this.random() < 0.1 ? 'admin' : 'member', joined_at: at, updated_at: at };
      case 'messages':
        return {
          id: n,
          room_id: 1 + this.int(Math.max(1, this.next.rooms - 1)),
          author_id: 1 + this.int(50_000),
          body: this.text(40, 400),
          meta: this.random() < 0.5 ? null : `{"client":"${this.random() < 0.5 ? 'web' : 'ios'}","mentions":[${this.int(1000)},${this.int(1000)}],"attachments":${this.int(3)}}`,
          tip: this.random() < 0.8 ? null : new Decimal(BigInt(this.int(10_000_000)), 4),
          sent_at: at,
          edited_at: null,
          updated_at: at,
        };
    }
  }

  private updated(table: ChatTable, row: Row, at: LocalDateTime): Row {
    switch (table) {
      case 'rooms':
        return { ...row, topic: this.text(20, 120), updated_at: at };
      case 'members':
        return { ...row, nickname: `${String(row.nickname).split('~')[0]}~${this.int(1000)}`, role: this.random() < 0.5 ? 'moderator' : 'member', updated_at: at };
      case 'messages':
        return { ...row, body: this.text(40, 400), edited_at: at, updated_at: at };
    }
  }

  private pick(): ChatTable {
    const r = this.random();
    return r < 0.03 ? 'rooms' : r < 0.15 ? 'members' : 'messages';
  }

  /** `n` changes, in commit order; updates and deletes hit rows that exist at that point. */
  *changes(n: number): Generator<Change> {
    for (let i = 0; i < n; i++) {
      const table = this.pick();
      const at = new LocalDateTime(this.startMicros + BigInt(i) * 37n, 6);
      const live = this.live[table];
      const r = this.random();
      const op = live.length < 10 || r < 0.65 ? 'c' : r < 0.9 ? 'u' : 'd';
      const source: SourceInfo = {
        connector: 'mariadb', name: 'a', db: 'chat', table, serverId: this.serverId, gtid: `1-${this.serverId}-${i + 1}`,
        file: 'mysql-bin.000001', pos: 4 + i * 420, row: 0, tsMs: Number(at.epochMicros / 1000n), snapshot: false, thread: 7,
      };
      if (op === 'c') {
        const after = this.newRow(table, at);
        const pk = pkText(table, after);
        this.final[table].set(pk, after);
        live.push(pk);
        this.counts.inserts++;
        yield { table, op, before: null, after, key: keyOf(table, after), source };
        continue;
      }
      const slot = this.int(live.length);
      const pk = live[slot];
      const before = this.final[table].get(pk) as Row;
      if (op === 'u') {
        const after = this.updated(table, before, at);
        this.final[table].set(pk, after);
        this.counts.updates++;
        yield { table, op, before, after, key: keyOf(table, after), source };
      } else {
        live[slot] = live[live.length - 1];
        live.pop();
        this.final[table].delete(pk);
        this.counts.deletes++;
        yield { table, op, before, after: null, key: keyOf(table, before), source, tombstone: { tbl: table, pk_hash: tombstonePkHash(pk), pk, deleted_at: at, origin: this.serverId } };
      }
    }
  }
}

export function keyOf(table: ChatTable, row: Row): Row {
  return Object.fromEntries(KEYS[table].map((c) => [c, row[c]]));
}

/** JSON_ARRAY(pk...) as MariaDB renders it: the tombstone table's `pk`. */
export function pkText(table: ChatTable, row: Row): string {
  return `[${KEYS[table].map((c) => String(row[c])).join(', ')}]`;
}

/** A column value as mysql2 should send it to reproduce the row exactly. */
export function sqlValue(v: ColumnValue): unknown {
  if (v instanceof LocalDateTime || v instanceof Decimal) return v.toString();
  return v;
}
