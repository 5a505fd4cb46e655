import t from 'tap';
import { formatPosition, parsePosition } from '../../../lib/dlq';

t.test('a position is an offset in partition 0, or partition:offset; printed back the same way', async (t) => {
  t.same(parsePosition('12'), { partition: 0, offset: 12n });
  t.same(parsePosition('3:9007199254740993'), { partition: 3, offset: 9007199254740993n }, 'int64 offsets exactly');
  t.equal(formatPosition({ partition: 0, offset: 12n }), '12');
  t.equal(formatPosition({ partition: 3, offset: 4n }), '3:4');
  for (const bad of ['', '-1', '1:', ':1', '1:2:3', 'a.chat.rooms[0]@4', '1.5']) {
    t.equal(parsePosition(bad), `${bad} is not a dead-letter position (an offset, or <partition>:<offset>, as tandem dlq list prints them)`, JSON.stringify(bad));
  }
});
