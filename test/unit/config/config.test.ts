import t from 'tap';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, topicsOf, formatTables, parseTables } from '../../../lib/config';

t.test('defaults', async (t) => {
  const c = loadConfig({});
  t.equal(c.brokers, '127.0.0.1:9092');
  t.equal(c.registryUrl, 'http://127.0.0.1:8081/apis/ccompat/v7');
  t.same(c.databases, [
    { id: 'a', url: 'mysql://tandem:tandem@127.0.0.1:3307/chat', database: 'chat' },
    { id: 'b', url: 'mysql://tandem:tandem@127.0.0.1:3308/chat', database: 'chat' },
  ]);
  t.same(c.tables, [
    { name: 'rooms', primaryKey: ['id'] },
    { name: 'members', primaryKey: ['room_id', 'user_id'] },
    { name: 'messages', primaryKey: ['id'] },
  ]);
  t.equal(c.groupId, 'tandem-bidirectional');
  t.equal(c.batchRows, 1000);
  t.equal(c.lingerMs, 0);
  t.equal(c.sinkConnections, 4);
  t.equal(c.dlqTopic, 'tandem.dlq');
  t.equal(c.serverId, 4100);
  t.equal(c.doctor, 'on', 'tandem run checks the databases first unless told not to');
  t.same(topicsOf(c, 'b'), ['b.chat.rooms', 'b.chat.members', 'b.chat.messages', 'b.chat.tandem_tombstones', 'b'], 'the rows, the tombstones and the schema changes');
  t.equal(c.ddl, 'all', 'schema changes cross, as in native replication');
});

t.test('TANDEM_DOCTOR: on or off, nothing else', async (t) => {
  t.equal(loadConfig({ TANDEM_DOCTOR: 'off' }).doctor, 'off');
  t.equal(loadConfig({ TANDEM_DOCTOR: ' OFF ' }).doctor, 'off');
  t.throws(() => loadConfig({ TANDEM_DOCTOR: 'no' }), /TANDEM_DOCTOR must be one of on, off, got "no"/);
});

t.test('environment overrides', async (t) => {
  const c = loadConfig({
    TANDEM_BROKERS: 'k1:9092, k2:9093',
    TANDEM_DB_B_URL: 'mariadb://u:p@db-b:3306/other',
    TANDEM_TABLES: 'messages,reactions:message_id+user_id+emoji',
    TANDEM_BATCH_ROWS: '500',
    TANDEM_LINGER_MS: '0',
    TANDEM_SERVER_ID: '4200',
  });
  t.equal(c.brokers, 'k1:9092,k2:9093');
  t.same(c.databases[1], { id: 'b', url: 'mariadb://u:p@db-b:3306/other', database: 'other' });
  t.same(c.tables[1], { name: 'reactions', primaryKey: ['message_id', 'user_id', 'emoji'] });
  t.equal(c.batchRows, 500);
  t.equal(c.lingerMs, 0);
  t.equal(c.serverId, 4200);
  t.same(topicsOf(c, 'b'), ['b.other.messages', 'b.other.reactions', 'b.other.tandem_tombstones', 'b']);
});

t.test('every bad setting is named at once, with what was given', async (t) => {
  const err = (() => {
    try {
      loadConfig({ TANDEM_BATCH_ROWS: 'abc', TANDEM_LINGER_MS: '-1', TANDEM_SERVER_ID: '0', TANDEM_BROKERS: 'nohost', TANDEM_DB_A_URL: 'postgres://x/y', TANDEM_TABLES: 'rooms,,x', TANDEM_REGISTRY_URL: 'ftp://r' });
    } catch (e) {
      return e as Error & { kind: string };
    }
    return undefined;
  })();
  t.equal(err?.kind, 'fatal');
  t.equal(
    err?.message,
    [
      'invalid configuration:',
      '  TANDEM_BROKERS must be a comma-separated list of host:port, got "nohost"',
      '  TANDEM_REGISTRY_URL must be an http(s) URL, got "ftp://r"',
      '  TANDEM_DB_A_URL must use mysql:// or mariadb://, got "postgres:"',
      '  TANDEM_TABLES has an empty table entry (expected a list like "rooms,members:room_id+user_id,messages")',
      '  TANDEM_BATCH_ROWS must be a positive integer, got "abc"',
      '  TANDEM_LINGER_MS must be an integer of milliseconds >= 0, got "-1"',
      '  TANDEM_SERVER_ID must be a server id between 1 and 4294967295, got "0"',
    ].join('\n'),
  );
});

