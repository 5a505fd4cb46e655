import t from 'tap';
import { loadStackConfig } from '../../../lib/stack/config';
import { echoFilter, sourceConnectorConfig } from '../../../lib/stack/connect';

t.test("both source connectors drop the changes of Tandem's server id, as TANDEM_SERVER_ID sets it", async (t) => {
  for (const [env, id] of [[{}, 4100], [{ TANDEM_SERVER_ID: '4242' }, 4242]] as const) {
    const cfg = loadStackConfig({ TANDEM_STATE_DIR: '/tmp/tandem-echo-filter-test', ...env });
    for (const db of ['a', 'b'] as const) {
      const c = sourceConnectorConfig(cfg, db);
      t.equal(c.transforms, 'dropTandemEchoes', `${db}: one transform`);
      t.equal(c['transforms.dropTandemEchoes.type'], 'io.debezium.transforms.Filter');
      t.equal(c['transforms.dropTandemEchoes.language'], 'jsr223.groovy');
      t.equal(c['transforms.dropTandemEchoes.condition'], `value.source.server_id != ${id}`, `${db}: keeps what server ${id} did not write`);
    }
  }
  t.throws(() => loadStackConfig({ TANDEM_STATE_DIR: '/tmp/x', TANDEM_SERVER_ID: '41 || true' }), /TANDEM_SERVER_ID/, 'the condition takes only a parsed server id');
  t.throws(() => echoFilter(0, 'a'), RangeError);
  t.equal(echoFilter(4100, 'b')['transforms.dropTandemEchoes.topic.regex'], 'b(\\..+)?', 'its row topics and its schema-change topic, not its heartbeats');
  t.equal(sourceConnectorConfig(loadStackConfig({ TANDEM_STATE_DIR: "/tmp/x" }), "a")["heartbeat.interval.ms"], "10000", "heartbeats carry the position read past dropped changes into the stored offset");
});
