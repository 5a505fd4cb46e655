import t from 'tap';
import { pipelineEnv } from '../../../lib/workload';

t.test('pipeline addresses come from TANDEM_* and fall back to the defaults', async (t) => {
  t.same(pipelineEnv({ TANDEM_BROKERS: 'k:1', TANDEM_DB_B_URL: '' }), {
    brokers: 'k:1',
    registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
    dbA: 'mysql://tandem:tandem@127.0.0.1:3307/chat',
    dbB: 'mysql://tandem:tandem@127.0.0.1:3308/chat',
  });
});
