/**
 * A delivery task: one lightweight actor per message × subscription attempt (SPEC §3). It
 * POSTs the signed Notification, hands the answer to the recorder, which writes it to the
 * store with others (2xx → ack; anything else → fail with a backoff retry time; the store
 * dead-letters at maxAttempts), then tells the dispatcher and exits normal.
 *
 * Killed at any point, it loses nothing: until its ack or fail is written, the lease stays in
 * flight in the store and is handed out again after its deadline (the attempt then counts as
 * failed: the request may well have reached the endpoint).
 */
import { SharedBinary, defineActor, type Context, type Pid } from '../../runtime/index.js';
import { backoffDelay } from './backoff.js';
import { post } from './http.js';
import { notificationRequest } from './notification.js';
import type { DeliveryJob, TaskDone } from './protocol.js';
import { RECORDER, type DeliveryOutcome } from './recorder.js';

export interface TaskArgs {
  readonly job: DeliveryJob;
  readonly timeoutMs: number;
  readonly dispatcher: Pid;
  /** A large payload, moved out of `job` so it crosses to the task's thread without a copy. */
  readonly sharedPayload: SharedBinary | null;
}

/** Payloads from this size on cross threads as shared binaries (the runtime's own threshold
 * for copying through the heap): one copy into shared memory, none on the way to the task. */
export const SHARED_PAYLOAD_BYTES = 64 * 1024;

/** The spawn arguments of a task that may run on another thread. */
export function taskArgs(job: DeliveryJob, timeoutMs: number, dispatcher: Pid): TaskArgs {
  const payload = job.lease.message.payload;
  if (payload.byteLength < SHARED_PAYLOAD_BYTES) return { job, timeoutMs, dispatcher, sharedPayload: null };
  const lease = { ...job.lease, message: { ...job.lease.message, payload: new Uint8Array(0) } };
  return { job: { ...job, lease }, timeoutMs, dispatcher, sharedPayload: SharedBinary.from(payload) };
}

export const DeliveryTask = defineActor(import.meta.url, 'DeliveryTask', async (ctx: Context, { job, timeoutMs, dispatcher, sharedPayload }: TaskArgs) => {
  const { sub } = job;
  const lease = sharedPayload === null ? job.lease : { ...job.lease, message: { ...job.lease.message, payload: sharedPayload.bytes } };
  const request = notificationRequest(lease, sub.secret);
  sharedPayload?.release(); // the request holds its own encoding of the payload now
  const outcome = await post(sub.endpoint, request, timeoutMs);
  const recorded: DeliveryOutcome = outcome.ok
    ? { type: 'postbox.delivery.outcome', subscriptionId: sub.id, ackId: lease.ackId, ok: true }
    : { type: 'postbox.delivery.outcome', subscriptionId: sub.id, ackId: lease.ackId, ok: false, error: outcome.error, retryAt: Date.now() + backoffDelay(sub.backoff, lease.attempt) };
  // No recorder (it is restarting): the lease ends at its deadline instead.
  const recorder = ctx.whereis(RECORDER);
  if (recorder) ctx.send(recorder, recorded);
  // Sent after the outcome, so the dispatcher's shutdown (which waits for every task's done)
  // finds each outcome already in the recorder's mailbox.
  ctx.send(dispatcher, { type: 'postbox.delivery.done', task: ctx.self, ok: outcome.ok } satisfies TaskDone);
});
