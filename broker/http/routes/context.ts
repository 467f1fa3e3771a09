/**
 * What every route module gets from the app (app.ts builds it once), and the checks several
 * route modules share: ids in paths, and "this caller may use this subscription".
 */
import type { Authenticator, Principal } from '../auth.js';
import { authorizeTopic } from '../auth.js';
import { subscriptionNotFound } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { RateLimiter } from '../rate-limit.js';
import type { Access } from '../request-context.js';
import type { TopicCache } from '../topic-cache.js';
import type { BrokerService } from '../../service.js';
import type { SubscriptionRecord } from '../../store/types.js';

export interface RouteContext {
  /** The service with rejections turned into 503s (service-guard.ts). */
  readonly broker: BrokerService;
  readonly auth: Authenticator;
  readonly rateLimiter: RateLimiter;
  readonly topics: TopicCache;
  readonly maxPayloadBytes: number;
  readonly now: () => number;
}

export const ADMIN_ONLY: Access = { roles: ['admin'] };
export const PUBLISHER: Access = { roles: ['publisher'] };
export const SUBSCRIBER: Access = { roles: ['subscriber'] };
export const ANY_ROLE: Access = { roles: ['publisher', 'subscriber'] };

const ID = /^[\x21-\x7e]+$/;

/** True when `id` could name a stored record (store ids are 1-200 printable ASCII): anything
 * else cannot exist, so it is a 404 without asking the store. */
export function isPossibleId(id: string): boolean {
  return id.length > 0 && id.length <= LIMITS.idChars && ID.test(id);
}

/** The subscription `id`, when it exists and the caller may use its topic: 404 / 403 otherwise. */
export async function loadSubscription(ctx: RouteContext, principal: Principal, id: string): Promise<SubscriptionRecord> {
  if (!isPossibleId(id)) throw subscriptionNotFound(id);
  const sub = await ctx.broker.getSubscription(id);
  if (sub === undefined) throw subscriptionNotFound(id);
  authorizeTopic(principal, sub.topic);
  return sub;
}
