/**
 * Webhook (http/https) delivery: what the rest of the broker may use (docs/broker-delivery.md).
 *
 *   root tree ── deliveryChildSpec(options): { supervisor: Delivery, args: DeliveryOptions }
 *   publish path ── notifyPublished(caller, topic) after a durable publish
 *   subscription service ── sendConfirmation(sub) after creating an http(s) subscription
 *   metrics / tests ── deliveryStats(caller)
 */
import { GenServer, type Caller, type ChildSpec, type Op } from '../../actors/index.js';
import type { DeliveryOptions } from './options.js';
import { DISPATCHER, type DeliveryStats, type DispatcherCall, type DispatcherCast } from './protocol.js';
import { Delivery } from './supervisor.js';

export { Delivery } from './supervisor.js';
export { sendConfirmation, ConfirmationFailedError } from './confirmation.js';
export { sign, verifySignature, HEADER_ATTEMPT, HEADER_MESSAGE_ID, HEADER_SIGNATURE } from './notification.js';
export { DEFAULT_BREAKER } from './breaker.js';
export { DISPATCHER } from './protocol.js';
export type { DeliveryOptions } from './options.js';
export type { BreakerSettings } from './breaker.js';
export type { Notification, SubscriptionConfirmation } from './notification.js';
export type { DeliveryStats } from './protocol.js';

/**
 * The child spec of the delivery subtree for the broker's root tree. Place it after the store
 * server (retrievers and tasks call it) so it stops before the store closes. It runs on
 * scheduler 0 by default, next to the store server; its tasks go where `options.schedulers` says.
 */
export function deliveryChildSpec(options: DeliveryOptions = {}, scheduler = 0): ChildSpec {
  return { id: 'delivery', type: 'supervisor', scheduler, start: { supervisor: Delivery, args: options } };
}

/**
 * Tells the delivery component that `topic` has new messages, so an idle retriever claims at
 * once instead of at its next poll. A cast: never fails, never waits, and is dropped when
 * delivery is not running. Call it only after the publish is durable (before, the claim
 * may find nothing and the retriever sleeps again).
 */
export function notifyPublished(caller: Caller, topic: string): void {
  GenServer.cast(caller, DISPATCHER, { type: 'published', topic } satisfies DispatcherCast);
}

/** A snapshot of the delivery component: permits, running tasks, endpoints and their breakers. */
export function deliveryStats(caller: Caller, timeoutMs = 5_000): Op<DeliveryStats> {
  return GenServer.call(caller, DISPATCHER, { type: 'stats' } satisfies DispatcherCall, timeoutMs) as Op<DeliveryStats>;
}
