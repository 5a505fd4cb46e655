// The status page's HTML: the topology picture (SVG drawn here, from describe()) and the empty
// panels page-assets/status-page.js fills from /status.json. Its assets are Tandem's own files and
// uPlot's from node_modules: the page loads nothing from another host.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { topologySvg, type TopologyPicture } from './topology-svg';

export interface Asset {
  contentType: string;
  body: Buffer;
}

const UPLOT_DIST = join(dirname(require.resolve('uplot/package.json')), 'dist');
const OWN = join(__dirname, 'page-assets');

/** Files the page loads, by the path under /assets/ they are served at. */
const ASSET_FILES: Readonly<Record<string, { file: string; contentType: string }>> = {
  'uPlot.iife.min.js': { file: join(UPLOT_DIST, 'uPlot.iife.min.js'), contentType: 'text/javascript; charset=utf-8' },
  'uPlot.min.css': { file: join(UPLOT_DIST, 'uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
  'status-page.js': { file: join(OWN, 'status-page.js'), contentType: 'text/javascript; charset=utf-8' },
  'status-page.css': { file: join(OWN, 'status-page.css'), contentType: 'text/css; charset=utf-8' },
};

/** Reads every asset once, at start: a missing file is found then, not on a first visit. */
export function loadAssets(): Map<string, Asset> {
  return new Map(Object.entries(ASSET_FILES).map(([name, a]) => [name, { contentType: a.contentType, body: readFileSync(a.file) }]));
}

function escapeHtml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] as string);
}

export function statusPageHtml(picture: TopologyPicture): string {
  const name = escapeHtml(picture.description.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem · ${name}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/uPlot.min.css">
<link rel="stylesheet" href="assets/status-page.css">
</head>
<body>
<header><h1>Tandem · ${name}</h1><span id="readiness">…</span><span id="waits"></span><span id="updated"></span></header>
<main>
<section id="picture"><h2>Topology</h2>${topologySvg(picture)}</section>
<section><h2>Health</h2><ul id="checks"></ul></section>
<section><h2>Directions</h2><div class="cards" id="directions"></div></section>
<section><h2>Live</h2><div class="charts"><div class="chart" id="chart-throughput"></div><div class="chart" id="chart-lag"></div><div class="chart" id="chart-conflicts"></div></div></section>
<section><h2>Source connectors</h2><table id="connectors"></table></section>
<section><h2>Last conflicts</h2><table id="conflicts"></table></section>
<section><h2>Last dead letters</h2><table id="dead-letters"></table></section>
</main>
<script src="assets/uPlot.iife.min.js"></script>
<script src="assets/status-page.js"></script>
</body>
</html>
`;
}
