/**
 * The JavaScript actor library a Node user might pick instead of postbox (nact), running the
 * same work as R1, R3 and R4 same-thread with the same message shapes and sizes. Used by
 * `npm run bench:compare` as the `nact` baseline; not a postbox workload of its own.
 *
 * nact runs each message of an actor in its own setImmediate turn, one actor at a time per
 * message, with no selective receive: a handler is `(state, msg, ctx) => state`.
 */
import { dispatch, spawn, start, stop, type Ref } from 'nact';
import { measure, perSecond, type ResultRow } from '../harness.js';

const ROUND_TRIPS = 1_000_000;
const RING_SIZE = 1_000;
const RING_HOPS = 1_000_000;
const FAN_IN = 1_000_000;

export const NACT_NAME = 'nact';

/** Starts a nact system for `fn`, which resolves when its actors are done; stops it after. */
async function withNact(fn: (system: Ref<never>) => Promise<void>): Promise<void> {
  const system = start();
  try {
    await fn(system);
  } finally {
    stop(system);
  }
}

type Ping = { type: 'ping'; n: number; from: Ref<Pong> };
type Pong = { type: 'pong'; n: number; from: Ref<Ping> };

/** R1: ping-pong of `{type:'ping', n, from}`, 1,000,000 round trips; one-way messages per second. */
export async function nactPingPong(): Promise<ResultRow> {
  const t = await measure('nact R1', async () =>
    withNact(
      (system) =>
        new Promise<void>((resolve) => {
          const ponger = spawn(system, (_s: null, m: Ping, ctx) => {
            dispatch(m.from, { type: 'pong', n: m.n, from: ctx.self });
            return null;
          }, 'ponger', { initialState: null });
          const pinger = spawn(system, (n: number, _m: Pong, ctx) => {
            if (n + 1 === ROUND_TRIPS) resolve();
            else dispatch(ponger, { type: 'ping', n: n + 1, from: ctx.self });
            return n + 1;
          }, 'pinger', { initialState: 0 });
          dispatch(ponger, { type: 'ping', n: 0, from: pinger });
        }),
    ),
  );
  return { id: 'R1', variant: 'same-thread', unit: 'msgs/s', threads: 1, baselines: [], ...perSecond(ROUND_TRIPS * 2, t) };
}

type RingMsg = { next: Ref<RingMsg> } | { hops: number };

/** R3: a ring of 1,000 actors passing `{hops}` 1,000,000 hops. */
export async function nactRing(): Promise<ResultRow> {
  const t = await measure('nact R3', async () =>
    withNact(
      (system) =>
        new Promise<void>((resolve) => {
          const ring = Array.from({ length: RING_SIZE }, (_, i) =>
            spawn(system, (next: Ref<RingMsg> | null, m: RingMsg) => {
              if ('next' in m) return m.next;
              if (m.hops === 0) resolve();
              else dispatch(next!, { hops: m.hops - 1 });
              return next;
            }, `node${i}`, { initialState: null }),
          );
          ring.forEach((ref, i) => dispatch(ref, { next: ring[(i + 1) % RING_SIZE]! }));
          dispatch(ring[0]!, { hops: RING_HOPS });
        }),
    ),
  );
  return { id: 'R3', unit: 'msgs/s', threads: 1, baselines: [], ...perSecond(RING_HOPS, t) };
}

/** R4 same-thread: one sender actor dispatches 1,000,000 `{type:'msg', n}` to one counting actor. */
export async function nactFanIn(): Promise<ResultRow> {
  const t = await measure('nact R4', async () =>
    withNact(
      (system) =>
        new Promise<void>((resolve) => {
          const sink = spawn(system, (count: number) => {
            if (count + 1 === FAN_IN) resolve();
            return count + 1;
          }, 'sink', { initialState: 0 });
          const source = spawn(system, (_s: null, go: { to: Ref<{ type: 'msg'; n: number }> }) => {
            for (let n = 0; n < FAN_IN; n++) dispatch(go.to, { type: 'msg', n });
            return null;
          }, 'source', { initialState: null });
          dispatch(source, { to: sink });
        }),
    ),
  );
  return { id: 'R4', variant: 'same-thread', unit: 'msgs/s', threads: 1, baselines: [], ...perSecond(FAN_IN, t) };
}
