// The statements verify builds: composite-key bounds spelled out with typed binds, injective row
// hashes, checksum and chunk-bound queries, and refusal of odd identifiers.
import t from 'tap';
import { bindFor, checksumSql, keyBound, nthKeySql, rangeWhere, rowHashExpr, shapeFrom, type CatalogRow } from '../../../lib/verify';

const col = (name: string, type: string, extra: Partial<CatalogRow> = {}): CatalogRow => ({
  COLUMN_NAME: name, DATA_TYPE: type, COLUMN_TYPE: type, NUMERIC_PRECISION: null, NUMERIC_SCALE: null, DATETIME_PRECISION: null, ...extra,
});

t.test('binds cast key text back to the column type', async (t) => {
  t.equal(bindFor(col('id', 'bigint', { COLUMN_TYPE: 'bigint(20) unsigned' })), 'CAST(? AS UNSIGNED)');
  t.equal(bindFor(col('id', 'int')), 'CAST(? AS SIGNED)');
  t.equal(bindFor(col('p', 'decimal', { NUMERIC_PRECISION: 30, NUMERIC_SCALE: 10 })), 'CAST(? AS DECIMAL(30, 10))');
  t.equal(bindFor(col('at', 'datetime', { DATETIME_PRECISION: 6 })), 'CAST(? AS DATETIME(6))');
  t.equal(bindFor(col('b', 'varbinary')), 'UNHEX(?)');
  t.equal(bindFor(col('s', 'varchar')), '?');
});

const shape = shapeFrom('members', { columns: [col('room_id', 'bigint'), col('user_id', 'bigint'), col('nick', 'varchar'), col('raw', 'blob')], key: ['room_id', 'user_id'] }, {
  columns: [col('room_id', 'bigint'), col('user_id', 'bigint'), col('nick', 'varchar'), col('raw', 'blob'), col('added', 'int')],
  key: ['room_id', 'user_id'],
});

t.test('shape: common columns, columns on one side, key checks', async (t) => {
  if (typeof shape === 'string') throw new Error(shape);
  t.same(shape.columns.map((c) => c.name), ['room_id', 'user_id', 'nick', 'raw']);
  t.same(shape.onlyInB, ['added']);
  t.same(shape.onlyInA, []);
  t.equal(shapeFrom('x', { columns: [col('id', 'int')], key: ['id'] }, { columns: [col('id', 'int')], key: [] }), 'table x has primary key (id) on a but () on b');
  t.equal(shapeFrom('x', { columns: [col('id', 'int')], key: ['id'] }, { columns: [], key: [] }), 'table x is missing on side b');
});

t.test('composite bounds and ranges', async (t) => {
  if (typeof shape === 'string') throw new Error(shape);
  const gt = keyBound(shape.primaryKey, ['5', '7'], '>');
  t.equal(gt.sql, '((`room_id` > CAST(? AS SIGNED)) OR (`room_id` = CAST(? AS SIGNED) AND `user_id` > CAST(? AS SIGNED)))');
  t.same(gt.params, ['5', '5', '7']);
  const le = keyBound(shape.primaryKey, ['9', '1'], '<=');
  t.equal(le.sql, '((`room_id` < CAST(? AS SIGNED)) OR (`room_id` = CAST(? AS SIGNED) AND `user_id` < CAST(? AS SIGNED)) OR (`room_id` = CAST(? AS SIGNED) AND `user_id` = CAST(? AS SIGNED)))');
  t.same(le.params, ['9', '9', '1', '9', '1']);
  const both = rangeWhere(shape.primaryKey, ['5', '7'], ['9', '1']);
  t.same(both.params, ['5', '5', '7', '9', '9', '1', '9', '1']);
  t.same(rangeWhere(shape.primaryKey, null, null), { sql: '1 = 1', params: [] });
  const nth = nthKeySql(shape, rangeWhere(shape.primaryKey, null, null), 1000);
  t.equal(nth.sql, 'SELECT `room_id` AS k0, `user_id` AS k1 FROM `members` WHERE 1 = 1 ORDER BY `room_id`, `user_id` LIMIT 1 OFFSET 999');
});

t.test('row hash: NULL flags, lengths, then values; binary as hex', async (t) => {
  if (typeof shape === 'string') throw new Error(shape);
  t.equal(
    rowHashExpr(shape.columns.slice(2)),
    "MD5(CONCAT_WS('|', CONCAT(ISNULL(`nick`), ISNULL(`raw`)), LENGTH(`nick`), LENGTH(HEX(`raw`)), `nick`, HEX(`raw`)))",
  );
  t.match(checksumSql(shape, rangeWhere(shape.primaryKey, null, null)).sql, /^SELECT COUNT\(\*\) AS n, COALESCE\(BIT_XOR\(CAST\(CONV\(SUBSTRING\(h, 1, 16\), 16, 10\) AS UNSIGNED\)\), 0\) AS x1/);
});

t.test('odd identifiers are refused', async (t) => {
  const bad = shapeFrom('x`; DROP TABLE y', { columns: [col('id', 'int')], key: ['id'] }, { columns: [col('id', 'int')], key: ['id'] });
  if (typeof bad === 'string') throw new Error(bad);
  t.throws(() => nthKeySql(bad, rangeWhere(bad.primaryKey, null, null), 1), /is not a plain name/);
});
