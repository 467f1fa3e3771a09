/**
 * Actors used by the runtime benchmarks. Each is defined with defineActor so the same
 * definitions can run on scheduler threads (cross-thread variants).
 */
import { defineActor, type Pid, type Ref } from '../../runtime/index.js';

type Ping = { type: 'ping'; n: number; from: Pid };

/** Sends `rounds` pings to `peer`, waiting for each pong; then tells `report`. */
export const Pinger = defineActor(import.meta.url, 'Pinger', function* (ctx, peer: Pid, rounds: number, report: Pid) {
  const self = ctx.self;
  for (let n = 0; n < rounds; n++) {
    ctx.send(peer, { type: 'ping', n, from: self });
    yield ctx.receive();
  }
  ctx.send(report, 'done');
});

/** Answers every ping with a pong. */
export const Ponger = defineActor(import.meta.url, 'Ponger', function* (ctx) {
  for (;;) {
    const m: Ping = yield ctx.receive();
    ctx.send(m.from, { type: 'pong', n: m.n, from: ctx.self });
  }
});

export const AsyncPinger = defineActor(import.meta.url, 'AsyncPinger', async (ctx, peer: Pid, rounds: number, report: Pid) => {
  const self = ctx.self;
  for (let n = 0; n < rounds; n++) {
    ctx.send(peer, { type: 'ping', n, from: self });
    await ctx.receive();
  }
  ctx.send(report, 'done');
});

export const AsyncPonger = defineActor(import.meta.url, 'AsyncPonger', async (ctx) => {
  for (;;) {
    const m: Ping = await ctx.receive();
    ctx.send(m.from, { type: 'pong', n: m.n, from: ctx.self });
  }
});

/** A ring member: learns its successor, then forwards the token until its hop count runs out. */
export const RingNode = defineActor(import.meta.url, 'RingNode', function* (ctx, report: Pid) {
  const setup: { next: Pid } = yield ctx.receive();
  const next = setup.next;
  for (;;) {
    const token: { hops: number } = yield ctx.receive();
    if (token.hops === 0) ctx.send(report, 'done');
    else ctx.send(next, { hops: token.hops - 1 });
  }
});

/** Waits for one message: an idle actor. */
export const IdleActor = defineActor(import.meta.url, 'IdleActor', function* (ctx) {
  yield ctx.receive();
});

/** Counts `count` messages, then tells `report`. */
export const Sink = defineActor(import.meta.url, 'Sink', function* (ctx, count: number, report: Pid) {
  for (let i = 0; i < count; i++) yield ctx.receive();
  ctx.send(report, 'done');
});

/**
 * Sends `count` small messages to `to`, yielding to its scheduler every 1,000 (a generator
 * runs without preemption between yields; a loop of a million sends would hold the thread).
 */
export const Source = defineActor(import.meta.url, 'Source', function* (ctx, to: Pid, count: number) {
  for (let n = 0; n < count; n++) {
    ctx.send(to, { type: 'msg', n });
    if (n % 1000 === 999) yield ctx.sleep(0);
  }
});

/** Replies to `{ref, from}` with `{ref}` and to `{tag:'req', from}` with `{tag:'reply'}`. */
export const Helper = defineActor(import.meta.url, 'Helper', function* (ctx) {
  for (;;) {
    const m: { ref?: Ref; tag?: string; from: Pid } = yield ctx.receive();
    if (m.ref !== undefined) ctx.send(m.from, { ref: m.ref });
    else ctx.send(m.from, { tag: 'reply' });
  }
});

/** How the Requester matches a reply: by a fresh ref, by a tag pattern, or by a tag test in a function. */
export type ReplyMatch = 'ref' | 'pattern' | 'function';

/**
 * Fills its own mailbox with `k` unrelated messages, then does `requests` request/replies to
 * `helper`, matching the reply by a fresh ref, or by its plain tag: with the pattern
 * `{ tag: 'reply' }` (as Erlang's `receive {reply} -> ...`) or with a match function testing
 * the same; reports to `report`.
 */
export const Requester = defineActor(
  import.meta.url,
  'Requester',
  function* (ctx, helper: Pid, k: number, requests: number, how: ReplyMatch, report: Pid) {
    const self = ctx.self;
    for (let i = 0; i < k; i++) ctx.send(self, { tag: 'noise', n: i });
    // Let the noise land in the mailbox before timing starts.
    yield ctx.sleep(0);
    const t0 = performance.now();
    if (how === 'ref') {
      for (let i = 0; i < requests; i++) {
        const ref = ctx.makeRef();
        ctx.send(helper, { ref, from: self });
        yield ctx.receive((m) => m.ref !== undefined && m.ref.serial === ref.serial && ref.equals(m.ref), Infinity, ref);
      }
    } else if (how === 'pattern') {
      for (let i = 0; i < requests; i++) {
        ctx.send(helper, { tag: 'req', from: self });
        yield ctx.receive({ tag: 'reply' });
      }
    } else {
      for (let i = 0; i < requests; i++) {
        ctx.send(helper, { tag: 'req', from: self });
        yield ctx.receive((m) => m.tag === 'reply');
      }
    }
    ctx.send(report, { ms: performance.now() - t0 });
  },
);

/** Does a fixed amount of arithmetic, then tells `report` 'done' (R8). */
export const Cruncher = defineActor(import.meta.url, 'Cruncher', function* (ctx, iterations: number, report: Pid) {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1_000_003;
  ctx.send(report, x >= 0 ? 'done' : 'never');
});
