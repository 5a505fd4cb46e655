// Kafka outages are recognised in the errors node-rdkafka hands over for them: a client error
// (event.error) arrives as an Error from librdkafka's text, which node-rdkafka parses into a
// lowercased message with code -1, and a call's error carries its code. Built here with
// node-rdkafka's own error type and librdkafka's own texts.
import t from 'tap';
import { isUnreachable } from '../../../lib/runtime/rdkafka-consumer';

const { codes, create } = require('node-rdkafka/lib/error') as { codes: Record<string, number>; create: (e: unknown) => { code: number; message: string } };
const binding = require('node-rdkafka/librdkafka') as { err2str(code: number): string };

/** What the consumer's event.error handler receives for librdkafka error `code`. */
const asClientError = (code: number) => create(new Error(binding.err2str(code)));

t.test('the brokers cannot be reached: known by code and by the text of a client error', async (t) => {
  for (const name of ['ERR__TRANSPORT', 'ERR__ALL_BROKERS_DOWN', 'ERR__RESOLVE', 'ERR__TIMED_OUT']) {
    const code = codes[name]!;
    const clientError = asClientError(code);
    t.equal(clientError.code, -1, `${name}: node-rdkafka drops the code of a client error ("${clientError.message}")`);
    t.ok(isUnreachable(clientError), `${name} as a client error`);
    t.ok(isUnreachable(create(code)), `${name} with its code`);
  }
});

t.test('other errors are not an outage', async (t) => {
  for (const name of ['ERR__UNKNOWN_PARTITION', 'ERR__FATAL', 'ERR_UNKNOWN_TOPIC_OR_PART', 'ERR__STATE']) {
    const code = codes[name]!;
    t.notOk(isUnreachable(asClientError(code)), `${name} as a client error ("${asClientError(code).message}")`);
    t.notOk(isUnreachable(create(code)), `${name} with its code`);
  }
});
