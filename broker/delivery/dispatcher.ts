/**
 * The dispatcher: the one actor that knows the state of every endpoint, so retrievers and
 * tasks spread over threads agree on limits. It owns the permit semaphore (AdaptivePermits),
 * the gate (per-endpoint limits, breakers, bulkhead) and the list of running tasks; it never
 * waits on I/O — tasks do the HTTP, HandBack actors the store releases.
 *
 *   Retriever ──acquire──► permits free? reply n : wait in `waiting` until a task ends
 *   Retriever ──submit───► give back unused permits, learn backlog/idle, gate.admit(job)…
 *   gate actions ─► start: spawn DeliveryTask on the next scheduler (monitored)
 *                 ─► holdBack: spawn HandBack(items)   ─► permitsFreed: permits.give
 *   DeliveryTask ──done──► gate.finish(ok)  /  DOWN without done ─► gate.finish(null)
 *   published ──► wake one idle retriever (or the next one to go idle)
 *
 * Restarted, it starts from nothing: the tasks it had keep running and write their outcome to
 * the store; leases it held in queues come back at their deadline. The supervisor restarts
 * the retrievers with it (rest_for_one), so no permit is counted against a dead dispatcher.
 */
import { GenServer, type From } from '../../actors/index.js';
import type { Context, DownMessage, Pid, Ref } from '../../runtime/index.js';
import { isDownMessage, TIMEOUT } from '../../runtime/index.js';
import type { LeaseRelease } from '../store/types.js';
import { DeliveryGate, type GateActions, type Started } from './gate.js';
import { HandBack } from './hand-back.js';
import type { DeliverySettings } from './options.js';
import { AdaptivePermits } from './permits.js';
import { isTaskDone, WAKE, type DeliveryJob, type DeliveryStats, type DispatcherCall, type DispatcherCast } from './protocol.js';
import { DeliveryTask, taskArgs, type TaskArgs } from './task.js';

interface RetrieverEntry {
  readonly pid: Pid;
  readonly ref: Ref;
  /** Its last claim came back empty and it has not asked for permits since: asleep. */
  idle: boolean;
  /** Permits granted to it and not yet accounted for by a submit. */
  granted: number;
}

interface TaskEntry {
  readonly pid: Pid;
  readonly ref: Ref;
  readonly started: Started<DeliveryJob>;
}

interface State {
  readonly settings: DeliverySettings;
  readonly permits: AdaptivePermits;
  readonly gate: DeliveryGate<DeliveryJob>;
  readonly waiting: { from: From; max: number }[];
  readonly retrievers: Map<string, RetrieverEntry>;
  readonly tasks: Map<string, TaskEntry>;
  /** A publish arrived while no retriever slept: wake the next one that goes to sleep. */
  wakePending: boolean;
  nextScheduler: number;
}

export const Dispatcher = GenServer.define(import.meta.url, 'Dispatcher', {
  init(settings: DeliverySettings, ctx: Context) {
    // Trap exits so a shutdown runs terminate, which lets running attempts finish (below).
    ctx.trapExit(true);
    const state: State = {
      settings,
      permits: new AdaptivePermits({ min: settings.minPermits, max: settings.maxPermits }),
      gate: new DeliveryGate<DeliveryJob>(
        {
          perEndpoint: settings.perEndpointConcurrency,
          maxQueued: settings.maxQueuedPerEndpoint,
          failingLane: settings.failingLaneSize,
          holdBackMs: settings.holdBackMs,
          // Start a waiting delivery only if its lease outlasts the request with room for the
          // store's answer; half the margin leaves the other half for waiting in a queue.
          minLeaseLeftMs: settings.deliveryTimeoutMs + Math.floor((settings.leaseMs - settings.deliveryTimeoutMs) / 2),
          breaker: settings.breaker,
        },
        Date.now,
      ),
      waiting: [],
      retrievers: new Map(),
      tasks: new Map(),
      wakePending: false,
      nextScheduler: 0,
    };
    return { ok: true, state };
  },

  handleCall(request: DispatcherCall, from: From, state: State, ctx: Context) {
    if (request.type === 'stats') return { reply: statsOf(state), state };
    const r = retrieverOf(state, from.pid, ctx);
    r.idle = false;
    state.waiting.push({ from, max: request.max });
    serveWaiting(state, ctx);
    return { noreply: true, state };
  },

  handleCast(msg: DispatcherCast, state: State, ctx: Context) {
    if (msg.type === 'published') {
      if (!wakeOne(state, ctx)) state.wakePending = true;
      return { noreply: true, state };
    }
    const r = state.retrievers.get(msg.retriever.toString());
    if (!r) {
      // Permits granted by an earlier incarnation of this dispatcher: nothing to account
      // against, so the leases go straight back to the store.
      handBack(ctx, msg.jobs.map((job) => ({ item: job, retryAt: Date.now() })));
      return { noreply: true, state };
    }
    r.granted -= msg.granted;
    state.permits.give(msg.granted - msg.jobs.length);
    state.permits.observe(msg.granted, msg.claimed);
    if (msg.claimed === 0) {
      r.idle = true;
      if (state.wakePending) {
        state.wakePending = false;
        wake(r, ctx);
      }
    } else if (msg.claimed >= msg.granted) {
      wakeOne(state, ctx); // a full claim: there is a backlog, put another retriever on it
    }
    for (const job of msg.jobs) apply(state, state.gate.admit(job), ctx);
    serveWaiting(state, ctx);
    return { noreply: true, state };
  },

  handleInfo(msg: unknown, state: State, ctx: Context) {
    if (isTaskDone(msg)) {
      const entry = state.tasks.get(msg.task.toString());
      if (entry) {
        ctx.demonitor(entry.ref, { flush: true });
        state.tasks.delete(msg.task.toString());
        apply(state, state.gate.finish(entry.started, msg.ok), ctx);
      }
    } else if (isDownMessage(msg)) {
      onDown(state, msg, ctx);
    }
    serveWaiting(state, ctx);
    return { noreply: true, state };
  },

  /**
   * On shutdown (the retrievers are already stopped: they start after the dispatcher), wait
   * for running attempts to write their outcome, up to one delivery timeout, so a broker
   * that stops does not redeliver what it just delivered. Deliveries still waiting in the
   * gate's queues are left in flight: they come back at their lease deadline.
   */
  *terminate(_reason: unknown, state: State, ctx: Context) {
    const deadline = Date.now() + state.settings.deliveryTimeoutMs + 1_000;
    while (state.tasks.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      const m: unknown = yield ctx.receive((x) => isTaskDone(x) || isDownMessage(x), left);
      if (m === TIMEOUT) return;
      if (isTaskDone(m)) state.tasks.delete(m.task.toString());
      else if (isDownMessage(m)) state.tasks.delete(m.pid.toString());
    }
  },
});

