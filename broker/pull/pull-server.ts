/**
 * The pull server: long polls of pull subscriptions (SPEC §3, POST /v1/subscriptions/:id/pull).
 *
 *   frontend ──call {pull}──► PullServer ──claimDue(lane of the subscription)──► store
 *                                │  nothing due and waitMs > 0: park the caller
 *   publish path ──{published: topic}──► wake the parked pulls of that topic's subscriptions
 *   own timer ──{wake: subId}──────────► a retry or an ack deadline fell due, or a poll ran out
 *   frontend ──{cancel: pollId}────────► the client hung up: end its poll, claim nothing for it
 *
 * A pull is answered later (`noreply`), so one slow poll never holds another. Store calls run
 * concurrently, as the broker's outside caller (`system`): a GenServer's own context waits for
 * one thing at a time, and the server must keep taking requests while claims are in flight.
 * Claims are atomic in the store, so two polls of one subscription never get the same lease.
 *
 * Its state is only parked callers: if it crashes they get a call error (the frontend answers
 * 503 and the client polls again); nothing stored is touched, so nothing is lost. Leases that
 * a client never acknowledges come back after their ack deadline, as the store promises.
 */
import { GenServer, type From, type GenServerCallbacks } from '../../actors/index.js';
import type { ActorSystem, Context, TimerRef } from '../../runtime/index.js';
import { storeCall } from '../store/store-server.js';
import type { DeliveryLease, SubscriptionRecord } from '../store/types.js';

export type PullRequest = { readonly pull: string; readonly max: number; readonly waitMs: number; readonly pollId: string };
/** Cast after a publish to a topic. */
export type PublishedNotice = { readonly published: string };
/** Cast after a nack: the subscription has messages due at once. */
export type DueNotice = { readonly due: string };
/** Cast when the client of a poll went away. */
export type CancelNotice = { readonly cancel: string };
/** Cast by the frontend when it stops: answer every parked poll now (with no messages). */
export type ReleaseNotice = { readonly releaseAll: true };
type WakeMessage = { readonly wake: string };

interface ParkedPull {
  readonly pollId: string;
  readonly from: From;
  readonly max: number;
  readonly until: number;
}

/** One subscription's parked polls and its wake-up timer. */
interface Waiters {
  readonly topic: string;
  readonly queue: ParkedPull[];
  timer: TimerRef | null;
  /** A claim for this subscription is in flight; `again` asks for one more when it ends. */
  claiming: boolean;
  again: boolean;
}

interface PullState {
  readonly bySub: Map<string, Waiters>;
  /** Subscriptions of a topic that have parked polls (for {published}). */
  readonly byTopic: Map<string, Set<string>>;
  /** Polls whose first claim is in flight, and those of them cancelled meanwhile (they are
   * answered instead of parked). Both only hold polls in that short window. */
  readonly starting: Set<string>;
  readonly cancelled: Set<string>;
}

/** Poll the store at least this often while pulls are parked, in case a notice was missed
 * (a publish answered by a restarted store server, a retry that fell due). */
const MAX_PARK_SLICE_MS = 1_000;

/** The pull server's callbacks, calling the store as `system` (see the header). Started on the
 * main thread by the broker's tree. */
export function pullServer(system: ActorSystem): GenServerCallbacks<PullState, undefined, PullRequest> {
  return {
    init: () => ({ ok: true, state: { bySub: new Map(), byTopic: new Map(), starting: new Set(), cancelled: new Set() } }),

    handleCall(request: PullRequest, from: From, state: PullState, ctx: Context) {
      void firstClaim(system, ctx, state, request, from);
      return { noreply: true, state };
    },

    handleCast(notice: PublishedNotice | DueNotice | ReleaseNotice | CancelNotice, state: PullState, ctx: Context) {
      if ('cancel' in notice) {
        cancel(ctx, state, notice.cancel);
      } else if ('published' in notice) {
        for (const subId of state.byTopic.get(notice.published) ?? []) serveParked(system, ctx, state, subId);
      } else if ('due' in notice) {
        if (state.bySub.has(notice.due)) serveParked(system, ctx, state, notice.due);
      } else if ('releaseAll' in notice) {
        for (const subId of [...state.bySub.keys()]) {
          for (const parked of state.bySub.get(subId)!.queue) GenServer.reply(ctx, parked.from, []);
          forget(ctx, state, subId);
        }
      }
      return { noreply: true, state };
    },

    handleInfo(message: WakeMessage | unknown, state: PullState, ctx: Context) {
      if (typeof message === 'object' && message !== null && typeof (message as WakeMessage).wake === 'string') {
        const waiters = state.bySub.get((message as WakeMessage).wake);
        if (waiters) {
          waiters.timer = null;
          serveParked(system, ctx, state, (message as WakeMessage).wake);
        }
      }
      return { noreply: true, state };
    },
  };
}

