/**
 * Defaults and bounds of the HTTP API, in one place so docs/broker-api.md can list them and
 * tests can reach the edges. Upper bounds exist so a typo cannot park data for years or ask
 * the store for a key longer than lmdb's key limit (~1.9 KB).
 */
import type { TopicOptions } from '../store/types.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const TOPIC_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/** Options a topic gets when its creator omits them (SPEC: maxAttempts 10, dedup window 5 min). */
export const DEFAULT_TOPIC_OPTIONS: TopicOptions = Object.freeze({ messageTtlMs: 7 * DAY, maxAttempts: 10, dedupWindowMs: 5 * MINUTE });

export const LIMITS = Object.freeze({
  messageTtlMs: { min: 1, max: 30 * DAY },
  maxAttempts: { min: 1, max: 100 },
  dedupWindowMs: { min: 0, max: DAY },
  ackDeadlineMs: { min: 1, max: 12 * HOUR, default: 30 * SECOND },
  /** Topics per page of GET /v1/topics. */
  topicPage: { min: 1, max: 1000, default: 100 },
  /** Dead letters per GET .../dead-letters. */
  deadLetterPage: { min: 1, max: 1000, default: 100 },
  pullMax: { min: 1, max: 100, default: 10 },
  pullWaitMs: { min: 0, max: 30 * SECOND, default: 0 },
  batchMessages: 1000,
  ackIdsPerCall: 1000,
  attributes: 64,
  attributeKeyChars: 256,
  attributeValueChars: 4096,
  routingKeyChars: 1024,
  /** Idempotency keys are stored in a store key (escaped), so they are short printable ASCII. */
  idempotencyKey: /^[\x20-\x7e]{1,256}$/,
  /** Ids in paths (subscriptions, keys) are at most this; longer cannot exist (store ids ≤ 200). */
  idChars: 200,
  ackIdChars: 256,
  keyNameChars: 128,
  keyTopicPatterns: 100,
  ratePerSec: { min: 0.001, max: 1_000_000 },
  endpointChars: 2048,
  tokenChars: 256,
});

/** Request bodies of routes that carry no payload (keys, topics, subscriptions, acks). */
export const SMALL_BODY_LIMIT = 256 * 1024;

/**
 * Fastify's body limit for a publish route. Our own 413 (`payload_too_large`, on the payload's
 * bytes) must decide, so fastify's limit sits above the largest body a valid payload can
 * arrive in: base64 grows bytes by 4/3, and the rest of the message (attributes, routing key,
 * idempotency key) adds at most ~300 KB at the limits above. A JSON `payload` written with
 * \u escapes can still exceed this; such a body gets fastify's 413, mapped to the same code.
 */
export function publishBodyLimit(maxPayloadBytes: number): number {
  return Math.ceil(maxPayloadBytes * 1.4) + 512 * 1024;
}

/** A batch may carry several payloads: its body limit is that of a publish plus an allowance
 * of 1 KB per entry for the envelopes of a full batch (the sum of the payloads is not bounded
 * separately; each payload is checked against maxPayloadBytes on its own). */
export function batchBodyLimit(maxPayloadBytes: number): number {
  return publishBodyLimit(maxPayloadBytes) + LIMITS.batchMessages * 1024;
}
