// The sink adds a column an event's record schema has and its target lacks (nullable or with a
// default; INT, VARCHAR(n), DECIMAL(p,s), DATETIME(6)), and refuses other schema changes per
// record schema as dead letters while the rest of the batch goes on.
import t from 'tap';
import { Decimal, type ChangeEvent, type ColumnSchema, type Row, type Sink } from '../../../lib/model';
import { installOriginSupport, mysqlSink } from '../../../lib/sink';
import { rows, testDb, ts, uniqueTable, upsert, type TestDb } from '../fixtures/db';

let db: TestDb;
const sinks: Sink[] = [];
t.before(async () => {
  db = await testDb(t);
});
t.teardown(async () => {
  for (const s of sinks) await s.close();
});

/** A column as Debezium describes it with `column.propagate.source.type`. */
function col(name: string, avro: string, source: [string, number?, number?], o: { optional?: boolean; default?: ColumnSchema['default']; semantic?: string; parameters?: Record<string, string> } = {}): ColumnSchema {
  const [type, length, scale] = source;
  return {
    name,
    type: avro,
    semantic: o.semantic,
    optional: o.optional ?? false,
    default: o.default,
    parameters: {
      ...o.parameters,
      '__debezium.source.column.type': type,
      ...(length === undefined ? {} : { '__debezium.source.column.length': String(length) }),
      ...(scale === undefined ? {} : { '__debezium.source.column.scale': String(scale) }),
    },
  };
}

const ID = col('id', 'int', ['INT']);
const BODY = col('body', 'string', ['VARCHAR', 100]);
const UPDATED = col('updated_at', 'long', ['DATETIME', 6], { semantic: 'io.debezium.time.MicroTimestamp' });
const BASE = [ID, BODY, UPDATED];

function event(table: string, columns: readonly ColumnSchema[], after: Row): ChangeEvent {
  return { ...upsert(table, after), columns };
}

async function table(prefix: string, extra = ''): Promise<string> {
  const name = uniqueTable(prefix);
  await db.admin.query(`CREATE TABLE chat.${name} (id INT PRIMARY KEY, body VARCHAR(100) NOT NULL, ${extra} updated_at DATETIME(6) NOT NULL)`);
  await installOriginSupport(db.url, [name]);
  return name;
}

function sinkFor(name: string): Sink {
  const s = mysqlSink({ url: db.url, tables: { [name]: { primaryKey: ['id'] } }, lingerMs: 5, tombstoneRetentionMs: 100 * 365 * 86_400_000 });
  sinks.push(s);
  return s;
}

const catalog = (name: string) =>
  rows(db.admin, 'SELECT COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', ['chat', name]);

