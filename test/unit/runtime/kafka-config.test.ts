import t from 'tap';
import { consumerSettings, librdkafkaKeyOf, producerSettings } from '../../../lib/runtime/kafka-config';
import { MAX_BATCH_BYTES, MAX_RECORD_BYTES, MAX_REQUEST_BYTES, MAX_ROW_BYTES } from '../../../lib/stack/limits';

t.test('TANDEM_RDKAFKA_* variables pass through as librdkafka keys', async (t) => {
  t.equal(librdkafkaKeyOf('TANDEM_RDKAFKA_SECURITY_PROTOCOL'), 'security.protocol');
  t.equal(librdkafkaKeyOf('TANDEM_RDKAFKA_SSL_CA_LOCATION'), 'ssl.ca.location');
  t.equal(librdkafkaKeyOf('TANDEM_RDKAFKA_SASL_OAUTHBEARER__CONFIG'), 'sasl.oauthbearer_config');
  const env = { TANDEM_RDKAFKA_SECURITY_PROTOCOL: 'sasl_ssl', TANDEM_RDKAFKA_SASL_MECHANISMS: 'SCRAM-SHA-512', TANDEM_RDKAFKA_SESSION_TIMEOUT_MS: '30000', OTHER: 'x' };
  const c = consumerSettings({ brokers: 'k:9092', groupId: 'g', env });
  t.equal(c['security.protocol'], 'sasl_ssl');
  t.equal(c['sasl.mechanisms'], 'SCRAM-SHA-512');
  t.equal(c['metadata.broker.list'], 'k:9092');
  t.equal(c['group.id'], 'g');
  t.equal(c['enable.auto.commit'], false);
  const p = producerSettings({ brokers: 'k:9092', env });
  t.equal(p['security.protocol'], 'sasl_ssl');
  t.notOk('session.timeout.ms' in p, 'consumer-only settings stay off the producer');
});

t.test('settings that would break at-least-once are refused with the variable named', async (t) => {
  t.throws(() => consumerSettings({ brokers: 'k', groupId: 'g', env: { TANDEM_RDKAFKA_ENABLE_AUTO_COMMIT: 'true' } }), {
    kind: 'fatal',
    message: /enable.auto.commit=true is not allowed/,
  });
  t.throws(() => consumerSettings({ brokers: 'k', groupId: 'g', env: { 'TANDEM_RDKAFKA_BAD-KEY': '1' } }), { message: /TANDEM_RDKAFKA_BAD-KEY does not name a librdkafka setting/ });
});

t.test('the consumer and the dead-letter producer take records as large as the local stack carries', async (t) => {
  const c = consumerSettings({ brokers: 'k', groupId: 'g', env: {} });
  t.equal(c['receive.message.max.bytes'], MAX_REQUEST_BYTES, 'a fetch response holding the largest record is accepted');
  t.notOk('fetch.message.max.bytes' in c, 'the per-partition fetch size (and so the prefetch bound) stays librdkafka\'s');
  const p = producerSettings({ brokers: 'k', env: {} });
  t.equal(p['message.max.bytes'], MAX_BATCH_BYTES, 'a dead letter of the largest record plus its headers can be produced');
  t.ok(MAX_BATCH_BYTES > MAX_RECORD_BYTES && MAX_RECORD_BYTES >= 2 * MAX_ROW_BYTES, 'an update (two row images) fits, and a dead letter of it');
});

t.test('a larger fetch size given by the user raises receive.message.max.bytes with it (librdkafka refuses less)', async (t) => {
  const big = 400 * 1024 * 1024;
  const c = consumerSettings({ brokers: 'k', groupId: 'g', env: { TANDEM_RDKAFKA_FETCH_MAX_BYTES: String(big) } });
  t.equal(c['receive.message.max.bytes'], big + 512);
  const own = consumerSettings({ brokers: 'k', groupId: 'g', env: { TANDEM_RDKAFKA_RECEIVE_MESSAGE_MAX_BYTES: '999999999' } });
  t.equal(own['receive.message.max.bytes'], '999999999', "the user's own value wins");
});

t.test('librdkafka secrets reach librdkafka and no error about the settings repeats them', async (t) => {
  const SECRET = 's3cr3t-Pw';
  const env = { TANDEM_RDKAFKA_SASL_USERNAME: 'tandem', TANDEM_RDKAFKA_SASL_PASSWORD: SECRET, TANDEM_RDKAFKA_SSL_KEY_PASSWORD: SECRET };
  t.equal(consumerSettings({ brokers: 'k:9092', groupId: 'g', env })['sasl.password'], SECRET);
  t.equal(producerSettings({ brokers: 'k:9092', env })['ssl.key.password'], SECRET);
  const failures = [
    { ...env, TANDEM_RDKAFKA_ENABLE_AUTO_COMMIT: 'true' },
    { ...env, 'TANDEM_RDKAFKA_SASL-PASSWORD': SECRET },
  ].map((bad) => {
    try {
      consumerSettings({ brokers: 'k:9092', groupId: 'g', env: bad });
    } catch (e) {
      return e as Error & { context: { hint?: string } };
    }
    return undefined;
  });
  for (const err of failures) {
    t.ok(err, 'refused');
    t.notMatch(`${err?.message} ${err?.context.hint}`, SECRET);
  }
});
