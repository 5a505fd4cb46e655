import t from 'tap';
import { parseKeyJson } from '../../../lib/stages/keys';

t.test('parseKeyJson reads MariaDB JSON_ARRAY keys exactly', async (t) => {
  t.same(parseKeyJson('[1, "a", null, true, 1.5]'), [1, 'a', null, true, 1.5]);
  t.same(parseKeyJson('[9007199254740993]'), [9007199254740993n], 'beyond 2^53: bigint, not the nearest double');
  t.same(parseKeyJson('[-9007199254740993, 9007199254740991]'), [-9007199254740993n, 9007199254740991]);
  t.same(parseKeyJson('["a,b\\"]", "\\u00e9\\\\"]'), ['a,b"]', 'é\\'], 'separators and escapes inside strings');
  t.same(parseKeyJson('[]'), []);
  t.same(parseKeyJson(' [ 1 , 2 ] '), [1, 2]);
  for (const bad of ['1', '[1', '[1,]', '[[1]]', '[{"a":1}]', '[1] x', 'nope', '[1 2]']) t.equal(parseKeyJson(bad), undefined, bad);
});
