/**
 * Hands held-back leases to the store (`release`: pending again at `retryAt`, the attempt not
 * counted), in an actor of its own so the dispatcher never waits on the store. If it dies
 * before the write, the leases end at their deadline instead: later, and counted as failed
 * attempts, but not lost.
 */
import { defineActor, type Context } from '../../runtime/index.js';
import { storeCall } from '../store/store-server.js';
import type { LeaseRelease } from '../store/types.js';

export const HandBack = defineActor(import.meta.url, 'HandBack', async (ctx: Context, items: readonly LeaseRelease[]) => {
  await storeCall(ctx, 'release', items);
});
