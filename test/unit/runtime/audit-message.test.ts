import t from 'tap';
import { auditMessage } from '../../../lib/runtime/audit-message';
import { at, changeEvent } from '../../../lib/testing';

t.test('an audit record is JSON with both versions, keyed by table and primary key', async (t) => {
  const winner = changeEvent({ table: 'messages', op: 'u', after: { id: 7, body: 'new', seq: 9007199254740993n, updated_at: at('2026-01-01 00:00:02.5') }, serverId: 2, pos: 900 });
  const loser = changeEvent({ table: 'messages', op: 'd', before: { id: 7 }, key: { id: 7 }, deletedAt: '2026-01-01 00:00:01', serverId: 1, file: 'mysql-bin.000003', pos: 120 });
  const msg = auditMessage({ stage: 'a-to-b.last-writer-wins', table: 'messages', key: { id: 7 }, winner, loser }, Date.UTC(2026, 0, 1, 12, 0, 0));
  t.equal(msg.key.toString(), 'messages:{"id":7}');
  t.same(JSON.parse(msg.value.toString()), {
    stage: 'a-to-b.last-writer-wins',
    table: 'messages',
    key: { id: 7 },
    winner: { op: 'u', version: '2026-01-01 00:00:02.5', row: { id: 7, body: 'new', seq: '9007199254740993', updated_at: '2026-01-01 00:00:02.5' }, source: { server_id: 2, file: 'mysql-bin.000001', pos: 900 } },
    loser: { op: 'd', version: '2026-01-01 00:00:01', row: { id: 7 }, source: { server_id: 1, file: 'mysql-bin.000003', pos: 120 } },
    at: '2026-01-01T12:00:00.000Z',
  });
});