t.test('columns the record has are added in place, with type, nullability and default; rows carry their values', async (t) => {
  const name = await table('evolve');
  const sink = sinkFor(name);
  t.same(await sink.write([event(name, BASE, { id: 1, body: 'before', updated_at: ts('2024-01-01 00:00:01') })]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });

  const added = [
    col('n', 'int', ['INT'], { optional: true, default: null }),
    col('code', 'string', ['VARCHAR', 12], { default: 'none' }),
    col('price', 'bytes', ['DECIMAL', 10, 3], { optional: true, default: new Decimal(1500n, 3), semantic: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '3', 'connect.decimal.precision': '10' } }),
    col('seen_at', 'long', ['DATETIME', 6], { optional: true, default: null, semantic: 'io.debezium.time.MicroTimestamp' }),
  ];
  const wide = [ID, BODY, ...added, UPDATED];
  const row = { id: 2, body: 'after', n: 5, code: 'abc', price: new Decimal(12345n, 3), seen_at: ts('2024-05-06 07:08:09.123456'), updated_at: ts('2024-01-01 00:00:02') };
  t.same(await sink.write([event(name, wide, row)]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } }, 'the row with the new columns is applied');

  t.same(await catalog(name), [
    { c: 'id', type: 'int(11)', nullable: 'NO', dflt: null },
    { c: 'body', type: 'varchar(100)', nullable: 'NO', dflt: null },
    { c: 'n', type: 'int(11)', nullable: 'YES', dflt: 'NULL' },
    { c: 'code', type: 'varchar(12)', nullable: 'NO', dflt: "'none'" },
    { c: 'price', type: 'decimal(10,3)', nullable: 'YES', dflt: '1.500' },
    { c: 'seen_at', type: 'datetime(6)', nullable: 'YES', dflt: 'NULL' },
    { c: 'updated_at', type: 'datetime(6)', nullable: 'NO', dflt: null },
  ], 'same types, nullability, defaults and column order as the record');
  t.same(await rows(db.admin, `SELECT id, body, n, code, price, seen_at FROM chat.${name} ORDER BY id`), [
    { id: 1, body: 'before', n: null, code: 'none', price: '1.500', seen_at: null },
    { id: 2, body: 'after', n: 5, code: 'abc', price: '12.345', seen_at: '2024-05-06 07:08:09.123456' },
  ]);

  const [trigger] = await rows(db.admin, "SELECT ACTION_STATEMENT AS body FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'chat' AND TRIGGER_NAME = ?", [`tandem_${name}_bu`]);
  t.match(String(trigger.body), /seen_at/, 'the BEFORE UPDATE trigger was re-installed with the new columns');

  // An event of the old record schema (written at its source before the column was added there).
  t.same(await sink.write([event(name, BASE, { id: 3, body: 'old schema', updated_at: ts('2024-01-01 00:00:03') })]), { applied: 1, skipped: 0, deadLetters: [], tables: { [name]: { applied: 1, skipped: 0 } } });
  t.same(await rows(db.admin, `SELECT n, code, price, seen_at FROM chat.${name} WHERE id = 3`), [{ n: null, code: 'none', price: '1.500', seen_at: null }], 'it gets the defaults');

  // Equal updated_at, rows differing only in a new column: the content hash covers it, so both
  // apply orders end with the same winner.
  const at = ts('2024-01-01 00:00:04');
  const x = { id: 10, body: 'tie', n: 1, code: 'c', price: null, seen_at: null, updated_at: at };
  const y = { ...x, n: 2 };
  await sink.write([event(name, wide, x)]);
  await sink.write([event(name, wide, y)]);
  await sink.write([event(name, wide, { ...y, id: 11 })]);
  await sink.write([event(name, wide, { ...x, id: 11 })]);
  const ties = await rows(db.admin, `SELECT id, n FROM chat.${name} WHERE id IN (10, 11) ORDER BY id`);
  t.equal(ties[0].n, ties[1].n, 'the tie-break hash includes the added column');
});

t.test('a column the record lacks and the target cannot default is refused, the rest of the batch goes on', async (t) => {
  const name = await table('dropped', 'extra INT NOT NULL,');
  const sink = sinkFor(name);
  const withExtra = [ID, BODY, col('extra', 'int', ['INT']), UPDATED];
  const result = await sink.write([
    event(name, BASE, { id: 1, body: 'no extra', updated_at: ts('2024-01-01 00:00:01') }),
    event(name, withExtra, { id: 2, body: 'fine', extra: 7, updated_at: ts('2024-01-01 00:00:01') }),
  ]);
  t.equal(result.applied, 1);
  t.equal(result.deadLetters.length, 1);
  t.match(result.deadLetters[0].reason, /lacks column\(s\) extra .*no constant default.*ADD COLUMN only/);
  t.equal(result.deadLetters[0].event?.after?.id, 1);
  t.same(await rows(db.admin, `SELECT id, extra FROM chat.${name}`), [{ id: 2, extra: 7 }]);
});

t.test('a type change at the source is refused with both types named', async (t) => {
  const name = await table('retyped');
  const sink = sinkFor(name);
  const wider = [ID, col('body', 'string', ['VARCHAR', 200]), UPDATED];
  const result = await sink.write([
    event(name, wider, { id: 1, body: 'wider', updated_at: ts('2024-01-01 00:00:01') }),
    event(name, BASE, { id: 2, body: 'same', updated_at: ts('2024-01-01 00:00:01') }),
  ]);
  t.equal(result.applied, 1);
  t.match(result.deadLetters.map((d) => d.reason), [/column body: the source's type varchar\(200\) differs from .*varchar\(100\)/]);
  t.same(await catalog(name).then((cs) => cs.map((c) => c.type)), ['int(11)', 'varchar(100)', 'datetime(6)'], 'the target is left as it is');
});

t.test('a new column whose type cannot be known is refused, not guessed', async (t) => {
  const name = await table('unknown');
  const sink = sinkFor(name);
  const odd: ColumnSchema = { name: 'amount', type: 'bytes', semantic: 'io.debezium.data.VariableScaleDecimal', optional: true, default: null, parameters: {} };
  const result = await sink.write([event(name, [ID, BODY, odd, UPDATED], { id: 1, body: 'x', amount: null, updated_at: ts('2024-01-01 00:00:01') })]);
  t.equal(result.applied, 0);
  t.match(result.deadLetters.map((d) => d.reason), [/amount could not be added .*no SQL type known for io\.debezium\.data\.VariableScaleDecimal/]);
  t.equal((await catalog(name)).length, 3, 'no column added');
});
