// The pure rules behind tandem doctor's findings: grants, AUTO_INCREMENT series, key length,
// column differences, per-side wording, the output format and its exit code.
import t from 'tap';
import { exitCode, formatFindings, ok, refused, warning } from '../../../lib/doctor';
import { disjointSeries } from '../../../lib/doctor/checks/auto-increment';
import { columnDifferences } from '../../../lib/doctor/checks/columns';
import { perSide } from '../../../lib/doctor/checks/context';
import { maxJsonBytes, maxJsonChars, maxKeyJsonBytes, maxKeyJsonChars } from '../../../lib/doctor/checks/key-length';
import { databaseMatches, globalPrivileges, grantee, parseGrant, privilegesOn } from '../../../lib/doctor/grants';
import type { CatalogRow } from '../../../lib/verify';

t.test('SHOW GRANTS lines: backticks, ANSI double quotes, column lists, roles', async (t) => {
  t.same(parseGrant("GRANT ALL PRIVILEGES ON *.* TO `tandem`@`%` IDENTIFIED BY PASSWORD '*21F5' WITH GRANT OPTION"), { privileges: ['ALL'], database: '*', table: '*' });
  t.same(parseGrant('GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, TRIGGER ON "chat".* TO "br"@"%"'), {
    privileges: ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'ALTER', 'TRIGGER'],
    database: 'chat',
    table: '*',
  });
  t.same(parseGrant('GRANT SELECT (`a`, `b`), UPDATE (`a`) ON `chat`.`rooms` TO `u`@`%`'), { privileges: ['SELECT', 'UPDATE'], database: 'chat', table: 'rooms' });
  t.same(parseGrant('GRANT BINLOG REPLAY ON *.* TO `u`@`%`')?.privileges, ['BINLOG REPLAY']);
  t.equal(parseGrant('GRANT `tr` TO `ro`@`%`'), undefined, 'a role grant has no ON');
  t.equal(parseGrant('SET DEFAULT ROLE `tr` FOR `ro`@`%`'), undefined);

  const grants = ['GRANT SUPER ON *.* TO `tandem`@`%`', 'GRANT ALL PRIVILEGES ON `chat`.* TO `tandem`@`%`', 'GRANT SELECT ON `other`.* TO `tandem`@`%`', 'GRANT DROP ON `chat`.`rooms` TO `tandem`@`%`']
    .map(parseGrant)
    .flatMap((g) => (g ? [g] : []));
  t.same([...privilegesOn(grants, 'chat')].sort(), ['ALL', 'SUPER'], 'global and database-wide; a table grant is not database-wide');
  t.same([...privilegesOn(grants, 'other')].sort(), ['SELECT', 'SUPER']);
  t.same([...globalPrivileges(grants)], ['SUPER']);
});

t.test('database patterns of grants: LIKE wildcards and their escapes', async (t) => {
  t.ok(databaseMatches('*', 'chat'));
  t.ok(databaseMatches('ch%', 'chat'));
  t.ok(databaseMatches('ch_t', 'chat'));
  t.notOk(databaseMatches('ch\\_t', 'chat'), 'an escaped _ is a literal _');
  t.ok(databaseMatches('my\\_db', 'my_db'));
  t.notOk(databaseMatches('chat', 'chat2'));
  t.notOk(databaseMatches('c.at', 'chat'), 'regex characters are literal');
});

t.test("the GRANT's grantee from CURRENT_USER()", async (t) => {
  t.equal(grantee('tandem@%'), "'tandem'@'%'");
  t.equal(grantee('a@b@10.0.0.%'), "'a@b'@'10.0.0.%'", 'the host is after the last @');
  t.equal(grantee("o'neil@localhost"), "'o''neil'@'localhost'");
});

t.test('AUTO_INCREMENT series meet iff the offsets agree modulo the gcd of the increments', async (t) => {
  t.ok(disjointSeries({ increment: 2, offset: 1 }, { increment: 2, offset: 2 }), '1,3,5 and 2,4,6');
  t.notOk(disjointSeries({ increment: 1, offset: 1 }, { increment: 1, offset: 1 }), 'both every value');
  t.notOk(disjointSeries({ increment: 2, offset: 1 }, { increment: 2, offset: 1 }), 'equal offsets');
  t.ok(disjointSeries({ increment: 10, offset: 1 }, { increment: 10, offset: 2 }));
  t.notOk(disjointSeries({ increment: 2, offset: 1 }, { increment: 3, offset: 2 }), '1,3,5 and 2,5: 5 in both');
  t.ok(disjointSeries({ increment: 4, offset: 1 }, { increment: 6, offset: 2 }), 'odd vs even');
  t.notOk(disjointSeries({ increment: 2, offset: 3 }, { increment: 2, offset: 2 }), 'an offset above its increment is ignored by the server: not trusted');
});

