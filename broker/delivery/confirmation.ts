/**
 * The subscription confirmation request (SPEC §3 "http/https subscriptions"): one signed POST
 * of `{type:"SubscriptionConfirmation", subscriptionId, topic, token}` to the endpoint. The
 * subscription stays pending until `confirm` is called with the token; nothing here retries.
 */
import type { SubscriptionRecord } from '../store/types.js';
import { post } from './http.js';
import { confirmationRequest } from './notification.js';

/** The endpoint did not answer the confirmation request with a 2xx in time. */
export class ConfirmationFailedError extends Error {
  override readonly name = 'ConfirmationFailedError';
  constructor(
    readonly subscriptionId: string,
    readonly endpoint: string,
    readonly reason: string,
  ) {
    super(`confirmation of subscription ${subscriptionId} to ${endpoint} failed: ${reason}`);
  }
}

/**
 * POSTs the confirmation request. Resolves when the endpoint answered 2xx; rejects with
 * ConfirmationFailedError otherwise (the subscription simply stays pending: callers log it).
 * Works from anywhere (no actor needed). Throws TypeError at once for a subscription that is
 * not http(s) or has no confirmation token.
 */
export async function sendConfirmation(sub: SubscriptionRecord, timeoutMs = 10_000): Promise<void> {
  if ((sub.protocol !== 'http' && sub.protocol !== 'https') || !sub.endpoint) {
    throw new TypeError(`expected an http(s) subscription with an endpoint, got: ${sub.protocol} ${String(sub.endpoint)}`);
  }
  const outcome = await post(sub.endpoint, confirmationRequest(sub), timeoutMs);
  if (!outcome.ok) throw new ConfirmationFailedError(sub.id, sub.endpoint, outcome.error);
}