t.test('a JSON config file (TANDEM_CONFIG) sits between the environment and the defaults', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tandem.json');
  writeFileSync(file, JSON.stringify({ batchRows: 250, lingerMs: 5, tables: ['rooms', 'members:room_id+user_id'], brokers: ['k:1'] }));
  const c = loadConfig({ TANDEM_CONFIG: file, TANDEM_LINGER_MS: '7' });
  t.equal(c.batchRows, 250);
  t.equal(c.lingerMs, 7, 'environment wins over the file');
  t.equal(c.brokers, 'k:1');
  t.equal(formatTables(c.tables), 'rooms,members:room_id+user_id');

  writeFileSync(file, JSON.stringify({ batchRows: 1.5 }));
  t.throws(() => loadConfig({ TANDEM_CONFIG: file }), { message: `invalid configuration:\n  batchRows in ${file} must be a positive integer, got 1.5` });
  writeFileSync(file, JSON.stringify({ batchrows: 1 }));
  t.throws(() => loadConfig({ TANDEM_CONFIG: file }), { message: `config file ${file} has unknown setting(s) batchrows` });
  writeFileSync(file, '{ not json');
  t.throws(() => loadConfig({ TANDEM_CONFIG: file }), { message: new RegExp(`config file ${file} is not valid JSON`) });
  t.throws(() => loadConfig({ TANDEM_CONFIG: join(dir, 'missing.json') }), { kind: 'fatal', message: /TANDEM_CONFIG names .*missing\.json, which cannot be read/ });
});

t.test('table lists', async (t) => {
  t.same(parseTables('a , b:x+y'), [{ name: 'a', primaryKey: ['id'] }, { name: 'b', primaryKey: ['x', 'y'] }]);
  t.equal(parseTables('a,a'), 'table a is listed twice');
  t.equal(parseTables('a:b:c'), 'entry "a:b:c" has more than one ":"');
  t.equal(parseTables('bad-name'), 'table name "bad-name" is not a plain identifier');
});

t.test('TANDEM_AUDIT_TOPIC: unset by default (no audit output), validated like the other topic names', async (t) => {
  t.equal(loadConfig({}).auditTopic, undefined);
  t.notOk('auditTopic' in loadConfig({ TANDEM_AUDIT_TOPIC: '' }), 'empty is unset');
  t.equal(loadConfig({ TANDEM_AUDIT_TOPIC: ' tandem.audit ' }).auditTopic, 'tandem.audit');
  t.throws(() => loadConfig({ TANDEM_AUDIT_TOPIC: 'bad topic!' }), /TANDEM_AUDIT_TOPIC must be a Kafka name \(letters, digits, \. _ -\), got "bad topic!"/);
});

t.test('no configuration error repeats a password: URLs are echoed masked, parsable or not', async (t) => {
  const SECRET = 's3cr3t-Pw';
  const messageOf = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig(env);
    } catch (e) {
      return (e as Error).message;
    }
    t.fail('expected loadConfig to throw');
    return '';
  };
  const cases: [NodeJS.ProcessEnv, RegExp][] = [
    [{ TANDEM_DB_A_URL: `mysql://tandem:${SECRET}@h:99999/chat` }, /TANDEM_DB_A_URL must be a URL like .*, got "mysql:\/\/\*\*\*@h:99999\/chat"/],
    [{ TANDEM_DB_A_URL: `mysql://tandem:pa/ss${SECRET}@h/chat` }, /TANDEM_DB_A_URL must be a URL like .*, got "mysql:\/\/\*\*\*@h\/chat"/],
    [{ TANDEM_DB_B_URL: `mysql:tandem:${SECRET}@h/chat` }, /TANDEM_DB_B_URL must name the database in its path \(…\/chat\), got "mysql:\*\*\*@h\/chat"/],
    [{ TANDEM_DB_B_URL: `mysql://tandem:${SECRET}@h:3306/` }, /TANDEM_DB_B_URL must name the database in its path \(…\/chat\), got "mysql:\/\/tandem:\*\*\*@h:3306\/"/],
    [{ TANDEM_DB_A_URL: `postgres://u:${SECRET}@h/chat` }, /TANDEM_DB_A_URL must use mysql:\/\/ or mariadb:\/\/, got "postgres:"/],
    [{ TANDEM_REGISTRY_URL: `ftp://reg:${SECRET}@r:8081` }, /TANDEM_REGISTRY_URL must be an http\(s\) URL, got "ftp:\/\/reg:\*\*\*@r:8081\/"/],
    [{ TANDEM_REGISTRY_URL: `http://reg:${SECRET}@r:808100` }, /TANDEM_REGISTRY_URL must be an http\(s\) URL, got "http:\/\/\*\*\*@r:808100"/],
    [{ TANDEM_CONNECT_URL: `mysql://c:${SECRET}@c:8083` }, /TANDEM_CONNECT_URL must be an http\(s\) URL, got "mysql:\/\/c:\*\*\*@c:8083"/],
    [{ TANDEM_GROUP_ID: `mysql://u:${SECRET}@h/chat` }, /TANDEM_GROUP_ID must be a Kafka name .*, got "mysql:\/\/\*\*\*@h\/chat"/],
    [{ TANDEM_BROKERS: `sasl://u:${SECRET}@k:9092` }, /TANDEM_BROKERS must be a comma-separated list of host:port, got "sasl:\/\/\*\*\*@k:9092"/],
  ];
  for (const [env, expected] of cases) {
    const message = messageOf(env);
    t.match(message, expected, Object.keys(env)[0]);
    t.notMatch(message, SECRET, `${Object.keys(env)[0]}: no password`);
  }
});

