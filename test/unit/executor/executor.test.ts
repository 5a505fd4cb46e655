import t from 'tap';
import { providedSink, TopologyBuilder, type Stage } from '../../../lib/dsl';
import { Executor, sinksByName } from '../../../lib/executor';
import { fatal, poison } from '../../../lib/errors';
import type { ChangeEvent, Sink } from '../../../lib/model';
import { captureSink, changeEvent } from '../../../lib/testing';

const ev = (id: number, table = 'messages') => changeEvent({ table, after: { id } });
const ids = (events: readonly ChangeEvent[]) => events.map((e) => e.after?.id);
/** Builds the graph and runs one batch from `source` with the given sinks standing for its `providedSink`s. */
const run = (b: TopologyBuilder, sinks: Sink[], events: ChangeEvent[], source = 'src') => new Executor(b.build(), sinksByName(...sinks)).runBatch(source, events);

t.test('runs stages in order, fans out to every child, and counts in/out per node', async (t) => {
  const evens = captureSink('evens');
  const all = captureSink('all');
  const b = new TopologyBuilder('fan');
  const src = b.stream('t', { name: 'src' });
  src.filter((e) => Number(e.after?.id) % 2 === 0, { name: 'even' }).to(providedSink(evens.name));
  src.map((e) => ({ ...e, after: { ...e.after, seen: true } }), { name: 'mark' }).to(providedSink(all.name));
  const out = await run(b, [evens, all], [ev(1), ev(2), ev(3), ev(4)]);
  t.same(ids(evens.events), [2, 4]);
  t.same(ids(all.events), [1, 2, 3, 4]);
  t.equal(all.events[0].after?.seen, true);
  t.same(out.counters.src, { in: 4, out: 4, deadLettered: 0 });
  t.same(out.counters.even, { in: 4, out: 2, deadLettered: 0 });
  t.same(out.counters.evens, { in: 2, out: 0, deadLettered: 0, applied: 2, skipped: 0 });
  t.same(out.totals, { in: 4, echoesSuppressed: 0, conflictsResolved: 0, deadLettered: 0, applied: 6, skipped: 0 });
});

t.test('branch sends each event to the first matching branch only; unmatched are counted', async (t) => {
  const rooms = captureSink('rooms');
  const messages = captureSink('messages');
  const b = new TopologyBuilder('branch');
  const [r, m] = b.stream('t', { name: 'src' }).branch([(e) => e.source.table === 'rooms', (e) => e.source.table !== 'members'], { name: 'split' });
  r.to(providedSink(rooms.name));
  m.to(providedSink(messages.name));
  const out = await run(b, [rooms, messages], [ev(1, 'rooms'), ev(2, 'messages'), ev(3, 'members'), ev(4, 'rooms')]);
  t.same(ids(rooms.events), [1, 4]);
  t.same(ids(messages.events), [2]);
  t.same(out.counters.split, { in: 4, out: 3, deadLettered: 0, unmatched: 1 });
});

t.test('a poison error dead-letters only the event that caused it; the rest continue', async (t) => {
  const sink = captureSink('out');
  let calls = 0;
  const picky: Stage = {
    kind: 'picky',
    process(events, ctx) {
      calls++;
      ctx.count('seen', events.length);
      for (const e of events) if (e.after?.id === 2) throw poison(`cannot handle ${String(e.after.id)}`);
      return [...events];
    },
  };
  const b = new TopologyBuilder('poison');
  b.stream('t', { name: 'src' }).process(picky, { name: 'picky' }).to(providedSink(sink.name));
  const out = await run(b, [sink], [ev(1), ev(2), ev(3)]);
  t.same(ids(sink.events), [1, 3]);
  t.equal(out.deadLetters.length, 1);
  t.equal(out.deadLetters[0].stage, 'picky');
  t.equal(out.deadLetters[0].reason, 'cannot handle 2');
  t.equal(out.deadLetters[0].event?.after?.id, 2);
  t.equal(calls, 4, 'once for the batch, then once per event');
  // Counters of failed attempts are discarded: only the two per-event runs that returned count.
  t.same(out.counters.picky, { in: 3, out: 2, deadLettered: 1, seen: 2 });
  t.equal(out.totals.deadLettered, 1);
});

t.test('stage dead letters and sink dead letters both come back, named by where they happened', async (t) => {
  const refusing: Sink = {
    name: 'db',
    describe: () => 'refuses odd ids',
    write: async (events) => ({
      applied: events.filter((e) => Number(e.after?.id) % 2 === 0).length,
      skipped: 0,
      deadLetters: events.filter((e) => Number(e.after?.id) % 2 === 1).map((event) => ({ stage: 'db', reason: 'odd', event })),
    }),
    flush: async () => undefined,
    close: async () => undefined,
  };
  const letter: Stage = {
    kind: 'letter',
    process(events, ctx) {
      ctx.deadLetter(events[0], 'first one');
      return events.slice(1);
    },
  };
  const b = new TopologyBuilder('letters');
  b.stream('t', { name: 'src' }).process(letter, { name: 'letter' }).to(providedSink(refusing.name), { name: 'db-node' });
  const out = await run(b, [refusing], [ev(1), ev(2), ev(3)]);
  t.same(out.deadLetters.map((d) => [d.stage, d.reason, d.event?.after?.id]), [['letter', 'first one', 1], ['db', 'odd', 3]]);
  t.same(out.counters['db-node'], { in: 2, out: 0, deadLettered: 1, applied: 1, skipped: 0 });
  t.equal(out.totals.deadLettered, 2);
});

