/**
 * A delivery task: one lightweight actor per message × subscription attempt (SPEC §3). It
 * POSTs the signed Notification, records the answer in the store (2xx → ack; anything else →
 * fail with a backoff retry time; the store dead-letters at maxAttempts), then tells the
 * dispatcher and exits normal.
 *
 * Killed at any point, it loses nothing: until its ack or fail is written, the lease stays in
 * flight in the store and is handed out again after its deadline (the attempt then counts as
 * failed: the request may well have reached the endpoint).
 */
import { defineActor, type Context, type Pid } from '../../runtime/index.js';
import { storeCall } from '../store/store-server.js';
import { backoffDelay } from './backoff.js';
import { post } from './http.js';
import { notificationRequest } from './notification.js';
import type { DeliveryJob, TaskDone } from './protocol.js';

export interface TaskArgs {
  readonly job: DeliveryJob;
  readonly timeoutMs: number;
  readonly dispatcher: Pid;
}

export const DeliveryTask = defineActor(import.meta.url, 'DeliveryTask', async (ctx: Context, { job, timeoutMs, dispatcher }: TaskArgs) => {
  const { lease, sub } = job;
  const outcome = await post(sub.endpoint, notificationRequest(lease, sub.secret), timeoutMs);
  try {
    const now = Date.now();
    if (outcome.ok) {
      await storeCall(ctx, 'ack', sub.id, [lease.ackId], now);
    } else {
      const retryAt = now + backoffDelay(sub.backoff, lease.attempt);
      await storeCall(ctx, 'fail', sub.id, lease.ackId, { error: outcome.error, retryAt, now });
    }
  } finally {
    // Even when the store could not be reached (the lease then ends at its deadline), the
    // endpoint's answer is news for its circuit breaker.
    ctx.send(dispatcher, { type: 'postbox.delivery.done', task: ctx.self, ok: outcome.ok } satisfies TaskDone);
  }
});
