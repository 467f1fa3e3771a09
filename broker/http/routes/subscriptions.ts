/**
 * Subscriptions (subscriber keys, on topics their patterns match):
 *
 *   POST   /v1/topics/:topic/subscriptions  → 201 subscription + `secret` (the only time it is shown)
 *   GET    /v1/subscriptions/:id            → 200 subscription + stats
 *   DELETE /v1/subscriptions/:id            → 204
 *   POST   /v1/subscriptions/:id/confirm    {token} → 200 (status active); 400 invalid_token
 *
 * http/https subscriptions start `pending` with a confirmation token the broker sends to the
 * endpoint (service.createSubscription does the sending); pull and websocket ones are `active`
 * at once and receive what is published from their 201 on.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { parseBackoff } from '../../delivery/backoff.js';
import { validateFilter } from '../../routing/topic-filter.js';
import type { Protocol, SubscriptionRecord, TopicRecord } from '../../store/types.js';
import { authorizeTopic } from '../auth.js';
import { ApiError, invalidRequest, preview, subscriptionNotFound, topicNotFound } from '../errors.js';
import { LIMITS, SMALL_BODY_LIMIT } from '../limits.js';
import { principalOf } from '../request-context.js';
import { subscriptionView, subscriptionWithStatsView } from '../views.js';
import { expectObject, optionalInteger, own, rejectUnknownFields, requiredString, topicName, type JsonObject } from '../validation.js';
import { loadSubscription, SUBSCRIBER, type RouteContext } from './context.js';

const SUBSCRIPTION_FIELDS: ReadonlySet<string> = new Set(['protocol', 'endpoint', 'filter', 'maxAttempts', 'backoff', 'ackDeadlineMs']);
const CONFIRM_FIELDS: ReadonlySet<string> = new Set(['token']);
const PROTOCOLS: readonly Protocol[] = ['http', 'https', 'websocket', 'pull'];

type IdParams = { Params: { id: string } };

export function registerSubscriptionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Params: { topic: string } }>(
    '/v1/topics/:topic/subscriptions',
    { config: { access: SUBSCRIBER }, bodyLimit: SMALL_BODY_LIMIT },
    async (request, reply) => {
      const name = topicName(request.params.topic);
      authorizeTopic(principalOf(request), name);
      const topic = await ctx.topics.get(name);
      if (topic === undefined) throw topicNotFound(name);
      const sub = readSubscription(request.body, topic, ctx.now());
      const created = await ctx.broker.createSubscription(sub);
      if (!created.ok) {
        ctx.topics.invalidate(name);
        throw topicNotFound(name);
      }
      request.auditTarget = sub.id;
      reply.code(201);
      return { ...subscriptionView(sub), secret: sub.secret };
    },
  );

  app.get<IdParams>('/v1/subscriptions/:id', { config: { access: SUBSCRIBER } }, async (request) => {
    const sub = await loadSubscription(ctx, principalOf(request), request.params.id);
    const stats = await ctx.broker.subscriptionStats(sub.id);
    if (stats === undefined) throw subscriptionNotFound(sub.id);
    return subscriptionWithStatsView(sub, stats);
  });

  app.delete<IdParams>('/v1/subscriptions/:id', { config: { access: SUBSCRIBER } }, async (request, reply) => {
    const sub = await loadSubscription(ctx, principalOf(request), request.params.id);
    const deleted = await ctx.broker.deleteSubscription(sub.id);
    ctx.subscriptions.forget(sub.id);
    if (!deleted) throw subscriptionNotFound(sub.id);
    return reply.code(204).send();
  });

  app.post<IdParams>('/v1/subscriptions/:id/confirm', { config: { access: SUBSCRIBER }, bodyLimit: SMALL_BODY_LIMIT }, async (request) => {
    const sub = await loadSubscription(ctx, principalOf(request), request.params.id);
    const body = expectObject(request.body, '');
    rejectUnknownFields(body, CONFIRM_FIELDS, '');
    const token = requiredString(body, 'token', '', LIMITS.tokenChars);
    const outcome = await ctx.broker.confirmSubscription(sub.id, token);
    if (!outcome.ok) {
      if (outcome.error === 'subscription_not_found') throw subscriptionNotFound(sub.id);
      throw new ApiError(400, 'invalid_token', `token: not the confirmation token of subscription ${sub.id}`);
    }
    return subscriptionView(outcome.subscription);
  });
}

/** The new subscription's record from a create body; defaults from SPEC §3 and the topic. */
function readSubscription(value: unknown, topic: TopicRecord, now: number): SubscriptionRecord {
  const body = expectObject(value, '');
  rejectUnknownFields(body, SUBSCRIPTION_FIELDS, '');
  const protocol = own(body, 'protocol');
  if (!PROTOCOLS.includes(protocol as Protocol)) {
    throw invalidRequest('protocol', `expected one of ${PROTOCOLS.join(', ')}, got: ${preview(protocol)}`);
  }
  const push = protocol === 'http' || protocol === 'https';
  const backoff = parseBackoff(own(body, 'backoff') ?? undefined);
  if (!backoff.ok) throw invalidRequest(backoff.field, backoff.message);
  return {
    id: randomUUID(),
    topic: topic.name,
    protocol: protocol as Protocol,
    endpoint: readEndpoint(body, protocol as Protocol),
    filter: readFilter(body),
    maxAttempts: optionalInteger(body, 'maxAttempts', '', LIMITS.maxAttempts) ?? topic.options.maxAttempts,
    backoff: backoff.policy,
    ackDeadlineMs: optionalInteger(body, 'ackDeadlineMs', '', LIMITS.ackDeadlineMs) ?? LIMITS.ackDeadlineMs.default,
    status: push ? 'pending' : 'active',
    secret: randomBytes(32).toString('hex'),
    confirmToken: push ? randomBytes(24).toString('hex') : null,
    createdAt: now,
    activatedAt: push ? null : now,
  };
}

/** http/https: an absolute URL whose scheme is the protocol's; pull/websocket: none. */
function readEndpoint(body: JsonObject, protocol: Protocol): string | null {
  const endpoint = own(body, 'endpoint');
  if (protocol !== 'http' && protocol !== 'https') {
    if (endpoint !== undefined && endpoint !== null) throw invalidRequest('endpoint', `a ${protocol} subscription has no endpoint; omit it`);
    return null;
  }
  if (typeof endpoint !== 'string' || endpoint.length === 0 || endpoint.length > LIMITS.endpointChars) {
    throw invalidRequest('endpoint', `an ${protocol} subscription needs an ${protocol}:// URL of at most ${LIMITS.endpointChars} characters`);
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw invalidRequest('endpoint', `not a URL: ${preview(endpoint)}`);
  }
  if (url.protocol !== `${protocol}:`) {
    throw invalidRequest('endpoint', `expected an ${protocol}:// URL for protocol "${protocol}", got scheme "${url.protocol.slice(0, -1)}"`);
  }
  if (url.hostname === '') throw invalidRequest('endpoint', 'the URL has no host');
  return url.href;
}

function readFilter(body: JsonObject): string | null {
  const filter = own(body, 'filter');
  if (filter === undefined || filter === null) return null;
  const checked = validateFilter(filter);
  if (!checked.ok) throw invalidRequest('filter', checked.error.message);
  return filter as string;
}
