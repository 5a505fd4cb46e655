import t from 'tap';
import { TandemError } from '../../../lib/errors';
import { InMemorySchemaRegistry, frame, schemaIdOf } from '../../../lib/registry';

t.test('ids are global, identical schemas keep their id, subjects track versions', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const a = { type: 'record', name: 'A', fields: [{ name: 'x', type: 'int' }] };
  const b = { type: 'record', name: 'B', fields: [{ name: 'y', type: 'long' }] };
  t.equal(await registry.register('t-key', a), 1);
  t.equal(await registry.register('t-value', b), 2);
  t.equal(await registry.register('u-value', a), 1, 'same schema, same id, other subject');
  t.same(await registry.getSchema(2), b);
  t.equal(registry.latestId('t-value'), 2);
  t.equal(registry.latestId('nope'), undefined);
  t.same(registry.subjects(), ['t-key', 't-value', 'u-value']);
});

t.test('an unknown id is poison', async (t) => {
  const err = await new InMemorySchemaRegistry().getSchema(42).catch((e: unknown) => e);
  t.ok(err instanceof TandemError);
  t.equal((err as TandemError).kind, 'poison');
  t.match((err as TandemError).message, 'schema id 42 is not registered');
});

t.test('Confluent framing: magic byte 0, 4-byte big-endian id', async (t) => {
  const framed = frame(0x01020304, Buffer.from([9, 8]));
  t.same(framed, Buffer.from([0, 1, 2, 3, 4, 9, 8]));
  t.equal(schemaIdOf(framed, 'value'), 0x01020304);
  const bad = (buf: Buffer, context = {}): TandemError => {
    try {
      schemaIdOf(buf, 'key', context);
    } catch (err) {
      if (err instanceof TandemError) return err;
    }
    throw new Error('expected a TandemError');
  };
  const magic = bad(Buffer.from([1, 0, 0, 0, 1]), { topic: 'x' });
  t.equal(magic.kind, 'poison');
  t.equal(magic.context.topic, 'x');
  t.match(magic.message, /key starts with byte 1, not the Confluent magic byte 0/);
  t.match(bad(Buffer.from([0, 0])).message, /key is 2 bytes, shorter than the 5-byte Confluent header/);
});
