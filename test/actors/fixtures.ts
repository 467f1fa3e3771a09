/**
 * Behaviour modules shared by the actors/ and supervision/ tests. Each is defined in this module
 * (by URL and export name), so the same definitions can be placed on other schedulers.
 */
import { TIMEOUT, defineActor, type Context, type ExitReason, type Pid } from '../../runtime/index.js';
import { GenServer, Supervisor, Task, type From } from '../../actors/index.js';

/** A counter: call 'get' | {add}; cast {add}; info {add}. */
export const Counter = GenServer.define(import.meta.url, 'Counter', {
  init: (n: number) => ({ ok: true, state: n }),
  handleCall: (req: 'get' | { add: number }, _from: From, state: number) =>
    req === 'get' ? { reply: state, state } : { reply: state + req.add, state: state + req.add },
  handleCast: (msg: { add: number }, state: number) => ({ noreply: true, state: state + msg.add }),
  handleInfo: (msg: { add?: number }, state: number) => ({ noreply: true, state: state + (msg.add ?? 0) }),
});

export interface WorkerArgs {
  id: string;
  /** Where lifecycle events go: {started}, {terminated}. */
  report?: Pid;
  /** Trap exits, so a supervisor's shutdown runs terminate. */
  trap?: boolean;
  /** Make init fail: 'throw' | 'stop' | 'ignore' | 'bad'. */
  initFail?: 'throw' | 'stop' | 'ignore' | 'bad';
  /** terminate stalls (never returns) or throws. */
  terminateFault?: 'stall' | 'throw';
}

export type WorkerCall =
  | 'ping'
  | 'monitoredBy'
  | 'crash'
  | { exit: ExitReason }
  | { stop: ExitReason }
  | 'bad'
  | 'defer'
  | { sleep: number }
  | 'self';

/**
 * A GenServer worker that reports its lifecycle to `report`: {started: id, pid} after init and
 * {terminated: id, reason, pid} from terminate.
 */
export const Worker = GenServer.define(import.meta.url, 'Worker', {
  init(args: WorkerArgs, ctx: Context) {
    if (args.trap) ctx.trapExit(true);
    if (args.initFail === 'throw') throw new Error(`init of ${args.id} failed`);
    if (args.initFail === 'stop') return { stop: 'init_refused' };
    if (args.initFail === 'ignore') return { ignore: true } as const;
    if (args.initFail === 'bad') return { nope: 1 } as never;
    if (args.report) ctx.send(args.report, { started: args.id, pid: ctx.self });
    return { ok: true, state: { ...args, deferred: [] as From[] } };
  },
  handleCall(req: WorkerCall, from: From, state: WorkerArgs & { deferred: From[] }, ctx: Context) {
    if (req === 'ping') return { reply: 'pong', state };
    if (req === 'self') return { reply: ctx.self, state };
    if (req === 'monitoredBy') return { reply: ctx.info()!.monitoredBy.length, state };
    if (req === 'crash') throw new Error(`${state.id} crashed on request`);
    if (req === 'bad') return { whatever: true } as never;
    if (req === 'defer') return { noreply: true, state: { ...state, deferred: [...state.deferred, from] } };
    if (typeof req === 'object' && 'exit' in req) return ctx.exit(req.exit);
    if (typeof req === 'object' && 'stop' in req) return { stop: req.stop, reply: 'stopping', state };
    if (typeof req === 'object' && 'sleep' in req) {
      ctx.sendAfter(req.sleep, ctx.self, { wake: from });
      return { noreply: true, state };
    }
    return { reply: 'unknown', state };
  },
  handleCast(msg: 'release' | 'crash', state: WorkerArgs & { deferred: From[] }, ctx: Context) {
    if (msg === 'crash') throw new Error(`${state.id} crashed on cast`);
    for (const from of state.deferred) GenServer.reply(ctx, from, 'released');
    return { noreply: true, state: { ...state, deferred: [] } };
  },
  handleInfo(msg: any, state: WorkerArgs & { deferred: From[] }, ctx: Context) {
    if (msg?.wake) GenServer.reply(ctx, msg.wake, 'woke');
    else if (state.report) ctx.send(state.report, { info: state.id, msg });
    return { noreply: true, state };
  },
  *terminate(reason: ExitReason, state: WorkerArgs, ctx: Context) {
    if (state.report) ctx.send(state.report, { terminated: state.id, reason, pid: ctx.self });
    if (state.terminateFault === 'throw') throw new Error(`terminate of ${state.id} failed`);
    if (state.terminateFault === 'stall') yield ctx.receive(() => false);
  },
});

/**
 * A plain actor child: reports {started: id, pid}; on 'crash' throws, on {exit: r} exits with r.
 * With `trap`, reports {stopping: id, reason} for an EXIT and exits with its reason, unless
 * `stall` (then it ignores it).
 */
export const Probe = defineActor(
  import.meta.url,
  'Probe',
  async (ctx, id: string, report: Pid | null, trap = false, stall = false) => {
    if (trap) ctx.trapExit(true);
    if (report) ctx.send(report, { started: id, pid: ctx.self });
    for (;;) {
      const m: any = await ctx.receive();
      if (m === 'crash') throw new Error(`${id} crashed`);
      if (m?.exit !== undefined) ctx.exit(m.exit);
      if (m?.type === 'EXIT') {
        if (report) ctx.send(report, { stopping: id, reason: m.reason });
        if (!stall) ctx.exit(m.reason);
      }
      if (m?.ping) ctx.send(m.ping, { pong: id });
    }
  },
);

/** A generator-form client: does `n` calls to `server` and reports the last reply. */
export const GenCaller = defineActor(import.meta.url, 'GenCaller', function* (ctx, server: Pid, request: unknown, n: number, report: Pid) {
  let last: unknown;
  try {
    for (let i = 0; i < n; i++) last = yield* GenServer.call(ctx, server, request, 2_000);
    ctx.send(report, { ok: last });
  } catch (e) {
    ctx.send(report, { error: e });
  }
});

/**
 * Watches a Worker's monitors from the Worker's own thread: waits until a call from elsewhere
 * is pending there (two monitors: that call's and this actor's own call), casts 'release' to
 * answer it, then reports 'clean' to `report` once the caller's demonitor has arrived (one
 * monitor left, its own). Never reports while the demonitor is missing.
 */
export const DemonitorWatch = defineActor(import.meta.url, 'DemonitorWatch', function* (ctx, server: Pid, report: Pid) {
  while ((yield* GenServer.call(ctx, server, 'monitoredBy')) < 2) yield* pause(ctx, 1);
  GenServer.cast(ctx, server, 'release');
  while ((yield* GenServer.call(ctx, server, 'monitoredBy')) !== 1) yield* pause(ctx, 1);
  ctx.send(report, 'clean');
});

/** Waits for `ms` in a receive that never matches (a helper for timing-free tests). */
export function* pause(ctx: Context, ms: number): Generator<unknown, boolean, any> {
  const r: unknown = yield ctx.receive(() => false, ms);
  return r === TIMEOUT;
}

/** Tasks that can run on any scheduler. */
export const RemoteTask = Task.define(import.meta.url, 'RemoteTask', async (ctx: Context, n: number) => ({ n: n + 1, on: ctx.self.scheduler }));
export const FailingTask = Task.define(import.meta.url, 'FailingTask', async () => {
  throw new Error('remote task failed');
});

/** A supervisor module whose init declines to start. */
export const Ignoring = Supervisor.define(import.meta.url, 'Ignoring', () => ({ ignore: true }) as const);
