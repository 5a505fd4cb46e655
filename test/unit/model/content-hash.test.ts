// The tie-break digest without a server: golden values MariaDB 10.11 computed. The db test
// (test/db/sink/content-hash.test.ts) compares it with a live MariaDB for every column type.
import t from 'tap';
import { Decimal, Json, LocalDateTime, columnTypeOfSchema, contentHash, hashedWhole, parseColumnType } from '../../../lib/model';

t.test("a row of mixed types hashes as MariaDB's MD5(JSON_ARRAY(...)) of the sink's guard", async (t) => {
  // CREATE TABLE g (v VARCHAR(64), tx TEXT, d DOUBLE, dt DATETIME(3), de DECIMAL(12,4), y YEAR, b BLOB, j JSON);
  // its row's MD5(JSON_ARRAY(v, MD5(tx), d, dt, de, y, MD5(b), MD5(j))):
  const digest = contentHash([
    { value: '"q" \\ / \u0001', type: parseColumnType('VARCHAR(64)') },
    { value: 'x', type: parseColumnType('TEXT') },
    { value: 1e15, type: parseColumnType('DOUBLE') },
    { value: LocalDateTime.parse('2024-01-01 00:00:01.123456'), type: parseColumnType('DATETIME(3)') },
    { value: Decimal.parse('1.5'), type: parseColumnType('DECIMAL(12,4)') },
    { value: 0, type: parseColumnType('YEAR') },
    { value: Buffer.from('00ff', 'hex'), type: parseColumnType('BLOB') },
    { value: new Json('{"a": 1}'), type: parseColumnType('JSON') },
  ]);
  t.equal(digest, '71f0cd94ed5967fdde871ac6cef7ee2a');
});

t.test('without types, values stand for their usual column: a string a VARCHAR, bytes and JSON hashed whole', async (t) => {
  // MD5(JSON_ARRAY('left', NULL, 0))
  t.equal(contentHash([{ value: 'left' }, { value: null }, { value: 0 }]), '0b90711cb8d4d214df067eed005de581');
  t.equal(contentHash([{ value: Buffer.from('00ff', 'hex') }]), contentHash([{ value: Buffer.from('00ff', 'hex'), type: { dataType: 'blob' } }]));
  t.equal(contentHash([{ value: new Json('[]') }]), contentHash([{ value: '[]', type: { dataType: 'json' } }]));
  t.equal(contentHash([]), '', "no data columns: '' on both sides, as the guard compares then");
});

t.test('the columns hashed whole are the ones the sink wraps in MD5()', async (t) => {
  t.same(
    ['varchar', 'char', 'int', 'text', 'mediumtext', 'blob', 'longblob', 'binary', 'varbinary', 'bit', 'json', 'enum'].filter(hashedWhole),
    ['text', 'mediumtext', 'blob', 'longblob', 'binary', 'varbinary', 'bit', 'json'],
  );
});

t.test('a record schema types what it can: the propagated source type, else the Avro type', async (t) => {
  const column = (type: string, parameters: Record<string, string> = {}, semantic?: string) => ({ name: 'c', type, optional: true, parameters, ...(semantic ? { semantic } : {}) });
  t.same(columnTypeOfSchema(column('string', { '__debezium.source.column.type': 'TEXT' })), { dataType: 'text' });
  t.same(columnTypeOfSchema(column('long', { '__debezium.source.column.type': 'DATETIME', '__debezium.source.column.length': '3' })), { dataType: 'datetime', scale: 3 });
  t.same(columnTypeOfSchema(column('bytes', { '__debezium.source.column.type': 'DECIMAL', '__debezium.source.column.scale': '4' })), { dataType: 'decimal', scale: 4 });
  t.same(columnTypeOfSchema(column('long', { '__debezium.source.column.type': 'DATETIME' })), { dataType: 'datetime', scale: 0 });
  t.same(columnTypeOfSchema(column('long', { '__debezium.source.column.type': 'DATETIME', '__debezium.source.column.length': '26' })), { dataType: 'datetime' }, 'not fractional digits: the value decides');
  t.same(columnTypeOfSchema(column('bytes', { '__debezium.source.column.type': 'BINARY', '__debezium.source.column.length': '16' })), { dataType: 'binary', length: 16 });
  t.same(columnTypeOfSchema(column('string', {}, 'io.debezium.data.Json')), { dataType: 'json' });
  t.same(columnTypeOfSchema(column('float')), { dataType: 'float' });
  t.same(columnTypeOfSchema(column('bytes')), { dataType: 'varbinary' });
  t.equal(columnTypeOfSchema(column('bytes', {}, 'org.apache.kafka.connect.data.Decimal')), undefined);
  t.equal(columnTypeOfSchema(column('string')), undefined, 'VARCHAR or TEXT: the value decides (a string is a VARCHAR)');
});
