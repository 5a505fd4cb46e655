// The status page in a real browser (headless Debian chromium), served by the runtime's own HTTP
// server over the real bidirectional topology with in-memory databases and Kafka: it loads with
// no console error, draws both directions' stages, its charts move while rows flow, and a database
// reported down turns its part of the page red within seconds (and back when it answers).
// With TANDEM_UPDATE_SCREENSHOT=1 the screenshot replaces docs/status-page.png (the README's).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { launchChromium } from './fixtures/chromium';
import { LiveRuntime } from './fixtures/live-runtime';

const ROOT = resolve(__dirname, '..', '..');
const STAGES = ['source', 'origin-filter', 'schema-changes', 'carry-deletes', 'last-writer-wins', 'route-by-table'];

t.test('the status page, live, in chromium', async (t) => {
  const live = new LiveRuntime();
  const url = await live.start();
  t.teardown(() => live.stop());
  const { browser, close } = await launchChromium();
  t.teardown(close);
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err instanceof Error ? err.message : String(err)}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));

  live.startWriting();
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction('window.tandem && window.tandem.state.samples >= 2 && !!window.tandem.charts.throughput', { timeout: 10_000 });

  const nodes = (await page.evaluate("[...document.querySelectorAll('svg.topology [data-node]')].map((g) => g.getAttribute('data-node'))")) as string[];
  for (const dir of ['a-to-b', 'b-to-a']) for (const stage of [...STAGES, dir === 'a-to-b' ? 'mysql-b' : 'mysql-a']) t.ok(nodes.includes(`${dir}.${stage}`), `the picture shows ${dir}.${stage}`);
  t.ok(nodes.includes('db:a:in') && nodes.includes('db:b:out') && nodes.includes('connector:a'), 'and the databases and connectors');
  t.equal(await page.evaluate("document.querySelectorAll('svg.topology .box').length"), 2 * 10, 'ten boxes per direction, drawn (not text)');

  // The charts move while rows flow: more samples, and rows applied per second above zero both ways.
  const before = (await page.evaluate('window.tandem.charts.throughput.data[0].length')) as number;
  await new Promise((r) => setTimeout(r, 4000));
  const after = (await page.evaluate('window.tandem.charts.throughput.data[0].length')) as number;
  t.ok(after >= before + 2, `the throughput chart got new points (${before} → ${after})`);
  const peaks = (await page.evaluate('window.tandem.charts.throughput.data.slice(1).map((s) => Math.max(0, ...s.filter((v) => v !== null)))')) as number[];
  t.equal(peaks.length, 2, 'one series per direction');
  t.ok(peaks.every((p) => p > 0), `rows applied per second, both directions: ${peaks.map((p) => p.toFixed(1)).join(', ')}`);
  const lagPoints = (await page.evaluate('window.tandem.charts.lag.data.slice(1).map((s) => s.filter((v) => v !== null).length)')) as number[];
  t.ok(lagPoints.every((n) => n > 0), 'the lag chart has points for both directions');
  const conflicts = (await page.evaluate("document.querySelectorAll('#conflicts tr').length")) as number;
  t.ok(conflicts > 1, `the last conflicts are listed (${conflicts - 1} rows)`);
  t.match(await page.evaluate("document.querySelector('#dead-letters').textContent"), /undecodable/, 'and the dead letters with their reason');
  t.match(await page.evaluate("document.querySelector('#connectors').textContent"), /tandem-source-a\s*RUNNING/, "and the connectors' states");
  t.equal(await page.evaluate("document.querySelector('#readiness').textContent"), 'ready');

  const shot = process.env.TANDEM_UPDATE_SCREENSHOT === '1' ? join(ROOT, 'docs', 'status-page.png') : join(mkdtempSync(join(tmpdir(), 'tandem-shot-')), 'status-page.png');
  await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
  t.comment(`screenshot: ${shot}`);

  // Database b stops answering: its boxes turn red within a few seconds, and the page says why.
  const downAt = Date.now();
  live.probes.b.set(false);
  await page.waitForFunction("document.querySelectorAll('svg.topology .down[data-part=\"database:b\"]').length === 3", { timeout: 5000 });
  t.ok(Date.now() - downAt < 5000, `database b red in ${Date.now() - downAt} ms (its source box, the sink writing it, its target box)`);
  t.equal(await page.evaluate("document.querySelectorAll('svg.topology .down:not([data-part=\"database:b\"])').length"), 0, 'nothing else is red');
  t.match(await page.evaluate("document.querySelector('#readiness').textContent"), /not ready: database b/);
  t.match(await page.evaluate("document.querySelector('#checks li.bad').textContent"), /database b: NOT READY — does not answer/);
  t.equal(await page.evaluate("getComputedStyle(document.querySelector('svg.topology .down .shape')).stroke"), 'rgb(207, 34, 46)', 'drawn in red');

  live.probes.b.set(true);
  await page.waitForFunction("document.querySelectorAll('svg.topology .down').length === 0", { timeout: 5000 });
  t.equal(await page.evaluate("document.querySelector('#readiness').textContent"), 'ready', 'back to ready when it answers');
  t.same(problems, [], 'no console error, page error or failed request');
});
