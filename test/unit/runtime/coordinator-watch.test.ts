import t from 'tap';
import { CoordinatorWatch, groupStateOf } from '../../../lib/runtime/coordinator-watch';

// librdkafka's statistics JSON, as node-rdkafka's 'event.stats' hands it over (only the parts read).
const report = (state: string, stateage: number) => ({ message: JSON.stringify({ name: 'tandem#consumer-1', cgrp: { state, stateage, join_state: 'steady' } }) });

t.test('groupStateOf reads cgrp.state and its age; a report without a group says nothing', async (t) => {
  t.same(groupStateOf(report('query-coord', 1200)), { state: 'query-coord', stateAgeMs: 1200 });
  t.same(groupStateOf(report('up', 0).message), { state: 'up', stateAgeMs: 0 }, 'the JSON text itself too');
  t.equal(groupStateOf({ message: JSON.stringify({ name: 'tandem#producer-1' }) }), undefined, 'a producer has no cgrp');
  t.equal(groupStateOf({ message: '{not json' }), undefined);
  t.equal(groupStateOf(undefined), undefined);
});

t.test('the coordinator counts as lost from the first report without it, through the flapping between query and wait', async (t) => {
  const watch = new CoordinatorWatch(60_000);
  t.equal(watch.observe(groupStateOf(report('up', 90_000)), 0), undefined);
  t.ok(watch.hasCoordinator());
  // Lost 2 s before this report; then librdkafka flaps query-coord <-> wait-coord (stateage restarts each time).
  t.equal(watch.observe(groupStateOf(report('query-coord', 2000)), 10_000), undefined);
  t.notOk(watch.hasCoordinator(), 'a synchronous commit is not tried now');
  t.equal(watch.observe(groupStateOf(report('wait-coord', 10)), 40_000), undefined);
  t.equal(watch.observe(groupStateOf(report('query-coord', 5)), 68_000), undefined, '60 s exactly since it was lost: not yet');
  t.equal(watch.observe(groupStateOf(report('query-coord', 300)), 73_000), 65_000, 'then: replace, saying how long it has been');
});

t.test('a coordinator found again, a report without a group, and a reset each end the count', async (t) => {
  const watch = new CoordinatorWatch(10_000);
  watch.observe(groupStateOf(report('query-coord', 0)), 0);
  t.equal(watch.observe(groupStateOf(report('up', 100)), 8000), undefined);
  t.ok(watch.hasCoordinator());
  t.equal(watch.observe(groupStateOf(report('query-coord', 0)), 15_000), undefined, 'counted afresh from here');
  t.equal(watch.observe(undefined, 40_000), undefined, 'no group in the report: no decision');
  t.equal(watch.observe(groupStateOf(report('wait-coord', 0)), 26_000), 11_000);
  watch.reset();
  t.ok(watch.hasCoordinator(), 'a new client starts with a clean slate');
  t.equal(watch.observe(groupStateOf(report('init', 0)), 30_000), undefined);
});
