import t from 'tap';
import { Decimal, Json, LocalDate, LocalDateTime, LocalTime, ZonedDateTime } from '../../../lib/model';
import { dialectFor, mariadbDialect, mysql8Dialect, quoteId, tableMetaFrom, toSqlValue } from '../../../lib/sink';

const col = (name: string, type: string, extra = '', dp: number | null = null) => ({
  COLUMN_NAME: name,
  DATA_TYPE: type,
  EXTRA: extra,
  NUMERIC_PRECISION: type === 'decimal' ? 12 : null,
  NUMERIC_SCALE: type === 'decimal' ? 2 : null,
  DATETIME_PRECISION: dp,
});
const meta = tableMetaFrom(
  'msg',
  [col('id', 'bigint'), col('at', 'datetime', '', 6), col('body', 'text'), col('img', 'blob'), col('len', 'int', 'VIRTUAL GENERATED'), col('updated_at', 'datetime', '', 6)],
  ['id', 'at'],
  'updated_at',
);

t.test('table meta: writable columns, hashed content, key casts', async (t) => {
  t.same(meta.insertColumns, ['id', 'at', 'body', 'img', 'updated_at']);
  t.same(meta.dataColumns, ['body', 'img']);
  t.same([...meta.generated], ['len']);
  t.equal(meta.columns.find((c) => c.name === 'at')?.castAs, 'DATETIME(6)');
  t.equal(meta.columns.find((c) => c.name === 'id')?.castAs, 'SIGNED', 'integers too: a key bound as text must render as a JSON number');
  t.equal(tableMetaFrom('u', [{ ...col('id', 'bigint'), COLUMN_TYPE: 'bigint(20) unsigned' }, col('updated_at', 'datetime', '', 6)], ['id'], 'updated_at').columns[0].castAs, 'UNSIGNED');
  t.throws(() => tableMetaFrom('x', [col('id', 'int')], ['id'], 'updated_at'), /has no column updated_at/);
  t.throws(() => tableMetaFrom('x', [], ['id'], 'updated_at'), /does not exist/);
});

t.test('dialect is picked from the server version', async (t) => {
  t.equal(dialectFor('10.11.19-MariaDB-0+deb12u1-log').name, 'mariadb');
  t.equal(dialectFor('11.4.3-MariaDB').name, 'mariadb');
  t.equal(dialectFor('8.0.36').name, 'mysql8');
  t.equal(dialectFor('8.4.2-commercial').name, 'mysql8');
  t.throws(() => dialectFor('10.5.9-MariaDB'), /needs MariaDB 10.6/);
  t.throws(() => dialectFor('5.7.44-log'), /needs MySQL 8/);
});

const HASH_IN_MARIA = 'MD5(JSON_ARRAY(MD5(VALUES(`body`)), MD5(VALUES(`img`))))';
t.test('MariaDB upsert: VALUES(), verdict taken once, version assigned last', async (t) => {
  t.equal(
    mariadbDialect.upsert(meta, 2),
    'INSERT INTO `msg` (`id`, `at`, `body`, `img`, `updated_at`) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE ' +
      '`body` = IF((@tandem_w := (VALUES(`updated_at`) > `updated_at` OR (VALUES(`updated_at`) = `updated_at` AND ' +
      `${HASH_IN_MARIA} > MD5(JSON_ARRAY(MD5(\`body\`), MD5(\`img\`)))))), VALUES(\`body\`), \`body\`), ` +
      '`img` = IF(@tandem_w, VALUES(`img`), `img`), `updated_at` = IF(@tandem_w, VALUES(`updated_at`), `updated_at`)',
  );
  t.same(mariadbDialect.sessionSetup({ serverId: 4100, gtidDomainId: 7 })[0], { sql: 'SET SESSION server_id = ?, SESSION gtid_domain_id = ?', values: [4100, 7] });
});

