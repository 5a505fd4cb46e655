// tandem doctor's server-level findings on two real MariaDBs: each provoked (a global variable
// changed for the test, a weaker user, another config) and each passing on the healthy pair.
import { TANDEM_SQL_MODE } from '../../../lib/sink';
import t from 'tap';
import { formatFindings, preflight, runDoctor, type Finding } from '../../../lib/doctor';
import type { RowDataPacket } from 'mysql2/promise';
import { createLogger, Outages } from '../../../lib/observe';
import { TandemError, testRetryPolicy } from '../../../lib/errors';
import { launch } from '../../../lib/runtime/launch';
import { startMariaDb } from '../../../lib/stack/mariadb';
import bidirectional from '../../../topologies/bidirectional';
import { fakeConnect, findingsOf, PAIR_IDS, setGlobals, startPair, type Pair } from '../fixtures/doctor';

let pair: Pair;
t.before(async () => {
  pair = await startPair(t);
  await pair.rootA.query('CREATE TABLE rooms (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)');
  await pair.rootB.query('CREATE TABLE rooms (id BIGINT PRIMARY KEY, name VARCHAR(100) NOT NULL, updated_at DATETIME(6) NOT NULL)');
});

const levels = (findings: Finding[]) => findings.map((f) => `${f.level} ${f.subject} ${f.check}`);
const goodConnectors = { 'tandem-source-a': { 'topic.prefix': 'a', 'database.server.id': '5401' }, 'tandem-source-b': { 'topic.prefix': 'b', 'database.server.id': '5402' } };
const silent = () => createLogger({ write: () => undefined });

t.test('the healthy pair: every server finding is ok, and exit 0', async (t) => {
  const findings = await pair.doctor({ TANDEM_CONNECT_URL: await fakeConnect(t, goodConnectors) });
  t.comment(formatFindings(findings));
  t.same(findings.filter((f) => f.level !== 'ok'), [], 'nothing to warn about or refuse');
  for (const check of ['version', 'binlog', 'privileges', 'sql_mode', 'isolation']) t.equal(findingsOf(findings, check).length, 2, `${check}: one finding per server`);
  for (const check of ['server ids', 'time zone', 'max_allowed_packet']) t.equal(findingsOf(findings, check, 'a,b').length, 1, `${check}: one finding for the pair`);
  t.match(findingsOf(findings, 'connectors')[0].message, /tandem-source-a 5401, tandem-source-b 5402: none is a server's id or Tandem's 4100/);
  t.match(findingsOf(findings, 'server ids')[0].message, /server_id a=21, b=22, Tandem's 4100; gtid_domain_id a=1, b=2, Tandem's 4100/);
  t.match(formatFindings(findings), /ready to sync \(exit 0\)$/);
});