/** How long the supervisor lets the dispatcher drain running attempts before killing it. */
export function dispatcherShutdownMs(settings: DeliverySettings): number {
  return settings.deliveryTimeoutMs + 2_000;
}

function onDown(state: State, down: DownMessage, ctx: Context): void {
  const key = down.pid.toString();
  const task = state.tasks.get(key);
  if (task) {
    // Died without an answer: its lease is still in flight in the store and comes back at
    // its deadline. The endpoint did nothing wrong that we know of: the breaker learns nothing.
    state.tasks.delete(key);
    apply(state, state.gate.finish(task.started, null), ctx);
    return;
  }
  const r = state.retrievers.get(key);
  if (r) {
    state.retrievers.delete(key);
    state.permits.give(r.granted);
    for (let i = state.waiting.length - 1; i >= 0; i--) if (state.waiting[i].from.pid.equals(down.pid)) state.waiting.splice(i, 1);
  }
}

function retrieverOf(state: State, pid: Pid, ctx: Context): RetrieverEntry {
  const key = pid.toString();
  let r = state.retrievers.get(key);
  if (!r) {
    r = { pid, ref: ctx.monitor(pid), idle: false, granted: 0 };
    state.retrievers.set(key, r);
  }
  return r;
}

function serveWaiting(state: State, ctx: Context): void {
  while (state.waiting.length > 0 && state.permits.available() > 0) {
    const { from, max } = state.waiting.shift()!;
    const r = state.retrievers.get(from.pid.toString());
    if (!r) continue;
    const n = state.permits.take(max);
    r.granted += n;
    GenServer.reply(ctx, from, n);
  }
}

function wakeOne(state: State, ctx: Context): boolean {
  for (const r of state.retrievers.values()) {
    if (r.idle) {
      wake(r, ctx);
      return true;
    }
  }
  return false;
}

function wake(r: RetrieverEntry, ctx: Context): void {
  r.idle = false;
  ctx.send(r.pid, WAKE);
}

function apply(state: State, actions: GateActions<DeliveryJob>, ctx: Context): void {
  if (actions.permitsFreed > 0) state.permits.give(actions.permitsFreed);
  for (const started of actions.start) startTask(state, started, ctx);
  if (actions.holdBack.length > 0) handBack(ctx, actions.holdBack);
}

function startTask(state: State, started: Started<DeliveryJob>, ctx: Context): void {
  const { schedulers } = state.settings;
  let pid: Pid;
  if (schedulers.length === 0) {
    pid = ctx.spawn(DeliveryTask, { job: started.item, timeoutMs: state.settings.deliveryTimeoutMs, dispatcher: ctx.self, sharedPayload: null } satisfies TaskArgs);
  } else {
    const args = taskArgs(started.item, state.settings.deliveryTimeoutMs, ctx.self);
    pid = ctx.spawnOpt(DeliveryTask, [args], { scheduler: schedulers[state.nextScheduler++ % schedulers.length] });
  }
  state.tasks.set(pid.toString(), { pid, ref: ctx.monitor(pid), started });
}

function handBack(ctx: Context, items: readonly { item: DeliveryJob; retryAt: number }[]): void {
  if (items.length === 0) return;
  const releases: LeaseRelease[] = items.map(({ item, retryAt }) => ({ subscriptionId: item.sub.id, ackId: item.lease.ackId, retryAt }));
  ctx.spawn(HandBack, releases);
}

function statsOf(state: State): DeliveryStats {
  const { permits, settings } = state;
  return {
    permits: { limit: permits.limit, inUse: permits.inUse, min: settings.minPermits, max: settings.maxPermits },
    failingLaneInUse: state.gate.failingInUse,
    retrievers: state.retrievers.size,
    tasks: [...state.tasks.values()].map(({ pid, started }) => ({
      pid,
      subscriptionId: started.item.sub.id,
      messageId: started.item.lease.message.id,
      attempt: started.item.lease.attempt,
      lane: started.lane,
    })),
    endpoints: state.gate.snapshot(),
  };
}
