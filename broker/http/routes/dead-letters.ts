/**
 * Dead letters of a subscription (subscriber keys):
 *
 *   GET  /v1/subscriptions/:id/dead-letters?limit   → {messages:[{id, payload…, attempts, lastError, deadAt}]}
 *   POST /v1/subscriptions/:id/dead-letters/redrive → {redriven}  (back to pending, attempts from 1)
 */
import type { FastifyInstance } from 'fastify';
import { LIMITS, SMALL_BODY_LIMIT } from '../limits.js';
import { principalOf } from '../request-context.js';
import { deadLetterQuery, type DeadLetterQuery } from '../schemas.js';
import { deadLetterView } from '../views.js';
import { loadSubscription, SUBSCRIBER, type RouteContext } from './context.js';

export function registerDeadLetterRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Params: { id: string }; Querystring: DeadLetterQuery }>(
    '/v1/subscriptions/:id/dead-letters',
    { config: { access: SUBSCRIBER }, schema: { querystring: deadLetterQuery } },
    async (request) => {
      const sub = await loadSubscription(ctx, principalOf(request), request.params.id);
      const dead = await ctx.broker.listDeadLetters(sub.id, request.query.limit ?? LIMITS.deadLetterPage.default);
      return { messages: dead.map(deadLetterView) };
    },
  );

  // No body is needed; an empty JSON object is accepted too.
  app.post<{ Params: { id: string } }>(
    '/v1/subscriptions/:id/dead-letters/redrive',
    { config: { access: SUBSCRIBER }, bodyLimit: SMALL_BODY_LIMIT },
    async (request) => {
      const sub = await loadSubscription(ctx, principalOf(request), request.params.id);
      return { redriven: await ctx.broker.redrive(sub.id) };
    },
  );
}
