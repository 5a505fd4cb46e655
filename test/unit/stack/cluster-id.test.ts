import t from 'tap';
import { newClusterId } from '../../../lib/stack/kafka';

// One id in 64 drawn as plain base64url starts with '-', which Kafka's storage tool reads as an
// option: stack-up failed so in a CI run. 5000 draws hold ~78 such ids without the redraw.
t.test('a cluster id is 22 URL-safe base64 characters and never starts with "-"', async (t) => {
  const ids = Array.from({ length: 5000 }, newClusterId);
  t.equal(ids.filter((id) => id.startsWith('-')).length, 0, 'none starts with -');
  t.ok(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id)), 'each is 16 bytes of base64url without padding');
  t.equal(new Set(ids).size, ids.length, 'each is new');
});
