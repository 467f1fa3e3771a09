/**
 * Store records as the API shows them (SPEC §3 "Bodies"): ISO 8601 timestamps, payloads in the
 * encoding their publisher used, and nothing secret (a subscription's `secret` only in its
 * 201, its `confirmToken` never).
 */
import { payloadJsonField } from '../message-json.js';
import type { DeadLetter, DeliveryLease, MessageRecord, SubscriptionRecord, SubscriptionStats, TopicRecord, TopicStats } from '../store/types.js';

export const iso = (millis: number): string => new Date(millis).toISOString();

export function topicView(topic: TopicRecord) {
  const { messageTtlMs, maxAttempts, dedupWindowMs } = topic.options;
  return { name: topic.name, options: { messageTtlMs, maxAttempts, dedupWindowMs }, createdAt: iso(topic.createdAt) };
}

export function topicWithStatsView(topic: TopicRecord, stats: TopicStats) {
  const { published, pending, delivered, failed, deadLettered, expired, subscriptions } = stats;
  return { ...topicView(topic), stats: { published, pending, delivered, failed, deadLettered, expired, subscriptions } };
}

export function subscriptionView(sub: SubscriptionRecord) {
  return {
    id: sub.id,
    topic: sub.topic,
    protocol: sub.protocol,
    endpoint: sub.endpoint,
    filter: sub.filter,
    maxAttempts: sub.maxAttempts,
    backoff: { initialMs: sub.backoff.initialMs, maxMs: sub.backoff.maxMs, multiplier: sub.backoff.multiplier },
    ackDeadlineMs: sub.ackDeadlineMs,
    status: sub.status,
    createdAt: iso(sub.createdAt),
    activatedAt: sub.activatedAt === null ? null : iso(sub.activatedAt),
  };
}

export function subscriptionWithStatsView(sub: SubscriptionRecord, stats: SubscriptionStats) {
  const { pending, inFlight, delivered, failed, deadLettered, expired } = stats;
  return { ...subscriptionView(sub), stats: { pending, inFlight, delivered, failed, deadLettered, expired } };
}

/** `{payload}` for a message published as JSON, `{payloadBase64}` for one published as base64. */
export function payloadView(message: Pick<MessageRecord, 'payload' | 'encoding'>): { payload: unknown } | { payloadBase64: string } {
  // A view over the same bytes, not a copy (the store hands us a Uint8Array).
  const bytes = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
  if (message.encoding === 'json') {
    try {
      return { payload: JSON.parse(bytes.toString('utf8')) };
    } catch {
      // Stored JSON payloads were produced by JSON.stringify; should one not parse, its bytes
      // still reach the consumer rather than failing the whole pull.
    }
  }
  return { payloadBase64: bytes.toString('base64') };
}

function messageFields(message: MessageRecord) {
  return { id: message.id, ...payloadView(message), attributes: message.attributes, routingKey: message.routingKey, publishedAt: iso(message.publishedAt) };
}

/**
 * A pull's answer as JSON text: `{messages:[{ackId, id, payload | payloadBase64, attributes,
 * routingKey, publishedAt, attempt, redelivered}]}`. Written out rather than serialised from
 * objects so each payload is spliced in as stored (message-json.ts), not parsed and
 * re-serialised on the hottest read path.
 */
export function pulledJson(leases: readonly DeliveryLease[]): string {
  let out = '{"messages":[';
  for (let i = 0; i < leases.length; i++) {
    const { ackId, message: m, attempt, redelivered } = leases[i]!;
    if (i > 0) out += ',';
    out +=
      `{"ackId":${JSON.stringify(ackId)},"id":${JSON.stringify(m.id)},${payloadJsonField(m)},"attributes":${JSON.stringify(m.attributes)},` +
      `"routingKey":${JSON.stringify(m.routingKey)},"publishedAt":"${iso(m.publishedAt)}","attempt":${attempt},"redelivered":${redelivered}}`;
  }
  return out + ']}';
}

export function deadLetterView(dead: DeadLetter) {
  return { ...messageFields(dead.message), attempts: dead.attempts, lastError: dead.lastError, deadAt: iso(dead.deadAt) };
}