t.test('fatal errors and sink failures stop the batch', async (t) => {
  const b = new TopologyBuilder('fatal');
  b.stream('t', { name: 'src' }).process({ kind: 'boom', process: () => { throw fatal('broken invariant'); } }).to(providedSink('out'));
  await t.rejects(run(b, [captureSink('out')], [ev(1)]), { kind: 'fatal', message: 'broken invariant' });
  const c = new TopologyBuilder('sink-down');
  const down: Sink = { ...captureSink('down'), write: async () => { throw new Error('connection lost'); } };
  c.stream('t', { name: 'src' }).to(providedSink(down.name));
  await t.rejects(run(c, [down], [ev(1)]), /connection lost/);
  await t.rejects(run(c, [down], [ev(1)], 'down'), /down is a sink node, not a source/);
});

t.test('an empty result stops early: sinks are not called with nothing', async (t) => {
  let writes = 0;
  const sink: Sink = { ...captureSink('s'), write: async () => { writes++; return { applied: 0, skipped: 0, deadLetters: [] }; } };
  const b = new TopologyBuilder('empty');
  b.stream('t', { name: 'src' }).filter(() => false).to(providedSink(sink.name));
  const out = await run(b, [sink], [ev(1)]);
  t.equal(writes, 0);
  t.same(out.counters.s, { in: 0, out: 0, deadLettered: 0 });
});

t.test('audit records from stages are collected into the outcome, named by node; a failed attempt keeps none', async (t) => {
  const sink = captureSink('out');
  const firstWins: Stage = {
    kind: 'first-wins',
    process(events, ctx) {
      if (events.some((e) => e.after?.id === 9)) throw poison('nine is poison');
      const [winner, ...rest] = events;
      for (const loser of rest) ctx.audit({ table: loser.source.table, key: loser.key, winner, loser });
      return winner ? [winner] : [];
    },
  };
  const b = new TopologyBuilder('audit');
  b.stream('t', { name: 'src' }).process(firstWins, { name: 'resolve' }).to(providedSink(sink.name));
  const plain = await run(b, [sink], [ev(1), ev(2), ev(3)]);
  t.same(
    plain.audits.map((a) => [a.stage, a.table, a.key, a.winner.after?.id, a.loser.after?.id]),
    [
      ['resolve', 'messages', { id: 2 }, 1, 2],
      ['resolve', 'messages', { id: 3 }, 1, 3],
    ],
  );
  // The whole-batch attempt throws; the per-event retries have nothing to resolve.
  const retried = await run(b, [sink], [ev(1), ev(9)]);
  t.same(retried.audits, []);
  t.equal(retried.deadLetters.length, 1);
});

t.test('onQueued comes once every sink has its events, before they are durable; a failing write still lets the others settle', async (t) => {
  const gates: (() => void)[] = [];
  const held = (name: string, fail = false): Sink & { given: number[] } => {
    const given: number[] = [];
    return {
      name,
      given,
      describe: () => name,
      write(events) {
        given.push(...events.map((e) => Number(e.after?.id)));
        return new Promise((resolve, reject) => gates.push(() => (fail ? reject(fatal(`${name} refused`)) : resolve({ applied: events.length, skipped: 0, deadLetters: [] }))));
      },
      flush: async () => undefined,
      close: async () => undefined,
    };
  };
  const build = (first: Sink, second: Sink) => {
    const b = new TopologyBuilder('two-sinks');
    const src = b.stream('t', { name: 'src' });
    src.filter((e) => Number(e.after?.id) < 3, { name: 'low' }).to(providedSink(first.name));
    src.to(providedSink(second.name));
    return new Executor(b.build(), sinksByName(first, second));
  };

  // Everything here is promises: one turn of the event loop runs every reaction that can run.
  const settleReactions = () => new Promise((r) => setImmediate(r));
  const low = held('low-out');
  const all = held('all-out');
  let queuedAt: number[] | undefined;
  let done = false;
  const outcome = build(low, all)
    .runBatch('src', [ev(1), ev(2), ev(3)], { onQueued: () => (queuedAt = [...low.given, ...all.given]) })
    .then((o) => ((done = true), o));
  await settleReactions();
  t.same(queuedAt, [1, 2, 1, 2, 3], 'both sinks had their events when onQueued came');
  t.notOk(done, 'while neither sink was durable yet');
  for (const open of gates.splice(0)) open();
  const out = await outcome;
  t.same([out.counters['low-out'].applied, out.counters['all-out'].applied], [2, 3], 'both writes counted once durable');

  const refusing = held('low-out', true);
  const slow = held('all-out');
  let settled = false;
  const failing = build(refusing, slow).runBatch('src', [ev(1), ev(5)]);
  failing.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settleReactions();
  t.equal(gates.length, 2, 'both sinks were given their events');
  gates.shift()?.(); // the refusal comes first
  await settleReactions();
  t.notOk(settled, 'the batch does not fail while another write of it is still running');
  gates.shift()?.();
  await t.rejects(failing, { message: /low-out refused/ });
});
