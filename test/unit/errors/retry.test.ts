import t from 'tap';
import { withRetry, retriable, poison, testRetryPolicy, TandemError } from '../../../lib/errors';

t.test('retries retriable errors, then succeeds', async (t) => {
  let calls = 0;
  const seen: number[] = [];
  const out = await withRetry(testRetryPolicy, async () => {
    calls++;
    if (calls < 3) throw retriable('deadlock');
    return 'ok';
  }, { onRetry: (_e, attempt) => seen.push(attempt) });
  t.equal(out, 'ok');
  t.equal(calls, 3);
  t.same(seen, [1, 2]);
});

t.test('poison and programmer errors are not retried', async (t) => {
  let calls = 0;
  const err = await withRetry(testRetryPolicy, async () => { calls++; throw poison('bad row'); }).catch((e: unknown) => e);
  t.equal((err as TandemError).kind, 'poison');
  t.equal(calls, 1);
  await t.rejects(withRetry(testRetryPolicy, async () => { calls++; throw new TypeError('bug'); }), TypeError);
  t.equal(calls, 2);
});

t.test('exhausted retries become fatal, keeping the cause', async (t) => {
  const err = await withRetry(testRetryPolicy, async () => { throw retriable('down', { stage: 'sink' }); }).catch((e: unknown) => e);
  t.ok(err instanceof TandemError);
  t.equal((err as TandemError).kind, 'fatal');
  t.equal((err as TandemError).context.stage, 'sink');
  t.match((err as TandemError).message, /gave up after 6 attempts: down/);
});

t.test('an abort ends the backoff wait and stops retrying', async (t) => {
  const stop = new AbortController();
  const slow = { retries: 5, initialMs: 60_000, maxMs: 60_000, factor: 1, jitter: 0 };
  let calls = 0;
  const pending = withRetry(slow, async () => {
    calls++;
    throw retriable('broker down');
  }, { signal: stop.signal, onRetry: () => stop.abort() }).catch((e: unknown) => e);
  const err = await pending;
  t.equal(calls, 1, 'no attempt after the aborted wait');
  t.equal((err as TandemError).kind, 'fatal');
  t.match((err as TandemError).message, /stopped while waiting: broker down/);
});