t.test('binlog: ROW and FULL, else refused with the server options to set', async (t) => {
  await setGlobals(t, pair.rootB, { binlog_format: 'MIXED', binlog_row_image: 'MINIMAL' });
  const [b] = findingsOf(await pair.doctor(), 'binlog', 'b');
  t.equal(b.level, 'refused');
  t.match(b.message, /binlog_format is MIXED \(needs ROW\), binlog_row_image is MINIMAL \(needs FULL\)/);
  t.match(b.fix, /binlog_format=ROW and binlog_row_image=FULL in the server's options.*SET GLOBAL binlog_format = 'ROW', binlog_row_image = 'FULL'/);
  t.equal(findingsOf(await pair.doctor(), 'binlog', 'a')[0].level, 'ok');
});

t.test('binlog: log_bin OFF is refused', async (t) => {
  const noBinlog = await startMariaDb({ serverId: 23, extraArgs: ['--skip-log-bin'] });
  t.teardown(() => noBinlog.stop());
  const findings = await runDoctor(pair.config({ TANDEM_DB_B_URL: noBinlog.url }));
  const [b] = findingsOf(findings, 'binlog', 'b');
  t.equal(b.level, 'refused');
  t.match(b.message, /log_bin is OFF \(needs ON\)/);
  t.notMatch(b.fix, /SET GLOBAL/, 'log_bin needs a restart: no SET GLOBAL offered');
});

t.test('server ids: the two servers share one', async (t) => {
  await setGlobals(t, pair.rootB, { server_id: PAIR_IDS.a.serverId });
  const [f] = findingsOf(await pair.doctor(), 'server ids', 'a,b');
  t.equal(f.level, 'refused');
  t.match(f.message, /a and b both have server_id 21/);
});

t.test("server ids: Tandem's server id or GTID domain is a server's", async (t) => {
  const sameId = findingsOf(await pair.doctor({ TANDEM_SERVER_ID: String(PAIR_IDS.a.serverId) }), 'server ids');
  t.same(levels(sameId), ['refused a server ids']);
  t.match(sameId[0].message, /server's own server_id is 21, the same as Tandem's \(TANDEM_SERVER_ID\)/);
  t.match(sameId[0].fix, /set TANDEM_SERVER_ID to a value that no server and no connector/);
  const sameDomain = findingsOf(await pair.doctor({ TANDEM_GTID_DOMAIN_ID: String(PAIR_IDS.b.gtidDomainId) }), 'server ids');
  t.same(levels(sameDomain), ['refused b server ids']);
  t.match(sameDomain[0].message, /gtid_domain_id is 2, the same as Tandem's \(TANDEM_GTID_DOMAIN_ID\)/);
});

t.test("connectors: a database.server.id equal to a server's or Tandem's is refused", async (t) => {
  const url = await fakeConnect(t, { 'src-a': { 'topic.prefix': 'a', 'database.server.id': String(PAIR_IDS.b.serverId) }, 'src-b': { 'topic.prefix': 'b', 'database.server.id': '4100' }, other: { 'topic.prefix': 'z', 'database.server.id': '21' } });
  const found = findingsOf(await pair.doctor({ TANDEM_CONNECT_URL: url }), 'connectors');
  t.same(levels(found), ['refused connect connectors', 'refused connect connectors'], 'a connector of another prefix is none of Tandem\'s business');
  t.match(found[0].message, /src-a \(topic.prefix a\) has database.server.id 22, the same as server b's server_id/);
  t.match(found[1].message, /src-b \(topic.prefix b\) has database.server.id 4100, the same as Tandem's \(TANDEM_SERVER_ID\)/);
});

t.test('connectors: missing ones and a missing database.server.id are warnings; unset is ok', async (t) => {
  const url = await fakeConnect(t, { 'src-a': { 'topic.prefix': 'a' } });
  const found = findingsOf(await pair.doctor({ TANDEM_CONNECT_URL: url }), 'connectors');
  t.same(levels(found), ['warning connect connectors', 'warning connect connectors']);
  t.match(found[0].message, /no connector .* has topic.prefix b|src-a \(topic.prefix a\) sets no database.server.id/);
  t.same(levels(findingsOf(await pair.doctor(), 'connectors')), ['ok connect connectors'], 'TANDEM_CONNECT_URL unset');
});

t.test('connectors: Kafka Connect unreachable is a warning', async (t) => {
  const closed = await fakeConnect(t, {});
  const url = closed.replace(/:\d+$/, ':9'); // the discard port: nothing answers HTTP there
  const [f] = findingsOf(await pair.doctor({ TANDEM_CONNECT_URL: url }), 'connectors');
  t.equal(f.level, 'warning');
  t.match(f.message, /Kafka Connect at http:\/\/127.0.0.1:9 did not answer/);
});

t.test('privileges: a user that may not set its session ids, lacks rights on the database and may not create triggers', async (t) => {
  await pair.rootA.query("CREATE USER 'weak'@'%' IDENTIFIED BY 'weak'");
  t.teardown(() => pair.rootA.query("DROP USER 'weak'@'%'"));
  await pair.rootA.query("GRANT SELECT, INSERT, UPDATE, DELETE ON chat.* TO 'weak'@'%'");
  const url = pair.a.url.replace('tandem:tandem@', 'weak:weak@');
  const [f] = findingsOf(await runDoctor(pair.config({ TANDEM_DB_A_URL: url })), 'privileges', 'a');
  t.equal(f.level, 'refused');
  t.match(f.message, /session setup .* failed: Access denied; you need \(at least one of\) the SUPER, BINLOG REPLAY privilege/);
  t.match(f.message, /weak@% lacks CREATE, DROP, ALTER, TRIGGER on `chat`/);
  t.match(f.message, /creating Tandem's triggers while binary logging is on needs SUPER/);
  t.match(f.fix, /GRANT BINLOG REPLAY ON \*\.\* TO 'weak'@'%'.*GRANT ALL PRIVILEGES ON `chat`\.\* TO 'weak'@'%'.*GRANT SUPER ON \*\.\* TO 'weak'@'%'/);

  // The GRANTs the fix names are enough.
  await pair.rootA.query("GRANT BINLOG REPLAY ON *.* TO 'weak'@'%'");
  await pair.rootA.query("GRANT ALL PRIVILEGES ON `chat`.* TO 'weak'@'%'");
  const [triggersOnly] = findingsOf(await runDoctor(pair.config({ TANDEM_DB_A_URL: url })), 'privileges', 'a');
  t.equal(triggersOnly.level, 'refused');
  t.notMatch(triggersOnly.message, /session setup|lacks/, 'BINLOG REPLAY sets the session ids; ALL covers the database');
  await setGlobals(t, pair.rootA, { log_bin_trust_function_creators: 1 });
  t.equal(findingsOf(await runDoctor(pair.config({ TANDEM_DB_A_URL: url })), 'privileges', 'a')[0].level, 'ok', 'log_bin_trust_function_creators instead of SUPER');
});

t.test("privileges: the local stack's grants (ALL on the database, SUPER) pass", async (t) => {
  await pair.rootB.query("CREATE USER 'stack'@'%' IDENTIFIED BY 'stack'");
  t.teardown(() => pair.rootB.query("DROP USER 'stack'@'%'"));
  await pair.rootB.query("GRANT ALL PRIVILEGES ON chat.* TO 'stack'@'%'");
  await pair.rootB.query("GRANT SUPER ON *.* TO 'stack'@'%'");
  const [f] = findingsOf(await runDoctor(pair.config({ TANDEM_DB_B_URL: pair.b.url.replace('tandem:tandem@', 'stack:stack@') })), 'privileges', 'b');
  t.equal(f.level, 'ok', f.message);
});

t.test('time zones that differ are a warning', async (t) => {
  await setGlobals(t, pair.rootB, { time_zone: '+02:00' });
  const [f] = findingsOf(await pair.doctor(), 'time zone', 'a,b');
  t.equal(f.level, 'warning');
  t.match(f.message, /a SYSTEM \(\w+\), now UTC\+0:00; b \+02:00, now UTC\+2:00: last-writer-wins compares the updated_at each side's NOW\(6\) wrote/);
  t.match(f.fix, /default_time_zone = '\+00:00'/);
});

t.test('sql_mode: NO_BACKSLASH_ESCAPES or ANSI_QUOTES on a server is a warning (informative)', async (t) => {
  await setGlobals(t, pair.rootA, { sql_mode: 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES,STRICT_TRANS_TABLES' });
  const findings = await pair.doctor();
  const [a] = findingsOf(findings, 'sql_mode', 'a');
  t.equal(a.level, 'warning');
  t.match(a.message, new RegExp(`has ANSI_QUOTES and NO_BACKSLASH_ESCAPES; Tandem's sessions pin their own \\(${TANDEM_SQL_MODE}\\)`));
  t.equal(findingsOf(findings, 'sql_mode', 'b')[0].level, 'ok');
});

t.test('isolation: informative, whatever the server default', async (t) => {
  await setGlobals(t, pair.rootA, { tx_isolation: 'READ-COMMITTED' });
  const [a] = findingsOf(await pair.doctor(), 'isolation', 'a');
  t.equal(a.level, 'ok');
  t.match(a.message, /server default READ-COMMITTED; Tandem's sessions pin REPEATABLE READ/);
});

t.test('max_allowed_packet that differs is a warning', async (t) => {
  await setGlobals(t, pair.rootB, { max_allowed_packet: 64 * 1024 * 1024 });
  const [f] = findingsOf(await pair.doctor(), 'max_allowed_packet', 'a,b');
  t.equal(f.level, 'warning');
  t.match(f.message, /a 16 MiB, b 64 MiB: a row that fits b may not fit a/);
  t.match(f.fix, /max_allowed_packet=67108864 in both/);
});

t.test('a database that does not answer: refused for the CLI, thrown (retriable) for the runtime', async (t) => {
  const down = pair.b.url.replace(/:\d+\//, ':9/');
  const findings = await runDoctor(pair.config({ TANDEM_DB_B_URL: down }));
  t.same(levels(findingsOf(findings, 'connection')), ['refused b connection']);
  t.match(findingsOf(findings, 'connection')[0].fix, /TANDEM_DB_B_URL/);
  t.equal(findings.filter((f) => f.subject.startsWith('table ')).length, 0, 'table checks need both sides');
  const thrown = await runDoctor(pair.config({ TANDEM_DB_B_URL: down }), { unreachable: 'throw' }).then(() => undefined, (err: unknown) => err);
  t.ok(thrown instanceof TandemError && thrown.kind === 'retriable', 'the runtime waits for it like any outage');
});

t.test('preflight: a refusal stops the start; TANDEM_DOCTOR=off reads nothing', async (t) => {
  const log = silent();
  const outages = new Outages({ log });
  await t.resolves(preflight({ config: pair.config(), log, outages, retry: testRetryPolicy }));
  const bad = pair.config({ TANDEM_SERVER_ID: String(PAIR_IDS.a.serverId) });
  await t.rejects(preflight({ config: bad, log, outages, retry: testRetryPolicy }), { kind: 'fatal', message: /tandem doctor refused 1 check:\n {2}refused {2}a {2}server ids: the server's own server_id is 21/ });
  const off = pair.config({ TANDEM_DOCTOR: 'off', TANDEM_DB_A_URL: pair.a.url.replace(/:\d+\//, ':9/') });
  await t.resolves(preflight({ config: off, log, outages, retry: testRetryPolicy }), 'off: not even an unreachable database is looked at');
});

t.test('tandem run (launch) stops on a refusal before building any sink', async (t) => {
  const config = pair.config({ TANDEM_SERVER_ID: String(PAIR_IDS.b.serverId) });
  await t.rejects(launch({ definition: bidirectional, config, logger: silent(), tty: false }), { message: /tandem doctor refused/ });
  const [triggers] = await pair.rootB.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'chat'");
  t.equal(Number(triggers[0].n), 0, 'no trigger was installed');
});
