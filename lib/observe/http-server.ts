// Tandem's one HTTP port (TANDEM_HTTP_PORT): /metrics for Prometheus, /healthz and /readyz for an
// orchestrator, the status page at / with its data at /status.json. Read-only: GET and HEAD only.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Liveness, Readiness } from './health';
import type { Logger } from './logger';
import { loadAssets } from './status-page';

export interface HttpHandlers {
  metrics(): Promise<{ contentType: string; body: string }>;
  liveness(): Liveness;
  readiness(): Readiness;
  /** The status page's data (JSON-safe). */
  status(): unknown;
  /** The status page's HTML. */
  page(): string;
}

export interface HttpServerOptions {
  host: string;
  /** 0: a free port the OS picks (tests). */
  port: number;
  handlers: HttpHandlers;
  log: Logger;
}

export interface RunningHttpServer {
  /** The port it listens on (the one picked when 0 was asked for). */
  port: number;
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

export async function startHttpServer(o: HttpServerOptions): Promise<RunningHttpServer> {
  const assets = loadAssets();
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'GET only\n');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/metrics') {
      const m = await o.handlers.metrics();
      return send(res, 200, m.contentType, m.body);
    }
    if (path === '/healthz') {
      const l = o.handlers.liveness();
      return json(res, l.alive ? 200 : 503, l);
    }
    if (path === '/readyz') {
      const r = o.handlers.readiness();
      return json(res, r.ready ? 200 : 503, r);
    }
    if (path === '/status.json') return json(res, 200, o.handlers.status());
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', o.handlers.page());
    const asset = path.startsWith('/assets/') ? assets.get(path.slice('/assets/'.length)) : undefined;
    if (asset) return send(res, 200, asset.contentType, asset.body);
    return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /, /metrics, /healthz or /readyz\n');
  };
  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      o.log.warn('HTTP request failed', { path: req.url, error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    port,
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
