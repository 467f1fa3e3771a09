/**
 * The messages between the delivery actors, in one place.
 *
 *   Retriever ──call acquire{max}──────────► Dispatcher   (answered when permits are free)
 *   Retriever ──cast submit{granted, jobs}─► Dispatcher
 *   publish path ──cast published{topic}───► Dispatcher ──wake──► an idle Retriever
 *   Dispatcher ──spawn(job)──► DeliveryTask ──POST──► endpoint
 *                              DeliveryTask ──outcome──► Recorder ──ack/fail (batched)──► store server
 *   DeliveryTask ──done{ok}──► Dispatcher   (then exits normal; DOWN if it dies first)
 */
import type { Pid } from '../../runtime/index.js';
import type { BackoffPolicy } from './backoff.js';
import type { DeliveryLease } from '../store/types.js';

/** The registered name of the dispatcher (one per broker node). */
export const DISPATCHER = 'postbox.delivery';

/** What a delivery task needs of its subscription, taken when the lease was claimed. */
export interface SubscriptionSnapshot {
  readonly id: string;
  readonly endpoint: string;
  readonly secret: string;
  readonly backoff: BackoffPolicy;
}

/** One claimed attempt on its way to an endpoint. */
export interface DeliveryJob {
  readonly lease: DeliveryLease;
  readonly sub: SubscriptionSnapshot;
  /** = sub.endpoint: the key of the per-endpoint limit and breaker. */
  readonly endpoint: string;
  /** = lease.deadline. */
  readonly deadline: number;
}

export type DispatcherCall = { readonly type: 'acquire'; readonly max: number } | { readonly type: 'stats' };

export type DispatcherCast =
  /** `granted` permits were used for a claim that produced `claimed` leases, of which `jobs`
   * are to be delivered (the rest had no subscription any more). */
  | { readonly type: 'submit'; readonly retriever: Pid; readonly granted: number; readonly claimed: number; readonly jobs: readonly DeliveryJob[] }
  | { readonly type: 'published'; readonly topic: string };

/** Sent by the dispatcher to an idle retriever. */
export const WAKE = 'postbox.delivery.wake';
export const isWake = (m: unknown): boolean => m === WAKE;

/** Sent by a delivery task when its attempt ended: `ok` is the endpoint's answer. */
export interface TaskDone {
  readonly type: 'postbox.delivery.done';
  readonly task: Pid;
  readonly ok: boolean;
}
export const isTaskDone = (m: unknown): m is TaskDone => (m as TaskDone | null)?.type === 'postbox.delivery.done';

/** What `deliveryStats` answers. */
export interface DeliveryStats {
  readonly permits: { readonly limit: number; readonly inUse: number; readonly min: number; readonly max: number };
  readonly failingLaneInUse: number;
  readonly retrievers: number;
  readonly tasks: readonly { readonly pid: Pid; readonly subscriptionId: string; readonly messageId: string; readonly attempt: number; readonly lane: string }[];
  readonly endpoints: readonly { readonly endpoint: string; readonly state: string; readonly health: string; readonly running: number; readonly queued: number; readonly calls: number; readonly failures: number }[];
}
