/**
 * Pull consumption (subscriber keys):
 *
 *   POST /v1/subscriptions/:id/pull  {max? 1..100 (10), waitMs? 0..30000 (0)} → {messages:[…]}
 *   POST /v1/subscriptions/:id/ack   {ackIds:[…]} → {acked}    (400 invalid_ack_id for unknown ones)
 *   POST /v1/subscriptions/:id/nack  {ackIds:[…]} → {nacked}   (redelivered at once)
 *
 * A pull long-polls: it answers as soon as one message is there, or with [] after `waitMs`.
 * A poll whose client hangs up ends at once and claims nothing more; leases handed out just
 * before are not lost: they are redelivered after the subscription's ackDeadlineMs, like any
 * unacknowledged message.
 * Acks of pull and websocket subscriptions are accepted here; http/https ones are acknowledged
 * by their endpoint's answer and cannot be pulled or acked.
 */
import type { FastifyInstance } from 'fastify';
import type { AckOutcome } from '../../store/types.js';
import type { Principal } from '../auth.js';
import { ApiError, invalidRequest, preview, subscriptionNotFound } from '../errors.js';
import { LIMITS, SMALL_BODY_LIMIT } from '../limits.js';
import { principalOf } from '../request-context.js';
import type { SubscriptionFacts } from '../subscription-cache.js';
import { pulledJson } from '../views.js';
import { expectObject, optionalBody, optionalInteger, own, rejectUnknownFields } from '../validation.js';
import { confirmDeleted, loadSubscriptionFacts, SUBSCRIBER, type RouteContext } from './context.js';

const PULL_FIELDS: ReadonlySet<string> = new Set(['max', 'waitMs']);
const ACK_FIELDS: ReadonlySet<string> = new Set(['ackIds']);

type IdParams = { Params: { id: string } };

export function registerPullRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post<IdParams>('/v1/subscriptions/:id/pull', { config: { access: SUBSCRIBER }, bodyLimit: SMALL_BODY_LIMIT }, async (request, reply) => {
    const sub = await loadSubscriptionFacts(ctx, principalOf(request), request.params.id);
    const body = optionalBody(request.body);
    rejectUnknownFields(body, PULL_FIELDS, '');
    const max = optionalInteger(body, 'max', '', LIMITS.pullMax) ?? LIMITS.pullMax.default;
    const waitMs = optionalInteger(body, 'waitMs', '', LIMITS.pullWaitMs) ?? LIMITS.pullWaitMs.default;
    if (sub.protocol !== 'pull') throw wrongProtocol(sub, 'pulled (only pull subscriptions are)');
    // A client that hangs up during a long poll must not be handed the next messages: the
    // response closing before it was written ends the poll (it claims nothing more).
    const gone = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) gone.abort();
    };
    reply.raw.once('close', onClose);
    let leases;
    try {
      leases = await ctx.broker.pull(sub.id, max, waitMs, gone.signal);
    } finally {
      reply.raw.off('close', onClose);
    }
    if (leases === undefined) {
      ctx.subscriptions.forget(sub.id);
      throw subscriptionNotFound(sub.id);
    }
    return reply.type('application/json; charset=utf-8').send(pulledJson(leases));
  });

  app.post<IdParams>('/v1/subscriptions/:id/ack', { config: { access: SUBSCRIBER }, bodyLimit: SMALL_BODY_LIMIT }, async (request) => {
    const { sub, ackIds } = await readAcks(ctx, request.params.id, request.body, principalOf(request));
    const outcomes = await ctx.broker.ack(sub.id, ackIds);
    if (outcomes.includes('unknown')) await confirmDeleted(ctx, sub.id);
    return { acked: countAcked(ackIds, outcomes) };
  });

  app.post<IdParams>('/v1/subscriptions/:id/nack', { config: { access: SUBSCRIBER }, bodyLimit: SMALL_BODY_LIMIT }, async (request) => {
    const { sub, ackIds } = await readAcks(ctx, request.params.id, request.body, principalOf(request));
    const outcomes = await ctx.broker.nack(sub.id, ackIds);
    if (outcomes.includes('unknown')) await confirmDeleted(ctx, sub.id);
    return { nacked: countAcked(ackIds, outcomes) };
  });
}

/** The subscription and the ackIds of an ack/nack call, checked (404, 403, 400). */
async function readAcks(ctx: RouteContext, id: string, value: unknown, principal: Principal): Promise<{ sub: SubscriptionFacts; ackIds: string[] }> {
  const sub = await loadSubscriptionFacts(ctx, principal, id);
  const body = expectObject(value, '');
  rejectUnknownFields(body, ACK_FIELDS, '');
  const ackIds = own(body, 'ackIds');
  if (!Array.isArray(ackIds) || ackIds.length > LIMITS.ackIdsPerCall) {
    throw invalidRequest('ackIds', `expected an array of at most ${LIMITS.ackIdsPerCall} ackIds`);
  }
  for (let i = 0; i < ackIds.length; i++) {
    const ackId: unknown = ackIds[i];
    // Malformed ids cannot have been issued: the same answer as an unknown one (SPEC "Acks").
    if (typeof ackId !== 'string' || ackId.length === 0 || ackId.length > LIMITS.ackIdChars) {
      throw new ApiError(400, 'invalid_ack_id', `ackIds[${i}]: ${preview(ackId)} is not an ackId this subscription issued`);
    }
  }
  if (sub.protocol !== 'pull' && sub.protocol !== 'websocket') throw wrongProtocol(sub, 'acknowledged here (its endpoint acknowledges by answering 2xx)');
  return { sub, ackIds: ackIds as string[] };
}

/** The number that ended with this call; throws 400 when any ackId is unknown. Unknown ones
 * did nothing; the others in the same call took effect (the store answers per ackId). */
function countAcked(ackIds: readonly string[], outcomes: readonly AckOutcome[]): number {
  let acked = 0;
  const unknown: string[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    if (outcomes[i] === 'acked') acked++;
    else if (outcomes[i] === 'unknown') unknown.push(`ackIds[${i}] ${preview(ackIds[i])}`);
  }
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? `, and ${unknown.length - 5} more` : '');
    throw new ApiError(400, 'invalid_ack_id', `not issued by this subscription (or already forgotten): ${shown}; the other ackIds of this call took effect (${acked})`);
  }
  return acked;
}

const wrongProtocol = (sub: SubscriptionFacts, what: string): ApiError =>
  invalidRequest('protocol', `subscription ${sub.id} is a ${sub.protocol} subscription and cannot be ${what}`);
