// `tandem verify` and `tandem workload` arguments: defaults from the environment, tombstones
// checked by default (not when tables are named), clear errors for bad values.
import t from 'tap';
import { parseVerifyArgs } from '../../../lib/cli/verify';
import { parseWorkloadArgs } from '../../../lib/cli/workload';

t.test('verify: defaults from env, tombstones added unless tables are given', async (t) => {
  const env = { TANDEM_DB_A_URL: 'mysql://u:p@h:1/chat', TANDEM_DB_B_URL: 'mysql://u:p@h:2/chat', TANDEM_TABLES: 'rooms,members:room_id+user_id' };
  t.same(parseVerifyArgs([], env), {
    a: env.TANDEM_DB_A_URL,
    b: env.TANDEM_DB_B_URL,
    tables: ['rooms', 'members'],
    allTables: false,
    tombstonesOf: [{ name: 'rooms', primaryKey: ['id'] }, { name: 'members', primaryKey: ['room_id', 'user_id'] }],
    chunkRows: 1000,
    maxDiffs: 10,
    waitS: 0,
    json: false,
  });
  const p = parseVerifyArgs(['--tables=messages', '--chunk-rows', '50', '--json', '--wait', '30'], env);
  t.match(p, { tables: ['messages'], tombstonesOf: undefined, chunkRows: 50, json: true, waitS: 30 });
  t.equal(parseVerifyArgs(['--chunk-rows', '0'], env), '--chunk-rows must be ≥ 1, --show and --wait ≥ 0 (integers)');
  t.equal(parseVerifyArgs(['--nope'], env), 'unknown argument --nope');
  t.equal(parseVerifyArgs(['--a'], env), '--a needs a value');
  t.match(parseVerifyArgs([], { ...env, TANDEM_TABLES: '*' }), { allTables: true, tables: [] }, 'TANDEM_TABLES=*: the tables are read from the databases');
});

t.test('workload: numbers only', async (t) => {
  t.same(parseWorkloadArgs(['--seed', '42', '--operations=100']), { seed: 42, operations: 100, duration: undefined, rate: undefined, writers: undefined });
  t.equal(parseWorkloadArgs(['--rate', 'fast']), '--rate needs a non-negative integer');
  t.equal(parseWorkloadArgs(['--x']), 'unknown argument --x');
});
