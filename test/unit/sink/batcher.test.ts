// The sink's batching: flushes bounded by rows and, with a byte limit, by bytes (a flush becomes
// statements that may not exceed the target's max_allowed_packet). No database here.
import t from 'tap';
import type { ChangeEvent, SinkWriteResult } from '../../../lib/model';
import { Batcher, group, writeAll, type ByteLimit, type Chunk } from '../../../lib/sink/batcher';
import { changeEvent } from '../../../lib/testing';

/** An event that weighs `size` bytes (sizeOf below reads it from the row). */
const ev = (id: number, size: number): ChangeEvent => changeEvent({ table: 't', after: { id, size } });
const weigh = (e: ChangeEvent) => Number(e.after?.size ?? 0);

interface Recorder {
  flushes: number[][];
  batcher: Batcher;
}

function recorder(maxRows: number, lingerMs: number, limit?: ByteLimit): Recorder {
  const flushes: number[][] = [];
  const flushFn = async (chunks: Chunk[]): Promise<SinkWriteResult[]> => {
    flushes.push(chunks.flatMap((c) => c.events.map((e) => Number(e.after?.id))));
    return chunks.map((c) => ({ applied: c.events.length, skipped: 0, deadLetters: [] }));
  };
  return { flushes, batcher: new Batcher(maxRows, lingerMs, flushFn, limit) };
}

t.test('a flush takes events while they fit in maxBytes', async (t) => {
  const { flushes, batcher } = recorder(1000, 5, { maxBytes: () => 100, sizeOf: weigh });
  const result = await batcher.write(Array.from({ length: 10 }, (_, i) => ev(i, 30)));
  t.same(flushes, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]], '3 × 30 bytes fit in 100, a fourth does not');
  t.same(result, { applied: 10, skipped: 0, deadLetters: [] }, 'the write resolves once, with every flush counted');
});

t.test('an event heavier than maxBytes goes alone, between its neighbours', async (t) => {
  const { flushes, batcher } = recorder(1000, 5, { maxBytes: () => 100, sizeOf: weigh });
  await batcher.write([ev(1, 40), ev(2, 40), ev(3, 500), ev(4, 40)]);
  t.same(flushes, [[1, 2], [3], [4]], 'order kept; the flush function decides what becomes of the heavy one');
});

t.test('rows and bytes both bound a flush', async (t) => {
  const { flushes, batcher } = recorder(2, 5, { maxBytes: () => 100, sizeOf: weigh });
  await batcher.write([ev(1, 1), ev(2, 1), ev(3, 1), ev(4, 60), ev(5, 60)]);
  t.same(flushes, [[1, 2], [3, 4], [5]]);
});

t.test('a full flush by bytes goes at once, without waiting for linger', async (t) => {
  const { flushes, batcher } = recorder(1000, 60_000, { maxBytes: () => 100, sizeOf: weigh });
  const started = Date.now();
  const light = batcher.write([ev(1, 10)]);
  t.same(flushes, [], 'a light write waits for more');
  const rest = batcher.write([ev(2, 100), ev(3, 5)]);
  await light;
  t.same(flushes, [[1], [2]], 'what fits went first (10 + 100 > 100), then the full one');
  t.ok(Date.now() - started < 5000, 'both long before the 60 s linger');
  t.equal(batcher.pending, 1, 'what is left does not fill a flush: it waits for linger, as rows do');
  await batcher.flush();
  await rest;
  t.same(flushes, [[1], [2], [3]]);
});

t.test('events of several writes share a flush when they fit, and each write gets its own counts', async (t) => {
  const { flushes, batcher } = recorder(1000, 20, { maxBytes: () => 100, sizeOf: weigh });
  const [a, b] = await Promise.all([batcher.write([ev(1, 30), ev(2, 30)]), batcher.write([ev(3, 30), ev(4, 30)])]);
  t.same(flushes, [[1, 2, 3], [4]]);
  t.equal(a.applied, 2);
  t.equal(b.applied, 2);
  t.equal(batcher.pending, 0);
});

t.test('the limit is asked at each flush (it is learnt from the target after the first one)', async (t) => {
  let limit = 1000;
  const { flushes, batcher } = recorder(1000, 5, { maxBytes: () => limit, sizeOf: weigh });
  await batcher.write([ev(1, 30), ev(2, 30), ev(3, 30)]);
  limit = 50;
  await batcher.write([ev(4, 30), ev(5, 30), ev(6, 30)]);
  t.same(flushes, [[1, 2, 3], [4], [5], [6]]);
});

t.test('without a byte limit only rows count', async (t) => {
  const { flushes, batcher } = recorder(2, 5);
  await batcher.write([ev(1, 1e9), ev(2, 1e9), ev(3, 1e9)]);
  t.same(flushes, [[1, 2], [3]]);
});