const col = (name: string, dataType: string, columnType: string, extra: Partial<CatalogRow> = {}): CatalogRow => ({
  COLUMN_NAME: name,
  DATA_TYPE: dataType,
  COLUMN_TYPE: columnType,
  NUMERIC_PRECISION: null,
  NUMERIC_SCALE: null,
  DATETIME_PRECISION: null,
  ...extra,
});

t.test('the longest JSON_ARRAY text a key can render as', async (t) => {
  t.equal(maxJsonChars(col('id', 'bigint', 'bigint(20)')), 20);
  t.equal(maxJsonChars(col('id', 'int', 'int(10) unsigned')), 11);
  t.equal(maxJsonChars(col('code', 'varchar', 'varchar(100)')), 102);
  t.equal(maxJsonChars(col('raw', 'varbinary', 'varbinary(16)')), 34, 'binary keys are HEX()');
  t.equal(maxJsonChars(col('at', 'datetime', 'datetime(6)', { DATETIME_PRECISION: 6 })), 28);
  t.equal(maxJsonChars(col('at', 'datetime', 'datetime', { DATETIME_PRECISION: 0 })), 21);
  t.equal(maxJsonChars(col('price', 'decimal', 'decimal(12,4)', { NUMERIC_PRECISION: 12, NUMERIC_SCALE: 4 })), 14);
  t.equal(maxJsonChars(col('kind', 'enum', "enum('a','longest','it''s')")), 9);
  t.equal(maxJsonChars(col('body', 'text', 'text')), undefined, 'no bound');
  t.equal(maxKeyJsonChars([col('room', 'bigint', 'bigint(20)'), col('user', 'bigint', 'bigint(20)')]), 44, '[r, u]');
  t.equal(maxKeyJsonChars([col('room', 'bigint', 'bigint(20)'), col('body', 'text', 'text')]), undefined);
  // In bytes, every character of text escaped (\u0001 takes six): what tandem_tombstones.pk must hold.
  t.equal(maxJsonBytes(col('code', 'varchar', 'varchar(100)')), 602);
  t.equal(maxJsonBytes(col('id', 'bigint', 'bigint(20)')), 20, 'numbers are never escaped');
  t.equal(maxJsonBytes(col('raw', 'varbinary', 'varbinary(16)')), 34, 'nor HEX()');
  t.equal(maxKeyJsonBytes([col('a', 'varchar', 'varchar(255)'), col('b', 'varchar', 'varchar(255)'), col('c', 'varchar', 'varchar(255)')]), 4602, 'the longest key InnoDB indexes whole');
  t.equal(maxKeyJsonBytes([col('body', 'text', 'text')]), undefined);
});

t.test('column differences: one-sided columns apart from type and order conflicts', async (t) => {
  const id = col('id', 'bigint', 'bigint(20)');
  const body = col('body', 'varchar', 'varchar(100)');
  const at = col('updated_at', 'datetime', 'datetime(6)');
  t.same(columnDifferences({ id: 'a', columns: [id, body, at] }, { id: 'b', columns: [id, body, at] }), { oneSided: [], conflicting: [] });
  t.same(columnDifferences({ id: 'a', columns: [id, body, at, col('x', 'int', 'int(11)')] }, { id: 'b', columns: [id, body, at] }), { oneSided: ['only on a: x'], conflicting: [] });
  t.same(columnDifferences({ id: 'a', columns: [id, body, at] }, { id: 'b', columns: [id, at, col('body', 'text', 'TEXT')] }), {
    oneSided: [],
    conflicting: ['body is varchar(100) on a, text on b', 'the order differs (a: id, body, updated_at; b: id, updated_at, body)'],
  });
});

t.test('per-side wording', async (t) => {
  t.equal(perSide([{ id: 'a', text: 'x' }, { id: 'b', text: 'x' }]), 'on a and b: x');
  t.equal(perSide([{ id: 'a', text: 'x' }, { id: 'b', text: 'y' }]), 'on a: x; on b: y');
  t.equal(perSide([{ id: 'a' }, { id: 'b', text: 'y' }]), 'on b: y');
});

t.test('one line per finding, the fix of warnings and refusals, then the count; exit 1 only on a refusal', async (t) => {
  const findings = [ok('binlog', 'a', 'fine'), warning('time zone', 'a,b', 'differ', 'same zone'), refused('updated_at', 'table rooms', 'nullable', 'ALTER ...')];
  t.equal(
    formatFindings(findings),
    [
      'ok       a            binlog: fine',
      'warning  a,b          time zone: differ | fix: same zone',
      'refused  table rooms  updated_at: nullable | fix: ALTER ...',
      '1 ok, 1 warning, 1 refused: fix what is refused before make run (exit 1)',
    ].join('\n'),
  );
  t.equal(exitCode(findings), 1);
  t.equal(exitCode(findings.slice(0, 2)), 0, 'warnings do not fail');
  t.match(formatFindings([]), /^0 ok, 0 warnings, 0 refused: ready to sync \(exit 0\)$/);
});
