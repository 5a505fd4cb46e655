import t from 'tap';
import { TopicRouter } from '../../../lib/runtime/topic-router';

t.test('names match exactly, patterns must match the whole topic, first source wins', async (t) => {
  const r = new TopicRouter([
    { name: 'a', topics: ['a.chat.rooms', /a\.chat\..*/] },
    { name: 'b', topics: [/b\.chat\.(rooms|members)/] },
  ]);
  t.equal(r.sourceOf('a.chat.messages'), 'a');
  t.equal(r.sourceOf('b.chat.members'), 'b');
  t.equal(r.sourceOf('b.chat.members2'), null);
  t.equal(r.sourceOf('xa.chat.rooms'), null);
  t.equal(r.subscriptions().length, 3);
});
