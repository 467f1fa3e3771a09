/**
 * What a webhook receives (SPEC §3 "http/https subscriptions"): the Notification and
 * SubscriptionConfirmation bodies, their headers, and the signature.
 *
 * The body is serialised once, here, and those exact bytes are both signed and sent: a
 * subscriber verifies the HMAC over the raw bytes it read, never over a re-serialisation.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { payloadJsonField } from '../message-json.js';
import type { DeliveryLease, SubscriptionRecord } from '../store/types.js';

export const HEADER_MESSAGE_ID = 'x-postbox-message-id';
export const HEADER_ATTEMPT = 'x-postbox-attempt';
export const HEADER_SIGNATURE = 'x-postbox-signature';

export interface Notification {
  readonly type: 'Notification';
  readonly id: string;
  readonly topic: string;
  readonly subscriptionId: string;
  /** The published JSON value (encoding 'json'). */
  readonly payload?: unknown;
  /** The published bytes, base64 (encoding 'base64'). */
  readonly payloadBase64?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly routingKey: string;
  /** ISO 8601. */
  readonly publishedAt: string;
  readonly attempt: number;
}

export interface SubscriptionConfirmation {
  readonly type: 'SubscriptionConfirmation';
  readonly subscriptionId: string;
  readonly topic: string;
  readonly token: string;
}

/** A request ready to send: the body bytes and every header, signature included. */
export interface SignedRequest {
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
}

/** Lowercase hex HMAC-SHA256 of `body`, keyed with the UTF-8 bytes of `secret`. */
export function sign(secret: string, body: Uint8Array): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
}

/** What a subscriber runs: true when `signature` is the signature of `body` (constant time). */
export function verifySignature(secret: string, body: Uint8Array, signature: string | undefined | null): boolean {
  if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return false;
  return timingSafeEqual(Buffer.from(sign(secret, body), 'hex'), Buffer.from(signature, 'hex'));
}

/** The Notification of one attempt as JSON text (fields in the order of `Notification`), the
 * payload spliced in as stored (message-json.ts). */
export function notificationJson(lease: DeliveryLease): string {
  const m = lease.message;
  return (
    `{"type":"Notification","id":${JSON.stringify(m.id)},"topic":${JSON.stringify(m.topic)},"subscriptionId":${JSON.stringify(lease.subscriptionId)},` +
    `${payloadJsonField(m)},"attributes":${JSON.stringify(m.attributes)},"routingKey":${JSON.stringify(m.routingKey)},` +
    `"publishedAt":"${new Date(m.publishedAt).toISOString()}","attempt":${lease.attempt}}`
  );
}

/** The signed POST for one delivery attempt. */
export function notificationRequest(lease: DeliveryLease, secret: string): SignedRequest {
  const body = Buffer.from(notificationJson(lease), 'utf8');
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      [HEADER_MESSAGE_ID]: lease.message.id,
      [HEADER_ATTEMPT]: String(lease.attempt),
      [HEADER_SIGNATURE]: sign(secret, body),
    },
  };
}

/** The signed POST asking an endpoint to confirm a subscription (signed like notifications,
 * so the endpoint can tell it came from this broker). */
export function confirmationRequest(sub: Pick<SubscriptionRecord, 'id' | 'topic' | 'secret' | 'confirmToken'>): SignedRequest {
  if (sub.confirmToken === null) throw new TypeError(`expected subscription ${sub.id} to have a confirmation token, got: null`);
  const confirmation: SubscriptionConfirmation = { type: 'SubscriptionConfirmation', subscriptionId: sub.id, topic: sub.topic, token: sub.confirmToken };
  const body = Buffer.from(JSON.stringify(confirmation), 'utf8');
  return { body, headers: { 'content-type': 'application/json; charset=utf-8', [HEADER_SIGNATURE]: sign(sub.secret, body) } };
}
