import t from 'tap';
import { compareVersions, deleteVersion, replaces, rowVersion } from '../../../lib/model';
import { versionOf } from '../../../lib/stages';
import { at, changeEvent } from '../../../lib/testing';

t.test('the version of a row is its updated_at in microseconds; of a delete, its deletedAt', async (t) => {
  const row = versionOf(changeEvent({ table: 'rooms', after: { id: 1, updated_at: at('1970-01-01 00:00:01.000002') } }));
  t.same([row?.micros, row?.deleted], [1_000_002n, false]);
  const del = changeEvent({ table: 'rooms', op: 'd', before: { id: 1 }, deletedAt: '1970-01-01 00:00:00.000003' });
  t.same(versionOf(del), { micros: 3n, deleted: true });
  t.equal(versionOf(changeEvent({ table: 'rooms', op: 'd', before: { id: 1 } })), undefined);
});

t.test("a row's content digest covers its columns other than key and version, as MariaDB's MD5(JSON_ARRAY(...))", async (t) => {
  const row = versionOf(changeEvent({ table: 'rooms', after: { id: 1, name: 'left', topic: null, is_private: 0, updated_at: at('2026-01-01 00:00:05') } }));
  // SELECT MD5(JSON_ARRAY('left', NULL, 0)) on MariaDB 10.11
  t.equal(row?.content?.(), '0b90711cb8d4d214df067eed005de581');
});

t.test('time first; at one time deletes win; then the greater content digest; else equal', async (t) => {
  const row = (micros: bigint, digest: string) => rowVersion(micros, () => digest);
  t.equal(compareVersions(deleteVersion(5n), row(5n, 'ff')), 1);
  t.equal(compareVersions(row(5n, 'ff'), deleteVersion(5n)), -1);
  t.equal(compareVersions(deleteVersion(4n), row(5n, '00')), -1);
  t.equal(compareVersions(row(6n, '00'), deleteVersion(5n)), 1);
  t.equal(compareVersions(row(5n, 'b'), row(5n, 'a')), 1);
  t.equal(compareVersions(row(5n, 'a'), row(5n, 'b')), -1);
  t.equal(compareVersions(row(5n, 'a'), row(5n, 'a')), 0);
  t.equal(compareVersions(deleteVersion(5n), deleteVersion(5n)), 0);
  t.equal(compareVersions(rowVersion(5n), row(5n, 'b')), 0, 'without a digest on both sides, rows at one time are equal');
});

t.test('replaces: only a strictly later version takes the place of the one held', async (t) => {
  t.ok(replaces(rowVersion(6n), rowVersion(5n)));
  t.notOk(replaces(rowVersion(5n, () => 'a'), rowVersion(5n, () => 'a')), 'a full tie keeps what is there');
  t.notOk(replaces(deleteVersion(5n), deleteVersion(5n)), 'an equal delete leaves the tombstone (and its origin)');
  t.ok(replaces(deleteVersion(5n), rowVersion(5n)), 'a delete removes a row of its own time');
  t.notOk(replaces(rowVersion(5n), deleteVersion(5n)), 'a tombstone refuses a row of its own time');
});

t.test('the digest is computed once, and only when two rows tie', async (t) => {
  let calls = 0;
  const a = rowVersion(5n, () => (calls++, 'a'));
  compareVersions(a, rowVersion(6n, () => 'b'));
  t.equal(calls, 0, 'different times: no digest');
  compareVersions(a, rowVersion(5n, () => 'b'));
  compareVersions(a, rowVersion(5n, () => 'c'));
  t.equal(calls, 1);
});
