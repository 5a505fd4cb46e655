// What an application does to the chat schema: inserts, updates and deletes on rooms, members
// and messages over a shared key space (so both masters touch the same rows and conflicts really
// happen), every write setting `updated_at = NOW(6)` as an application would.
import type { Random } from './random';

export interface KeySpace {
  /** Rooms 1..rooms (pre-created on both sides; never deleted, messages and members point at them). */
  rooms: number;
  users: number;
  messages: number;
  /** Added to every room and message id, so several runs can share a database. */
  base: number;
}

export type OpKind = 'insert' | 'update' | 'delete';

export interface Operation {
  table: 'rooms' | 'members' | 'messages';
  kind: OpKind;
  sql: string;
  args: unknown[];
}

const WORDS = ['hello', 'ok', 'ship it', 'naïve café', '日本語', 'emoji 🚀', "it's", 'a|b', ''];

function body(r: Random): string {
  return Array.from({ length: r.int(1, 4) }, () => r.pick(WORDS)).join(' ');
}

/** DECIMAL(12,4): exact text, sometimes NULL, sometimes negative. */
function tip(r: Random): string | null {
  if (r.chance(0.3)) return null;
  const v = r.int(-99_999_999, 999_999_999);
  const sign = v < 0 ? '-' : '';
  const abs = String(Math.abs(v)).padStart(5, '0');
  return `${sign}${abs.slice(0, -4)}.${abs.slice(-4)}`;
}

function meta(r: Random): string | null {
  if (r.chance(0.3)) return null;
  return JSON.stringify({ mentions: Array.from({ length: r.int(0, 3) }, () => r.int(1, 500)), pinned: r.chance(0.1), note: r.pick(WORDS) });
}

export function roomRows(k: KeySpace): unknown[][] {
  return Array.from({ length: k.rooms }, (_, i) => [k.base + i + 1, `room ${i + 1}`]);
}

/** The rooms both sides start with: identical rows, so the run starts converged. */
export function seedRoomsSql(k: KeySpace): { sql: string; args: unknown[] } {
  const rows = roomRows(k);
  return {
    sql: `INSERT IGNORE INTO rooms (id, name, created_at, updated_at) VALUES ${rows.map(() => "(?, ?, '2000-01-01 00:00:00', '2000-01-01 00:00:00')").join(', ')}`,
    args: rows.flat(),
  };
}

function messageOp(r: Random, k: KeySpace): Operation {
  const id = k.base + r.int(1, k.messages);
  const roll = r.next();
  if (roll < 0.45) {
    return {
      table: 'messages',
      kind: 'insert',
      sql: 'INSERT INTO messages (id, room_id, author_id, body, meta, tip, sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NOW(6), NOW(6))',
      args: [id, k.base + r.int(1, k.rooms), r.int(1, k.users), body(r), meta(r), tip(r)],
    };
  }
  if (roll < 0.85) {
    return {
      table: 'messages',
      kind: 'update',
      sql: 'UPDATE messages SET body = ?, tip = ?, meta = ?, edited_at = NOW(6), updated_at = NOW(6) WHERE id = ?',
      args: [body(r), tip(r), meta(r), id],
    };
  }
  return { table: 'messages', kind: 'delete', sql: 'DELETE FROM messages WHERE id = ?', args: [id] };
}

function memberOp(r: Random, k: KeySpace): Operation {
  const room = k.base + r.int(1, k.rooms);
  const user = r.int(1, k.users);
  const roll = r.next();
  if (roll < 0.45) {
    return {
      table: 'members',
      kind: 'insert',
      sql: 'INSERT INTO members (room_id, user_id, nickname, role, updated_at) VALUES (?, ?, ?, ?, NOW(6))',
      args: [room, user, `u${user}-${r.int(0, 99)}`, r.pick(['member', 'admin', 'guest'])],
    };
  }
  if (roll < 0.8) {
    return {
      table: 'members',
      kind: 'update',
      sql: 'UPDATE members SET nickname = ?, role = ?, updated_at = NOW(6) WHERE room_id = ? AND user_id = ?',
      args: [`n${r.int(0, 999)}`, r.pick(['member', 'admin', 'guest']), room, user],
    };
  }
  return { table: 'members', kind: 'delete', sql: 'DELETE FROM members WHERE room_id = ? AND user_id = ?', args: [room, user] };
}

function roomOp(r: Random, k: KeySpace): Operation {
  return {
    table: 'rooms',
    kind: 'update',
    sql: 'UPDATE rooms SET topic = ?, is_private = ?, updated_at = NOW(6) WHERE id = ?',
    args: [r.chance(0.2) ? null : body(r), r.int(0, 1), k.base + r.int(1, k.rooms)],
  };
}

/** The next operation of one writer: mostly messages, then members, a few room edits. */
export function nextOperation(r: Random, k: KeySpace): Operation {
  const roll = r.next();
  if (roll < 0.65) return messageOp(r, k);
  if (roll < 0.9) return memberOp(r, k);
  return roomOp(r, k);
}