t.test('MySQL 8 upsert: row alias instead of VALUES(), no session server_id', async (t) => {
  t.equal(
    mysql8Dialect.upsert(meta, 1),
    'INSERT INTO `msg` (`id`, `at`, `body`, `img`, `updated_at`) VALUES (?, ?, ?, ?, ?) AS tandem_new ON DUPLICATE KEY UPDATE ' +
      '`body` = IF((@tandem_w := (tandem_new.`updated_at` > `msg`.`updated_at` OR (tandem_new.`updated_at` = `msg`.`updated_at` AND ' +
      'MD5(JSON_ARRAY(MD5(tandem_new.`body`), MD5(tandem_new.`img`))) > MD5(JSON_ARRAY(MD5(`msg`.`body`), MD5(`msg`.`img`)))))), tandem_new.`body`, `msg`.`body`), ' +
      '`img` = IF(@tandem_w, tandem_new.`img`, `msg`.`img`), `updated_at` = IF(@tandem_w, tandem_new.`updated_at`, `msg`.`updated_at`)',
  );
  t.equal(
    mysql8Dialect.upsertTombstones(meta, 1),
    'INSERT INTO `tandem_tombstones` (tbl, pk, deleted_at, origin) VALUES (?, JSON_ARRAY(CAST(? AS SIGNED), CAST(? AS DATETIME(6))), ?, ?) AS tandem_new ' +
      'ON DUPLICATE KEY UPDATE origin = IF(tandem_new.deleted_at > `tandem_tombstones`.deleted_at, tandem_new.origin, `tandem_tombstones`.origin), ' +
      'deleted_at = GREATEST(`tandem_tombstones`.deleted_at, tandem_new.deleted_at)',
  );
  t.notMatch(mysql8Dialect.sessionSetup({ serverId: 4100, gtidDomainId: 7 }).map((s) => s.sql).join(';'), /server_id/);
  const ddl = mysql8Dialect.createTriggers(meta);
  t.equal(ddl.length, 6, 'MySQL has no CREATE OR REPLACE TRIGGER: drop then create');
  t.match(ddl[3], /^CREATE TRIGGER `tandem_msg_bi` BEFORE INSERT ON `msg` FOR EACH ROW BEGIN/);
});

const digest = (text: string) => `UNHEX(SHA2(CONVERT(${text} USING utf8mb4), 256))`;
t.test('guarded delete and tombstone lock find tombstones by the digest of the same key rendering', async (t) => {
  t.equal(
    mariadbDialect.deleteGuarded(meta, 2),
    `DELETE t FROM \`msg\` AS t JOIN \`tandem_tombstones\` AS ts ON ts.tbl = ? AND ts.pk_hash = ${digest('JSON_ARRAY(t.`id`, t.`at`)')} ` +
      'WHERE (t.`id`, t.`at`) IN ((?, ?), (?, ?)) AND t.`updated_at` <= ts.deleted_at',
  );
  t.equal(
    mariadbDialect.lockTombstones(meta, 2),
    "SELECT k.i - 1 AS i, ts.deleted_at AS deleted_at FROM JSON_TABLE(?, '$[*]' COLUMNS (i FOR ORDINALITY, k0 bigint PATH '$[0]', k1 datetime PATH '$[1]')) AS k " +
      `STRAIGHT_JOIN \`tandem_tombstones\` AS ts ON ts.tbl = ? AND ts.pk_hash = ${digest('JSON_ARRAY(k.k0, k.k1)')} FOR UPDATE`,
  );
  t.same(mariadbDialect.lockTombstoneValues(meta, 'msg', [[1n, '2024-01-01 00:00:00.000000']]), ['[["1","2024-01-01 00:00:00.000000"]]', 'msg']);
  const binKey = tableMetaFrom('b', [col('k', 'varbinary'), col('updated_at', 'datetime', '', 6)], ['k'], 'updated_at');
  t.equal(
    mariadbDialect.lockTombstones(binKey, 2),
    `SELECT k.i AS i, ts.deleted_at AS deleted_at FROM (SELECT ? AS i, ${digest('JSON_ARRAY(HEX(?))')} AS pk_hash UNION ALL SELECT ? AS i, ${digest('JSON_ARRAY(HEX(?))')} AS pk_hash) AS k ` +
      'JOIN `tandem_tombstones` AS ts ON ts.tbl = ? AND ts.pk_hash = k.pk_hash FOR UPDATE',
    'binary keys cannot travel in JSON: one bound row per key',
  );
});

