// The column definitions the sink derives from a record's schema, and the catalog defaults it
// fills in for rows of an older shape: pure functions, no server.
import t from 'tap';
import { Decimal, type ColumnSchema } from '../../../lib/model';
import { addColumnStatement, columnType } from '../../../lib/sink';
import { catalogDefault } from '../../../lib/sink/table-meta';

const col = (o: Partial<ColumnSchema> & { name: string; type: string }): ColumnSchema => ({ optional: true, default: null, parameters: {}, ...o });
const src = (type: string, length?: string, scale?: string) => ({
  '__debezium.source.column.type': type,
  ...(length ? { '__debezium.source.column.length': length } : {}),
  ...(scale ? { '__debezium.source.column.scale': scale } : {}),
});

t.test('types from the propagated source type', async (t) => {
  t.equal(columnType(col({ name: 'v', type: 'string', parameters: src('VARCHAR', '40') })), 'VARCHAR(40)');
  t.equal(columnType(col({ name: 'u', type: 'long', parameters: src('INT UNSIGNED', '10') })), 'INT UNSIGNED');
  t.equal(columnType(col({ name: 'd', type: 'bytes', parameters: src('DECIMAL', '12', '4') })), 'DECIMAL(12,4)');
  t.equal(columnType(col({ name: 't', type: 'long', parameters: src('DATETIME', '6') })), 'DATETIME(6)');
  t.equal(columnType(col({ name: 'e', type: 'string', parameters: { ...src('ENUM', '1'), allowed: "p,it's" } })), "ENUM('p','it''s')");
  t.equal(columnType(col({ name: 'b', type: 'bytes', semantic: 'io.debezium.data.Bits', parameters: { length: '10', ...src('BIT', '10') } })), 'BIT(10)');
  t.match(columnType(col({ name: 'x', type: 'string', parameters: src('VARCHAR') })), { reason: /x: VARCHAR without a length/ });
  t.match(columnType(col({ name: 'x', type: 'string', parameters: src('INT); DROP TABLE t; --') })), { reason: /not a plain type name/ });
});

t.test('types from Kafka Connect types when the source type is not propagated', async (t) => {
  t.equal(columnType(col({ name: 'p', type: 'bytes', semantic: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2', 'connect.decimal.precision': '8' } })), 'DECIMAL(8,2)');
  t.equal(columnType(col({ name: 'ts', type: 'long', semantic: 'io.debezium.time.MicroTimestamp' })), 'DATETIME(6)');
  t.equal(columnType(col({ name: 'n', type: 'long' })), 'BIGINT');
  t.equal(columnType(col({ name: 's', type: 'string' })), 'LONGTEXT');
  // Bits values are the column's big-endian bytes: only a BIT(n) holds the same number.
  t.equal(columnType(col({ name: 'b', type: 'bytes', semantic: 'io.debezium.data.Bits', parameters: { length: '10' } })), 'BIT(10)');
  t.match(columnType(col({ name: 'b', type: 'bytes', semantic: 'io.debezium.data.Bits' })), { reason: /b: io\.debezium\.data\.Bits without the parameters/ });
  t.match(columnType(col({ name: 'v', type: 'bytes', semantic: 'io.debezium.data.VariableScaleDecimal' })), { reason: /no SQL type known for io\.debezium\.data\.VariableScaleDecimal/ });
});

t.test('ADD COLUMN binds the default and keeps the neighbour', async (t) => {
  t.same(addColumnStatement('m', col({ name: 'tip', type: 'bytes', optional: false, default: new Decimal(150n, 2), parameters: src('DECIMAL', '8', '2') }), 'body'), {
    sql: 'ALTER TABLE `m` ADD COLUMN `tip` DECIMAL(8,2) NOT NULL DEFAULT ? AFTER `body`',
    values: ['1.50'],
  });
  t.same(addColumnStatement('m', col({ name: 'n', type: 'int', parameters: src('INT') }), undefined), { sql: 'ALTER TABLE `m` ADD COLUMN `n` INT NULL DEFAULT NULL', values: [] });
});

t.test('constant defaults read from MariaDB\'s catalog', async (t) => {
  const c = (COLUMN_DEFAULT: string | null, IS_NULLABLE = 'NO') => catalogDefault({ COLUMN_NAME: 'c', DATA_TYPE: 'varchar', EXTRA: '', NUMERIC_PRECISION: null, NUMERIC_SCALE: null, DATETIME_PRECISION: null, COLUMN_DEFAULT, IS_NULLABLE });
  t.equal(c("'it''s'"), "it's");
  t.equal(c('1.500'), '1.500');
  t.equal(c('NULL', 'YES'), null);
  t.equal(c(null, 'YES'), null);
  t.equal(c(null), undefined, 'NOT NULL without a default: none');
  t.equal(c('current_timestamp(6)'), undefined, 'expressions differ per row and side: none');
});