async function firstClaim(system: ActorSystem, ctx: Context, state: PullState, request: PullRequest, from: From): Promise<void> {
  state.starting.add(request.pollId);
  try {
    // Claim first: leases prove the subscription exists (deleting one drops its deliveries in
    // the same write), so the usual pull costs one store call. Only an empty answer needs the
    // record: to tell "no such subscription" from "nothing yet", and the topic to park on.
    const leases = await claim(system, request.pull, request.max);
    if (leases.length > 0) return GenServer.reply(ctx, from, leases);
    const sub = await storeCall(system, 'getSubscription', request.pull);
    if (!sub) return GenServer.reply(ctx, from, undefined);
    if (request.waitMs <= 0 || state.cancelled.has(request.pollId)) return GenServer.reply(ctx, from, []);
    park(system, ctx, state, sub, { pollId: request.pollId, from, max: request.max, until: Date.now() + request.waitMs });
  } catch (error) {
    // The caller's GenServer.call gets the store's failure as its answer's rejection.
    GenServer.reply(ctx, from, { $pullError: String((error as Error)?.message ?? error) });
  } finally {
    state.starting.delete(request.pollId);
    state.cancelled.delete(request.pollId);
  }
}

/** Ends a poll whose client went away: a parked one is answered [] and dropped; one still in
 * its first claim is answered instead of parked. A poll already answered is left alone. */
function cancel(ctx: Context, state: PullState, pollId: string): void {
  if (state.starting.has(pollId)) {
    state.cancelled.add(pollId);
    return;
  }
  for (const [subId, waiters] of state.bySub) {
    const i = waiters.queue.findIndex((p) => p.pollId === pollId);
    if (i < 0) continue;
    GenServer.reply(ctx, waiters.queue.splice(i, 1)[0].from, []);
    if (waiters.queue.length === 0 && !waiters.claiming) forget(ctx, state, subId);
    return;
  }
}

function claim(system: ActorSystem, subId: string, max: number): Promise<DeliveryLease[]> {
  return storeCall(system, 'claimDue', { lane: { kind: 'subscription', subscriptionId: subId }, now: Date.now(), max });
}

function park(system: ActorSystem, ctx: Context, state: PullState, sub: SubscriptionRecord, parked: ParkedPull): void {
  let waiters = state.bySub.get(sub.id);
  if (!waiters) {
    waiters = { topic: sub.topic, queue: [], timer: null, claiming: false, again: false };
    state.bySub.set(sub.id, waiters);
    let subs = state.byTopic.get(sub.topic);
    if (!subs) state.byTopic.set(sub.topic, (subs = new Set()));
    subs.add(sub.id);
  }
  waiters.queue.push(parked);
  void armTimer(system, ctx, state, sub.id);
}

/** Claims for the parked polls of one subscription, oldest first, until nothing is due. */
function serveParked(system: ActorSystem, ctx: Context, state: PullState, subId: string): void {
  const waiters = state.bySub.get(subId);
  if (!waiters) return;
  if (waiters.claiming) {
    waiters.again = true;
    return;
  }
  waiters.claiming = true;
  waiters.again = false;
  void (async () => {
    try {
      for (;;) {
        expire(ctx, waiters);
        const first = waiters.queue[0];
        if (!first) break;
        const leases = await claim(system, subId, first.max);
        if (leases.length === 0 && !waiters.again) break;
        waiters.again = false;
        if (leases.length === 0) continue;
        // The poll may have been answered meanwhile (releaseAll); then the leases come back
        // after their deadline like any unacknowledged delivery.
        const parked = waiters.queue.shift();
        if (parked) GenServer.reply(ctx, parked.from, leases);
      }
    } catch {
      // The store is restarting: the timer below polls again.
    } finally {
      waiters.claiming = false;
    }
    if (waiters.queue.length === 0) forget(ctx, state, subId);
    else await armTimer(system, ctx, state, subId);
  })();
}

/** Answers polls whose wait has run out, with no messages. */
function expire(ctx: Context, waiters: Waiters): void {
  const now = Date.now();
  // Any poll may be the one to run out (different waitMs), so look at all of them.
  for (let i = waiters.queue.length - 1; i >= 0; i--) {
    if (waiters.queue[i].until <= now) GenServer.reply(ctx, waiters.queue.splice(i, 1)[0].from, []);
  }
}

/** Wakes the server at the first of: a parked poll's end, the lane's next due time (a retry
 * or an ack deadline), or the safety slice. */
async function armTimer(system: ActorSystem, ctx: Context, state: PullState, subId: string): Promise<void> {
  const waiters = state.bySub.get(subId);
  if (!waiters) return;
  let nextDue: number | null = null;
  try {
    nextDue = await storeCall(system, 'nextDueAt', { kind: 'subscription', subscriptionId: subId });
  } catch {
    // No hint: the slice bound below still wakes us.
  }
  if (state.bySub.get(subId) !== waiters || waiters.queue.length === 0) return;
  const now = Date.now();
  let at = now + MAX_PARK_SLICE_MS;
  for (const parked of waiters.queue) at = Math.min(at, parked.until);
  if (nextDue !== null) at = Math.min(at, Math.max(nextDue, now));
  if (waiters.timer !== null) ctx.cancelTimer(waiters.timer);
  waiters.timer = ctx.sendAfter(Math.max(0, at - now), ctx.self, { wake: subId } satisfies WakeMessage);
}

function forget(ctx: Context, state: PullState, subId: string): void {
  const waiters = state.bySub.get(subId);
  if (!waiters) return;
  if (waiters.timer !== null) ctx.cancelTimer(waiters.timer);
  state.bySub.delete(subId);
  const subs = state.byTopic.get(waiters.topic);
  subs?.delete(subId);
  if (subs?.size === 0) state.byTopic.delete(waiters.topic);
}

/** The answer of a pull call: leases, undefined (no such subscription) or a store failure. */
export type PullAnswer = DeliveryLease[] | undefined | { readonly $pullError: string };
