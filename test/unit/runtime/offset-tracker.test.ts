import t from 'tap';
import { OffsetTracker } from '../../../lib/runtime/offset-tracker';

t.test('commits only the contiguous finished prefix, as last+1', async (t) => {
  const tr = new OffsetTracker();
  const b1 = tr.begin('a', 0, 0n, 9n);
  const b2 = tr.begin('a', 0, 10n, 19n);
  const b3 = tr.begin('a', 0, 25n, 30n); // gap 20..24 (compaction): still contiguous by batch
  t.equal(tr.pendingCount('a', 0), 26);
  b2();
  t.same(tr.takeCommittable(), [], 'batch 2 done but batch 1 not: nothing to commit');
  b1();
  t.same(tr.takeCommittable(), [{ topic: 'a', partition: 0, offset: 20n }]);
  t.same(tr.takeCommittable(), [], 'not repeated');
  t.same(tr.takeCommittable(undefined, true), [{ topic: 'a', partition: 0, offset: 20n }], 'repeated when asked (a synchronous commit after asynchronous ones)');
  b3();
  t.same(tr.takeCommittable(), [{ topic: 'a', partition: 0, offset: 31n }]);
  t.equal(tr.pendingCount('a', 0), 0);
});

t.test('partitions are independent; a failed commit is retried; forget drops state', async (t) => {
  const tr = new OffsetTracker();
  const a = tr.begin('t', 0, 5n, 5n);
  tr.begin('t', 1, 0n, 3n);
  a();
  const taken = tr.takeCommittable();
  t.same(taken, [{ topic: 't', partition: 0, offset: 6n }]);
  tr.uncommit(taken);
  t.same(tr.takeCommittable((_t, p) => p === 0), [{ topic: 't', partition: 0, offset: 6n }]);
  tr.forget([{ topic: 't', partition: 1 }]);
  t.same(tr.partitions(), [{ topic: 't', partition: 0 }]);
  t.equal(tr.position('t', 0), 6n);
});

t.test('overlapping or empty ranges are programmer errors', async (t) => {
  const tr = new OffsetTracker();
  tr.begin('t', 0, 0n, 5n);
  t.throws(() => tr.begin('t', 0, 5n, 8n), /overlap/);
  t.throws(() => tr.begin('t', 0, 9n, 8n), /empty offset range/);
});
