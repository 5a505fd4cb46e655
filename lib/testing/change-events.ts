import { LocalDateTime, type ChangeEvent, type Op, type Row, type SourceInfo } from '../model';

export interface ChangeEventInit {
  /** Topic prefix / database id (default `a`). */
  db?: string;
  table: string;
  op?: Op;
  before?: Row | null;
  after?: Row | null;
  /** Default: the `id` column of the row image. */
  key?: Row;
  serverId?: number;
  /** Binlog position (default pos 4, row 0 of mysql-bin.000001). */
  pos?: number;
  row?: number;
  file?: string;
  deletedAt?: LocalDateTime | string;
}

/** A ChangeEvent as Debezium's MariaDB connector would decode it, for tests; only what matters is required. */
export function changeEvent(init: ChangeEventInit): ChangeEvent {
  const op = init.op ?? (init.after ? 'c' : 'd');
  const before = init.before ?? null;
  const after = init.after ?? null;
  const image = after ?? before ?? {};
  const source: SourceInfo = {
    connector: 'mariadb',
    name: init.db ?? 'a',
    db: 'chat',
    table: init.table,
    serverId: init.serverId ?? 1,
    gtid: null,
    file: init.file ?? 'mysql-bin.000001',
    pos: init.pos ?? 4,
    row: init.row ?? 0,
    tsMs: 0,
    snapshot: false,
    thread: null,
  };
  const deletedAt = typeof init.deletedAt === 'string' ? LocalDateTime.parse(init.deletedAt) : init.deletedAt;
  return { op, before, after, key: init.key ?? { id: image.id ?? null }, source, headers: {}, ...(deletedAt ? { deletedAt } : {}) };
}

/** `LocalDateTime.parse`, short for tests: `at('2026-01-01 00:00:01.000002')`. */
export const at = (text: string): LocalDateTime => LocalDateTime.parse(text);
