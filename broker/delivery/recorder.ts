/**
 * The recorder: writes the outcomes of delivery tasks to the store, many per store call.
 *
 *   DeliveryTask ──cast outcome{ack | fail}──► Recorder mailbox
 *   Recorder loop: wait for one outcome, take every other one already queued (up to BATCH),
 *                  acks grouped by subscription (one store `ack` each), fails one by one,
 *                  all in one store call; while that call is out, new outcomes queue up and
 *                  go in the next (group commit, as the store does for publishes)
 *
 * Why not let each task write its own outcome: a call per delivery (an alias, a monitor, a
 * reply, often across threads) and a store transaction per delivery cost more than the POST.
 *
 * Nothing is lost when the recorder dies with outcomes unwritten: their leases are still in
 * flight in the store and come back at their deadline, counted as failed attempts, and are
 * delivered again (at-least-once). On shutdown it traps the supervisor's exit and writes what
 * it holds before it goes; it is the first child of the delivery subtree, so it stops after
 * the dispatcher has let the running tasks finish.
 */
import { defineActor, isExitMessage, TIMEOUT, type Context } from '../../runtime/index.js';
import { storeCallBatch, type StoreBatchItem } from '../store/store-server.js';
import type { Millis } from '../store/types.js';

/** The registered name of the recorder. */
export const RECORDER = 'postbox.delivery.recorder';

/** Most outcomes written by one store call. */
const BATCH = 512;

/** Sent by a delivery task (a cast: the task does not wait for the write). */
export type DeliveryOutcome =
  | { readonly type: 'postbox.delivery.outcome'; readonly subscriptionId: string; readonly ackId: string; readonly ok: true }
  | { readonly type: 'postbox.delivery.outcome'; readonly subscriptionId: string; readonly ackId: string; readonly ok: false; readonly error: string; readonly retryAt: Millis };

export const isOutcome = (m: unknown): m is DeliveryOutcome => (m as DeliveryOutcome | null)?.type === 'postbox.delivery.outcome';

export const Recorder = defineActor(import.meta.url, 'Recorder', async (ctx: Context) => {
  ctx.trapExit(true);
  const registered = ctx.register(RECORDER);
  if (!registered.ok) throw new Error(`cannot register ${RECORDER}: ${registered.error}`);
  for (;;) {
    const first = await ctx.receive((m) => isOutcome(m) || isExitMessage(m));
    if (isExitMessage(first)) {
      // Stopping: write everything still queued, then go with the supervisor's reason.
      while ((await write(ctx, [])) > 0);
      ctx.exit(first.reason);
    }
    await write(ctx, [first as DeliveryOutcome]);
  }
});

/** Takes the outcomes already queued (up to BATCH in all, with `batch`), writes them in one
 * store call, and says how many there were. */
async function write(ctx: Context, batch: DeliveryOutcome[]): Promise<number> {
  // A receive with timeout 0 polls: the next queued outcome, or TIMEOUT at once.
  let m: unknown;
  while (batch.length < BATCH && (m = await ctx.receive(isOutcome, 0)) !== TIMEOUT) batch.push(m as DeliveryOutcome);
  if (batch.length === 0) return 0;
  const now = Date.now();
  const acks = new Map<string, string[]>();
  const items: StoreBatchItem[] = [];
  for (const o of batch) {
    if (o.ok) {
      let ids = acks.get(o.subscriptionId);
      if (!ids) acks.set(o.subscriptionId, (ids = []));
      ids.push(o.ackId);
    } else {
      items.push({ op: 'fail', args: [o.subscriptionId, o.ackId, { error: o.error, retryAt: o.retryAt, now }] });
    }
  }
  for (const [subscriptionId, ackIds] of acks) items.push({ op: 'ack', args: [subscriptionId, ackIds, now] });
  try {
    // Each item's own refusal (a stale ackId after a redelivery, say) is an answer, not an error.
    await storeCallBatch(ctx, items);
  } catch {
    // The store server is restarting: these leases end at their deadline and are redelivered.
  }
  return batch.length;
}
