// The status page's picture of the real bidirectional topology: each direction from its source
// database through its connector and every stage to the target database, each box tied to the
// readiness check that turns it red.
import t from 'tap';
import { loadConfig } from '../../../lib/config';
import { topologySvg } from '../../../lib/observe';
import { topologyPicture } from '../../../lib/runtime/topology-picture';
import bidirectional from '../../../topologies/bidirectional';

t.test('both directions, every stage, databases and connectors marked with their parts', async (t) => {
  const picture = topologyPicture(bidirectional, loadConfig({}));
  t.same(picture.sourceDatabases, { 'a-to-b.source': 'a', 'b-to-a.source': 'b' });
  t.same(picture.sinkDatabases, { 'a-to-b.mysql-b': 'b', 'b-to-a.mysql-a': 'a' });
  const svg = topologySvg(picture);
  t.match(svg, /^<svg [^>]*viewBox="[^"]+"/);
  for (const dir of ['a-to-b', 'b-to-a']) {
    for (const stage of ['source', 'origin-filter', 'carry-deletes', 'last-writer-wins', 'route-by-table']) t.match(svg, `data-node="${dir}.${stage}"`, `${dir}: ${stage}`);
  }
  t.match(svg, /<g class="box sink" data-part="database:b" data-node="a-to-b.mysql-b">/, 'a sink is red with its database');
  t.match(svg, /<g class="box connector" data-part="connector:a"/);
  t.match(svg, /<g class="box database" data-part="database:a" data-node="db:a:in">/);
  t.match(svg, /a-to-b: database a → database b/);
  t.equal((svg.match(/class="edge"/g) ?? []).length, 2 * 9, 'db → connector → source → 5 stages → sink → db, per direction');
});