t.test('a failed flush fails its writes; the events still waiting are flushed after it', async (t) => {
  const seen: number[][] = [];
  let calls = 0;
  const batcher = new Batcher(
    1000,
    5,
    async (chunks) => {
      seen.push(chunks.flatMap((c) => c.events.map((e) => Number(e.after?.id))));
      if (calls++ === 0) throw new Error('down');
      return chunks.map((c) => ({ applied: c.events.length, skipped: 0, deadLetters: [] }));
    },
    { maxBytes: () => 50, sizeOf: weigh },
  );
  const first = batcher.write([ev(1, 30), ev(2, 30)]);
  const second = batcher.write([ev(3, 10)]);
  await t.rejects(first, /down/);
  t.same(await second, { applied: 1, skipped: 0, deadLetters: [] });
  t.same(seen, [[1], [2, 3]]);
});

/** Batchers of one group sharing a flush function that records each flush and can hold them. */
function groupRecorder(n: number, coalesceRows: number, maxRows = 1000) {
  const flushes: number[][] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  const flushFn = async (chunks: Chunk[]): Promise<SinkWriteResult[]> => {
    flushes.push(chunks.flatMap((c) => c.events.map((e) => Number(e.after?.id))));
    if (gate) await gate;
    return chunks.map((c) => ({ applied: c.events.length, skipped: 0, deadLetters: [] }));
  };
  const batchers = Array.from({ length: n }, () => new Batcher(maxRows, 0, flushFn));
  group(batchers, coalesceRows);
  return {
    flushes,
    batchers,
    /** Flushes started from now on wait until `release()`. */
    hold: () => {
      gate = new Promise<void>((r) => (open = r));
    },
    release: () => {
      gate = undefined;
      open();
    },
  };
}

const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => ev(from + i, 0));
const tick = () => new Promise((r) => setTimeout(r, 5));

t.test('a group: small parts written together go out as one flush; each write gets its own counts', async (t) => {
  const { flushes, batchers } = groupRecorder(4, 250);
  const results = await writeAll(batchers, [ids(0, 2), ids(10, 2), [], ids(30, 3)]);
  t.same(flushes, [[0, 1, 10, 11, 30, 31, 32]], 'one transaction, not three');
  t.same(results.map((r) => r.applied), [2, 2, 0, 3]);
});

t.test('a group: parts above coalesceRows go out on their own batchers, side by side', async (t) => {
  const { flushes, batchers, hold, release } = groupRecorder(4, 4);
  hold();
  const written = writeAll(batchers, [ids(0, 3), ids(10, 3), ids(20, 3), ids(30, 3)]);
  await tick();
  t.same(flushes, [[0, 1, 2], [10, 11, 12], [20, 21, 22], [30, 31, 32]], 'four flushes in flight at once');
  release();
  await written;
});

t.test("a group: a batcher whose rows went out with another's flush waits for it before its next one", async (t) => {
  const { flushes, batchers, hold, release } = groupRecorder(2, 250);
  hold();
  const first = writeAll(batchers, [ids(0, 1), ids(10, 1)]);
  await tick();
  t.same(flushes, [[0, 10]], "batcher 1's row went out with batcher 0's flush");
  const later = batchers[1].write(ids(11, 1));
  await tick();
  t.same(flushes, [[0, 10]], 'its next row waits while that flush is in flight');
  release();
  await Promise.all([first, later]);
  t.same(flushes, [[0, 10], [11]], 'and goes after it');
});

t.test("a group: a busy batcher's waiting rows are not taken along", async (t) => {
  const { flushes, batchers, hold, release } = groupRecorder(2, 250);
  hold();
  const busy = batchers[1].write(ids(10, 1));
  await tick();
  const queued = batchers[1].write(ids(11, 1));
  const other = batchers[0].write(ids(0, 1));
  await tick();
  t.same(flushes, [[10], [0]], "batcher 0 flushes its own row alone: batcher 1's next row waits for batcher 1's flush");
  release();
  await Promise.all([busy, queued, other]);
  t.same(flushes, [[10], [0], [11]]);
});

t.test("a group: rows are taken along only while the flush stays within the byte limit", async (t) => {
  const flushes: number[][] = [];
  const flushFn = async (chunks: Chunk[]): Promise<SinkWriteResult[]> => {
    flushes.push(chunks.flatMap((c) => c.events.map((e) => Number(e.after?.id))));
    return chunks.map((c) => ({ applied: c.events.length, skipped: 0, deadLetters: [] }));
  };
  const limit = { maxBytes: () => 100, sizeOf: weigh };
  const batchers = [0, 1, 2].map(() => new Batcher(1000, 0, flushFn, limit));
  group(batchers, 250);
  await writeAll(batchers, [[ev(1, 60)], [ev(2, 60)], [ev(3, 30)]]);
  t.same(flushes, [[1, 3], [2]], '60 + 60 bytes would pass 100: the second goes on its own; 60 + 30 fit');
});
