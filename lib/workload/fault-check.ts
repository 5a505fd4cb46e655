// What "the pipeline survived a fault" means, checked the same way by the soak and the e2e tests:
// every part of the stack is up and both source connectors RUNNING again (seen, never restarted
// by the check), and a row written on each side afterwards reaches the other side.
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { describeState, isRunning } from '../connect';
import { connectorStates, stackStatus, type StackConfig } from '../stack';

export interface FaultCheck {
  /** Every component up and both source connectors RUNNING within the wait. */
  allRunning: boolean;
  /** What was not running, or the connectors' states. */
  parts: string;
  /** A row inserted on a after the fault reached b, and one inserted on b reached a. */
  crossedAToB: boolean;
  crossedBToA: boolean;
  /** From the start of the check until both rows had crossed (or the check gave up). */
  checkMs: number;
}

export const PROBE_BASE = 9_000_000_000;
let probes = 0;

async function poll(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Waits (up to `timeoutMs`) until every component answers and both source connectors are RUNNING. */
export async function waitAllRunning(stack: StackConfig, timeoutMs: number): Promise<{ ok: boolean; parts: string }> {
  let parts = '';
  const ok = await poll(async () => {
    const down = (await stackStatus(stack)).filter((s) => !s.up).map((s) => `${s.name} down`);
    const connectors = await connectorStates(stack);
    parts = [...down, ...(connectors.length ? connectors.map(describeState) : ['connectors unknown'])].join('; ');
    return down.length === 0 && connectors.length === 2 && connectors.every(isRunning);
  }, timeoutMs);
  return { ok, parts };
}

async function exists(conn: Connection, id: number): Promise<boolean> {
  const [rows] = await conn.query<RowDataPacket[]>('SELECT 1 FROM rooms WHERE id = ?', [id]);
  return rows.length > 0;
}

/** Inserts a probe room on each side and waits until each is on the other side. */
export async function rowsCross(dbA: string, dbB: string, timeoutMs: number): Promise<{ aToB: boolean; bToA: boolean }> {
  const n = probes++;
  const idA = PROBE_BASE + process.pid * 10_000 + n * 2;
  const idB = idA + 1;
  const a = await createConnection(dbA);
  const b = await createConnection(dbB);
  try {
    await a.query("INSERT INTO rooms (id, name, updated_at) VALUES (?, 'probe from a', NOW(6))", [idA]);
    await b.query("INSERT INTO rooms (id, name, updated_at) VALUES (?, 'probe from b', NOW(6))", [idB]);
    const [aToB, bToA] = await Promise.all([poll(() => exists(b, idA), timeoutMs), poll(() => exists(a, idB), timeoutMs)]);
    return { aToB, bToA };
  } finally {
    await a.end().catch(() => a.destroy());
    await b.end().catch(() => b.destroy());
  }
}

export async function checkAfterFault(o: { stack: StackConfig; dbA: string; dbB: string; timeoutMs?: number }): Promise<FaultCheck> {
  const t0 = Date.now();
  const timeoutMs = o.timeoutMs ?? 180_000;
  await waitAllRunning(o.stack, timeoutMs);
  const crossed = await rowsCross(o.dbA, o.dbB, Math.max(30_000, timeoutMs - (Date.now() - t0)));
  // Read again at the end: a task reports RUNNING while it starts and may fail a moment later.
  const running = await waitAllRunning(o.stack, 0);
  return { allRunning: running.ok, parts: running.parts, crossedAToB: crossed.aToB, crossedBToA: crossed.bToA, checkMs: Date.now() - t0 };
}

export const faultCheckOk = (c: FaultCheck) => c.allRunning && c.crossedAToB && c.crossedBToA;
