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
import type { SubscriptionCache, SubscriptionFacts } from '../subscription-cache.js';
import type { TopicCache } from '../topic-cache.js';
import type { BrokerService } from '../../service.js';
import type { SubscriptionRecord } from '../../store/types.js';

export interface RouteContext {
  /** The service with rejections turned into 503s (service-guard.ts). */
  readonly broker: BrokerService;
  readonly auth: Authenticator;
  readonly rateLimiter: RateLimiter;
  readonly topics: TopicCache;
  /** For pull, ack and nack (subscription-cache.ts says why it needs no change notices). */
  readonly subscriptions: SubscriptionCache;
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
export function loadSubscription(ctx: RouteContext, principal: Principal, id: string): Promise<SubscriptionRecord> {
  return authorizedSubscription(principal, id, (i) => ctx.broker.getSubscription(i));
}

/**
 * Like `loadSubscription`, from the frontend's cache: for the calls that go to the store anyway
 * (pull, ack, nack), which find out there if the subscription was deleted since (see
 * `confirmDeleted`).
 */
export function loadSubscriptionFacts(ctx: RouteContext, principal: Principal, id: string): Promise<SubscriptionFacts> {
  return authorizedSubscription(principal, id, (i) => ctx.subscriptions.get(i));
}

async function authorizedSubscription<S extends { readonly topic: string }>(principal: Principal, id: string, lookup: (id: string) => Promise<S | undefined>): Promise<S> {
  if (!isPossibleId(id)) throw subscriptionNotFound(id);
  const sub = await lookup(id);
  if (sub === undefined) throw subscriptionNotFound(id);
  authorizeTopic(principal, sub.topic);
  return sub;
}

/** The store's answer suggested that subscription `id` is gone: when the shard agrees, the
 * cached entry goes and the caller gets 404; otherwise nothing happens. */
export async function confirmDeleted(ctx: RouteContext, id: string): Promise<void> {
  if ((await ctx.broker.getSubscription(id)) !== undefined) return;
  ctx.subscriptions.forget(id);
  throw subscriptionNotFound(id);
}