t.test('a TANDEM_CONFIG file never has its secrets echoed: bad values masked, broken JSON located, not quoted', async (t) => {
  const SECRET = 's3cr3t-Pw';
  const dir = mkdtempSync(join(tmpdir(), 'tandem-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tandem.json');
  const failure = (body: string): string => {
    writeFileSync(file, body);
    try {
      loadConfig({ TANDEM_CONFIG: file });
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  const bad = failure(JSON.stringify({ dbAUrl: `mysql://u:${SECRET}@h:99999/chat`, registryUrl: `ftp://r:${SECRET}@r` }));
  t.match(bad, `dbAUrl in ${file} must be a URL like mysql://user:password@host:port/database, got "mysql://***@h:99999/chat"`);
  t.match(bad, `registryUrl in ${file} must be an http(s) URL, got "ftp://r:***@r/"`);
  t.notMatch(bad, SECRET);
  // V8 quotes the text around an unexpected token ("…": s3cr3t-Pw}" is not valid JSON).
  const token = failure(`{"dbAUrl": "mysql://u:x@h/chat", "registryUrl": ${SECRET}}`);
  t.match(token, `config file ${file} is not valid JSON: an unexpected token`);
  t.notMatch(token, SECRET);
  t.notMatch(token, 'mysql://');
  const located = failure(`{\n  "dbAUrl": "mysql://u:${SECRET}@h/chat"\n  "x": 1\n}`);
  t.equal(located, `config file ${file} is not valid JSON: at line 3, column 3`);
  t.equal(failure(`{"dbAUrl": "mysql://u:${SECRET}@h/chat"`), `config file ${file} is not valid JSON: at line 1, column 40`);
  t.equal(failure(`{"dbAUrl": `), `config file ${file} is not valid JSON: it ends too early`);
});

t.test('TANDEM_TOMBSTONE_RETENTION: days, hours, minutes or seconds; 7 days by default', async (t) => {
  t.equal(loadConfig({}).tombstoneRetentionSeconds, 7 * 86_400);
  t.equal(loadConfig({ TANDEM_TOMBSTONE_RETENTION: '7d' }).tombstoneRetentionSeconds, 604_800);
  t.equal(loadConfig({ TANDEM_TOMBSTONE_RETENTION: '36h' }).tombstoneRetentionSeconds, 129_600);
  t.equal(loadConfig({ TANDEM_TOMBSTONE_RETENTION: ' 90m ' }).tombstoneRetentionSeconds, 5_400);
  t.equal(loadConfig({ TANDEM_TOMBSTONE_RETENTION: '3600' }).tombstoneRetentionSeconds, 3_600, 'a plain number is seconds');
  t.equal(loadConfig({ TANDEM_TOMBSTONE_RETENTION: '120s' }).tombstoneRetentionSeconds, 120);
  const what = 'must be a duration like 7d, 36h, 90m or a number of seconds, between 60 s and 3650 days';
  for (const bad of ['7 days', '1.5d', '-1h', 'd', '59', '0', '3651d']) {
    t.throws(() => loadConfig({ TANDEM_TOMBSTONE_RETENTION: bad }), { kind: 'fatal', message: `invalid configuration:\n  TANDEM_TOMBSTONE_RETENTION ${what}, got ${JSON.stringify(bad)}` }, bad);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tandem-config-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tandem.json');
  writeFileSync(file, JSON.stringify({ tombstoneRetentionSeconds: 172_800 }));
  t.equal(loadConfig({ TANDEM_CONFIG: file }).tombstoneRetentionSeconds, 172_800, 'the file takes seconds...');
  writeFileSync(file, JSON.stringify({ tombstoneRetentionSeconds: '30d' }));
  t.equal(loadConfig({ TANDEM_CONFIG: file }).tombstoneRetentionSeconds, 30 * 86_400, '...or the same text');
});

t.test('TANDEM_TABLES=*: no list to parse; the topics are every table of each database, by pattern', async (t) => {
  const c = loadConfig({ TANDEM_TABLES: ' * ' });
  t.equal(c.allTables, true);
  t.same(c.tables, [], 'resolved against the databases at start');
  const [pattern, schema] = topicsOf(c, 'a');
  t.equal(schema, 'a', 'and the schema-change topic');
  t.ok(pattern instanceof RegExp && pattern.test('a.chat.new_table') && !pattern.test('b.chat.rooms') && !pattern.test('a.chatx.rooms') && !pattern.test('a.chat.x.y'), 'a.chat.<any table>, nothing else');
  t.equal(loadConfig({}).allTables, false);
});
