/**
 * The store's janitor: every `intervalMs` it asks the store to drop what is no longer needed
 * (dedup records past their window, records of deliveries acknowledged long enough ago that
 * a late ack of them no longer matters). Without it those records would grow without bound.
 * A failed sweep is retried at the next tick; the janitor keeps nothing, so restarts are free.
 */
import { GenServer } from '../../actors/index.js';
import type { Context } from '../../runtime/index.js';
import { storeCall } from './store-server.js';

export interface JanitorArgs {
  readonly intervalMs: number;
  /** How long the record of an acknowledged delivery is kept (its ackId answers "stale", not "unknown"). */
  readonly keepAckedMs: number;
}

export const DEFAULT_JANITOR: JanitorArgs = { intervalMs: 30_000, keepAckedMs: 10 * 60_000 };

const TICK = 'sweep';

export const StoreJanitor = GenServer.define(import.meta.url, 'StoreJanitor', {
  async init(args: JanitorArgs, ctx: Context) {
    ctx.sendAfter(args.intervalMs, ctx.self, TICK);
    return { ok: true, state: args };
  },

  async handleInfo(message: unknown, args: JanitorArgs, ctx: Context) {
    if (message === TICK) {
      const now = Date.now();
      await storeCall(ctx, 'sweep', { now, ackedBefore: now - args.keepAckedMs }).catch(() => undefined);
      ctx.sendAfter(args.intervalMs, ctx.self, TICK);
    }
    return { noreply: true, state: args };
  },
});
