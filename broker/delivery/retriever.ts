/**
 * A retriever: one of a pool of actors taking due deliveries from the store's push lane
 * (SPEC §3 "retrievers") and handing them to the dispatcher.
 *
 *   loop: drop stale wake-ups
 *         permits ← call dispatcher acquire(claimBatch)       (waits while all are in use)
 *         leases  ← store claimDue({push}, now, max: permits, leaseMs)
 *         jobs    ← leases + a snapshot of each subscription (cached: endpoint and secret
 *                   never change, and a deleted subscription's deliveries are deleted with it)
 *         cast dispatcher submit(permits, claimed, jobs)
 *         nothing claimed? sleep until the lane's next due time, a wake-up (a publish, a
 *         backlog) or pollMs, whichever comes first
 *
 * Claims are atomic in the store, so retrievers never claim the same delivery twice. A
 * retriever killed between its claim and its submit loses nothing: the leases stay in flight
 * and are handed out again at their deadline; the dispatcher takes its permits back on DOWN.
 */
import { LRUCache } from 'lru-cache';
import { GenServer } from '../../actors/index.js';
import { defineActor, TIMEOUT, type Context } from '../../runtime/index.js';
import { storeCall } from '../store/store-server.js';
import type { DeliveryLease, Lane, SubscriptionRecord } from '../store/types.js';
import { DISPATCHER, isWake, type DeliveryJob, type DispatcherCast } from './protocol.js';

export interface RetrieverConfig {
  readonly claimBatch: number;
  readonly leaseMs: number;
  readonly pollMs: number;
}

const PUSH: Lane = { kind: 'push' };

export const Retriever = defineActor(import.meta.url, 'Retriever', async (ctx: Context, config: RetrieverConfig) => {
  const subs = new LRUCache<string, SubscriptionRecord>({ max: 10_000 });
  for (;;) {
    // A wake-up that came while busy is answered by the claim below.
    while ((await ctx.receive(isWake, 0)) !== TIMEOUT);
    const granted: number = await GenServer.call(ctx, DISPATCHER, { type: 'acquire', max: config.claimBatch }, Infinity);
    let leases: DeliveryLease[] = [];
    const jobs: DeliveryJob[] = [];
    try {
      leases = await storeCall(ctx, 'claimDue', { lane: PUSH, now: Date.now(), max: granted, leaseMs: config.leaseMs });
      for (const lease of leases) {
        const sub = await subscriptionOf(ctx, subs, lease.subscriptionId);
        // No subscription (deleted since) or no endpoint: nothing to deliver to.
        if (sub?.endpoint) jobs.push({ lease, sub: { id: sub.id, endpoint: sub.endpoint, secret: sub.secret, backoff: sub.backoff }, endpoint: sub.endpoint, deadline: lease.deadline });
      }
    } catch {
      // The store is restarting or failing: whatever was claimed comes back at its deadline.
      // Return the permits, then wait a poll before trying again.
      GenServer.cast(ctx, DISPATCHER, submit(ctx, granted, 0, []));
      await ctx.receive(isWake, config.pollMs);
      continue;
    }
    GenServer.cast(ctx, DISPATCHER, submit(ctx, granted, leases.length, jobs));
    if (leases.length > 0) continue;
    let wait = config.pollMs;
    try {
      const next = await storeCall(ctx, 'nextDueAt', PUSH);
      if (next !== null) wait = Math.min(wait, Math.max(0, next - Date.now()));
    } catch {
      // Sleep the whole poll.
    }
    if (wait > 0) await ctx.receive(isWake, wait);
  }
});

function submit(ctx: Context, granted: number, claimed: number, jobs: DeliveryJob[]): DispatcherCast {
  return { type: 'submit', retriever: ctx.self, granted, claimed, jobs };
}

async function subscriptionOf(ctx: Context, cache: LRUCache<string, SubscriptionRecord>, id: string): Promise<SubscriptionRecord | undefined> {
  const hit = cache.get(id);
  if (hit) return hit;
  const sub = await storeCall(ctx, 'getSubscription', id);
  if (sub) cache.set(id, sub);
  return sub;
}