t.test('values are converted in one place', async (t) => {
  t.equal(toSqlValue(LocalDateTime.parse('2024-01-02 03:04:05.5')), '2024-01-02 03:04:05.500000');
  t.equal(toSqlValue(new ZonedDateTime('2024-01-02T03:04:05.123456+01:00')), '2024-01-02 02:04:05.123456');
  t.equal(toSqlValue(Decimal.parse('-12.3400')), '-12.3400');
  t.equal(toSqlValue(new Json('{"a": 1}')), '{"a": 1}');
  t.equal(toSqlValue(new LocalDate(0)), '1970-01-01');
  t.equal(toSqlValue(new LocalTime(3_600_000_001n)), '01:00:00.000001');
  t.equal(toSqlValue(true), 1);
  t.equal(toSqlValue(2n ** 64n - 1n), 18446744073709551615n);
  t.same(toSqlValue(Buffer.from([1, 2])), Buffer.from([1, 2]));
  t.throws(() => toSqlValue([1, 2], 'tags'), /column tags: array values/);
});

t.test('identifiers are validated before quoting', async (t) => {
  t.equal(quoteId('rooms'), '`rooms`');
  t.throws(() => quoteId('a`b'), /not an identifier/);
  t.throws(() => quoteId('x; DROP TABLE y'), /not an identifier/);
});

t.test('text key columns keep their character set inside JSON_TABLE', async (t) => {
  const text = tableMetaFrom(
    'names',
    [{ ...col('name', 'varchar'), COLUMN_TYPE: 'varchar(255)', CHARACTER_SET_NAME: 'utf8mb4', COLLATION_NAME: 'utf8mb4_unicode_ci' }, col('updated_at', 'datetime', '', 6)],
    ['name'],
    'updated_at',
  );
  t.match(mariadbDialect.lockTombstones(text, 1), "k0 varchar(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci PATH '$[0]'", 'not the database default (latin1 would turn 😀 into ?)');
});

t.test('tandem_tombstones: keyed by (tbl, pk_hash), the digest its own trigger derives from pk', async (t) => {
  t.match(mariadbDialect.createTombstoneTable(), /`pk_hash` BINARY\(32\) NOT NULL, `pk` TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, .*PRIMARY KEY \(`tbl`, `pk_hash`\)/);
  t.same(mariadbDialect.tombstoneMigration.keyTrigger(), [
    `CREATE OR REPLACE TRIGGER \`tandem_tombstones_pk_hash\` BEFORE INSERT ON \`tandem_tombstones\` FOR EACH ROW SET NEW.pk_hash = ${digest('NEW.pk')}`,
  ]);
  t.same(mysql8Dialect.tombstoneMigration.keyTrigger().length, 2, 'MySQL: drop, then create');
  t.match(mariadbDialect.createTriggers(meta)[0], `AND pk_hash = ${digest('JSON_ARRAY(NEW.`id`, NEW.`at`)')}`, 'the insert trigger looks tombstones up by digest');
  t.notMatch(mariadbDialect.createTriggers(meta)[2], /pk_hash/, 'the delete trigger writes (tbl, pk, ...): the table derives the digest');
});

t.test('the purge: cutoff from the server clock in its global zone, chunks that never wait for a lock', async (t) => {
  const purge = mariadbDialect.purge;
  t.equal(purge.cutoff, "SELECT CONVERT_TZ(UTC_TIMESTAMP(6), '+00:00', @@GLOBAL.time_zone) - INTERVAL ? MICROSECOND AS cutoff");
  t.match(purge.lockExpired, /FORCE INDEX \(`tandem_tombstones_deleted_at`\) WHERE deleted_at < \? ORDER BY deleted_at LIMIT \? FOR UPDATE SKIP LOCKED$/);
  t.match(purge.deleteKeys, /STRAIGHT_JOIN `tandem_tombstones` AS ts ON ts.tbl = k.tbl AND ts.pk_hash = UNHEX\(k.h\)$/, 'one primary-key lookup per key, never a scan');
  t.same(purge.deleteKeysValues([{ tbl: 'rooms', pkHash: Buffer.from([0, 171]) }]), ['[["rooms","00ab"]]']);
});
