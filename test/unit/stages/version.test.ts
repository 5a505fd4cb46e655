import t from 'tap';
import { compareVersions, versionOf } from '../../../lib/stages';
import { at, changeEvent } from '../../../lib/testing';

t.test('the version of a row is its updated_at in microseconds; of a delete, its deletedAt', async (t) => {
  const row = changeEvent({ table: 'rooms', after: { id: 1, updated_at: at('1970-01-01 00:00:01.000002') } });
  t.same(versionOf(row), { micros: 1_000_002n, deleted: false });
  const del = changeEvent({ table: 'rooms', op: 'd', before: { id: 1 }, deletedAt: '1970-01-01 00:00:00.000003' });
  t.same(versionOf(del), { micros: 3n, deleted: true });
  t.equal(versionOf(changeEvent({ table: 'rooms', op: 'd', before: { id: 1 } })), undefined);
});

t.test('deletes win ties; equal rows are left to the caller', async (t) => {
  t.equal(compareVersions({ micros: 5n, deleted: true }, { micros: 5n, deleted: false }), 1);
  t.equal(compareVersions({ micros: 5n, deleted: false }, { micros: 5n, deleted: true }), -1);
  t.equal(compareVersions({ micros: 5n, deleted: false }, { micros: 5n, deleted: false }), 0);
  t.equal(compareVersions({ micros: 4n, deleted: true }, { micros: 5n, deleted: false }), -1);
  t.equal(compareVersions({ micros: 6n, deleted: false }, { micros: 5n, deleted: true }), 1);
});
