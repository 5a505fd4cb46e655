// node-rdkafka registers a client's callbacks again on every connect(): connectFresh never
// connects one client twice. The clients here stand in for node-rdkafka's (the live stack's
// behaviour is in test/e2e/kafka-coordinator.test.ts).
import t from 'tap';
import type { LibrdKafkaError } from 'node-rdkafka';
import { testRetryPolicy } from '../../../lib/errors';
import { connectFresh } from '../../../lib/runtime/rdkafka-consumer';

class FakeClient {
  connects = 0;
  disconnected = false;
  constructor(private readonly fails: boolean) {}
  connect(_o: { timeout: number }, cb: (err: LibrdKafkaError) => void): void {
    this.connects++;
    // node-rdkafka's error: message, code, isFatal.
    const err = { message: 'broker transport failure', code: -195, isFatal: false } as unknown as LibrdKafkaError;
    setImmediate(() => cb(this.fails ? err : (null as unknown as LibrdKafkaError)));
  }
  disconnect(cb?: () => void): void {
    this.disconnected = true;
    cb?.();
  }
}

t.test('a client whose connect failed is disconnected and a new one tries again; each is connected once', async (t) => {
  const made: FakeClient[] = [];
  const retries: number[] = [];
  const client = await connectFresh(
    () => {
      const c = new FakeClient(made.length < 2);
      made.push(c);
      return c;
    },
    'connecting to Kafka',
    testRetryPolicy,
    { onRetry: (_err, attempt) => retries.push(attempt) },
  );
  t.equal(made.length, 3, 'a new client per attempt');
  t.equal(client, made[2], 'the one that connected is returned');
  t.same(made.map((c) => c.connects), [1, 1, 1], 'none is connected twice');
  t.same(made.map((c) => c.disconnected), [true, true, false], 'the failed ones are let go');
  t.equal(retries.length, 2, 'the retry hooks say each wait');
});

t.test('the error says what was being connected, and is retriable until the policy gives up', async (t) => {
  await t.rejects(
    connectFresh(() => new FakeClient(true), 'connecting the dead-letter producer', { ...testRetryPolicy, retries: 1 }, {}),
    /connecting the dead-letter producer: broker transport failure \(code -195\)/,
  );
});
