// Against a small HTTP server speaking the registry's REST shape (as Apicurio's ccompat API
// answers), to pin how each answer is classified. The real registry is covered by e2e tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { TandemError } from '../../../lib/errors';
import { ConfluentSchemaRegistrySource } from '../../../lib/registry';

const schema = { type: 'record', name: 'Key', namespace: 'a.chat.messages', fields: [{ name: 'id', type: 'long' }], 'connect.name': 'a.chat.messages.Key' };

async function startRegistry(t: Test): Promise<{ url: string; registered: { subject: string; body: string }[]; authorizations: (string | undefined)[] }> {
  const registered: { subject: string; body: string }[] = [];
  const authorizations: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const url = req.url ?? '';
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(json));
      };
      if (url === '/apis/ccompat/v7/schemas/ids/1') return reply(200, { schema: JSON.stringify(schema) });
      if (url === '/apis/ccompat/v7/schemas/ids/2') return reply(200, { schema: 'not json' });
      if (url === '/apis/ccompat/v7/schemas/ids/3') return reply(503, { error_code: 50003, message: 'storage not ready' });
      if (url === '/apis/ccompat/v7/schemas/ids/4') return reply(401, { error_code: 40101, message: 'unauthorized' });
      if (url === '/apis/ccompat/v7/schemas/ids/5') return; // never answers: the client's timeout decides
      const subject = /^\/apis\/ccompat\/v7\/subjects\/([^/]+)\/versions$/.exec(url);
      if (req.method === 'POST' && subject) {
        registered.push({ subject: decodeURIComponent(subject[1]), body });
        return reply(200, { id: 17 });
      }
      reply(404, { error_code: 40403, message: 'Schema not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/ccompat/v7`, registered, authorizations };
}

async function failure(promise: Promise<unknown>): Promise<TandemError> {
  const err = await promise.then(() => new Error('resolved'), (e: unknown) => e);
  if (!(err instanceof TandemError)) throw new Error(`expected a TandemError, got ${String(err)}`);
  return err;
}

t.test('fetches the raw schema by id, keeping Connect annotations', async (t) => {
  const { url } = await startRegistry(t);
  t.same(await new ConfluentSchemaRegistrySource(url).getSchema(1), schema);
});

t.test('registers under a subject through the client library', async (t) => {
  const { url, registered } = await startRegistry(t);
  t.equal(await new ConfluentSchemaRegistrySource(url).register('a.chat.messages-key', schema), 17);
  t.equal(registered.length, 1);
  t.equal(registered[0].subject, 'a.chat.messages-key');
  t.same(JSON.parse((JSON.parse(registered[0].body) as { schema: string }).schema), schema);
});

t.test('classifies failures: unknown id retriable (the registry is wrong, not the record), 5xx/timeout/unreachable retriable, 401 fatal', async (t) => {
  const { url } = await startRegistry(t);
  const source = new ConfluentSchemaRegistrySource(url, { timeoutMs: 200 });
  const unknown = await failure(source.getSchema(99));
  t.equal(unknown.kind, 'retriable');
  t.match(unknown.message, /fetching schema id 99 .*\(404\)/);
  t.match(unknown.context.hint, /wrong TANDEM_REGISTRY_URL, or the registry lost its data/);
  t.equal((await failure(source.getSchema(2))).kind, 'poison', 'a schema text that is not JSON');
  const down = await failure(source.getSchema(3));
  t.equal(down.kind, 'retriable');
  t.match(down.message, /registry unavailable while fetching schema id 3/);
  t.equal((await failure(source.getSchema(4))).kind, 'fatal');
  const slow = await failure(source.getSchema(5));
  t.equal(slow.kind, 'retriable');
  t.match(slow.message, /Timeout \(200ms\)/);
});

t.test('an unreachable registry is retriable', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const err = await failure(new ConfluentSchemaRegistrySource(`http://127.0.0.1:${port}`).getSchema(1));
  t.equal(err.kind, 'retriable');
  t.match(err.message, /ECONNREFUSED/);
  t.match(err.context.hint ?? '', /TANDEM_REGISTRY_URL/);
});

t.test('credentials in the registry URL are sent as basic auth and never appear in an error', async (t) => {
  const SECRET = 's3cr3t-Pw';
  const { url, authorizations } = await startRegistry(t);
  const withCredentials = url.replace('http://', `http://reg:${SECRET}@`);
  const source = new ConfluentSchemaRegistrySource(withCredentials, { timeoutMs: 200 });
  t.same(await source.getSchema(1), schema, 'the credentials still work');
  t.equal(authorizations[0], `Basic ${Buffer.from(`reg:${SECRET}`).toString('base64')}`);
  // 404 (poison: dead-lettered with this text), not JSON (poison), 503, 401, timeout.
  for (const id of [99, 2, 3, 4, 5]) {
    const err = await failure(source.getSchema(id));
    t.notMatch(err.message, SECRET, `schema id ${id}: ${err.message}`);
    t.notMatch(err.context.hint ?? '', SECRET);
  }
  t.match((await failure(source.getSchema(2))).message, `schema id 2 from http://reg:***@127.0.0.1:`);
});
