/**
 * A metadata shard: the owner of the topic and subscription records that hash to it (see
 * directory.ts). It reads through to the store, keeps what it read, and tells the frontend's
 * cache when a topic changes.
 *
 *   frontend ──call──► shard i ──(miss or write)──► store server
 *                         │
 *                         └─► FRONTEND {topicChanged}   (cache invalidation)
 *                         └─► other shards {topicDeleted} (drop their cached subscriptions)
 *
 * Its state is only a cache of durable records, so a restart loses nothing: the new shard
 * starts empty and reads through again. Calls are served one at a time, which keeps the
 * cache equal to the store for the records it owns (a write updates the cache only after the
 * store has it). Metadata changes are rare beside publishes, which do not pass through here.
 */
import { timingSafeEqual } from 'node:crypto';
import { GenServer, type From } from '../../actors/index.js';
import type { Context } from '../../runtime/index.js';
import { FRONTEND, shardName } from '../server/names.js';
import { storeCall } from '../store/store-server.js';
import type { CreateTopicResult, SubscriptionRecord, TopicRecord } from '../store/types.js';
import type { ConfirmOutcome, CreateSubscriptionOutcome } from '../service.js';

export type ShardRequest =
  | { readonly op: 'createTopic'; readonly topic: TopicRecord }
  | { readonly op: 'getTopic'; readonly name: string }
  | { readonly op: 'deleteTopic'; readonly name: string }
  | { readonly op: 'createSubscription'; readonly sub: SubscriptionRecord }
  | { readonly op: 'getSubscription'; readonly id: string }
  | { readonly op: 'deleteSubscription'; readonly id: string }
  | { readonly op: 'confirmSubscription'; readonly id: string; readonly token: string; readonly now: number };

/** The answer to each request. */
export interface ShardAnswers {
  createTopic: CreateTopicResult;
  getTopic: TopicRecord | undefined;
  deleteTopic: boolean;
  createSubscription: CreateSubscriptionOutcome;
  getSubscription: SubscriptionRecord | undefined;
  deleteSubscription: boolean;
  confirmSubscription: ConfirmOutcome;
}

/** Sent to every shard when a topic is deleted: its subscriptions are gone from the store. */
export interface TopicDeletedNotice {
  readonly topicDeleted: string;
}
/** Sent to the frontend when a topic's record or subscriptions changed. */
export interface TopicChangedNotice {
  readonly topicChanged: string;
}

export interface ShardArgs {
  readonly index: number;
  readonly shardCount: number;
}

interface ShardState {
  readonly args: ShardArgs;
  /** Read-through cache; `null` remembers "no such topic" until a create on this shard. */
  readonly topics: Map<string, TopicRecord | null>;
  readonly subs: Map<string, SubscriptionRecord>;
}

/** Bounds the caches: past it, the oldest entries go (a miss costs one store read). */
const CACHE_LIMIT = 10_000;

export const MetadataShard = GenServer.define(import.meta.url, 'MetadataShard', {
  async init(args: ShardArgs) {
    return { ok: true, state: { args, topics: new Map(), subs: new Map() } satisfies ShardState };
  },

  async handleCall(request: ShardRequest, _from: From, state: ShardState, ctx: Context) {
    return { reply: await serve(request, state, ctx), state };
  },

  async handleInfo(message: TopicDeletedNotice | unknown, state: ShardState) {
    if (isTopicDeleted(message)) {
      state.topics.delete(message.topicDeleted);
      for (const [id, sub] of state.subs) if (sub.topic === message.topicDeleted) state.subs.delete(id);
    }
    return { noreply: true, state };
  },
});

async function serve(request: ShardRequest, state: ShardState, ctx: Context): Promise<ShardAnswers[ShardRequest['op']]> {
  switch (request.op) {
    case 'createTopic': {
      const result = await storeCall(ctx, 'createTopic', request.topic);
      remember(state.topics, request.topic.name, result.topic);
      if (result.outcome === 'created') topicChanged(ctx, request.topic.name);
      return result;
    }
    case 'getTopic': {
      const cached = state.topics.get(request.name);
      if (cached !== undefined) return cached ?? undefined;
      const topic = await storeCall(ctx, 'getTopic', request.name);
      remember(state.topics, request.name, topic ?? null);
      return topic;
    }
    case 'deleteTopic': {
      const deleted = await storeCall(ctx, 'deleteTopic', request.name);
      state.topics.delete(request.name);
      if (deleted) {
        topicChanged(ctx, request.name);
        const notice: TopicDeletedNotice = { topicDeleted: request.name };
        for (let i = 0; i < state.args.shardCount; i++) GenServer.send(ctx, shardName(i), notice);
      }
      return deleted;
    }
    case 'createSubscription': {
      const result = await storeCall(ctx, 'createSubscription', request.sub);
      if (result.ok) {
        remember(state.subs, request.sub.id, request.sub);
        topicChanged(ctx, request.sub.topic);
      }
      return result;
    }
    case 'getSubscription':
      return subscription(request.id, state, ctx);
    case 'deleteSubscription': {
      const sub = await subscription(request.id, state, ctx);
      const deleted = await storeCall(ctx, 'deleteSubscription', request.id);
      state.subs.delete(request.id);
      if (deleted && sub) topicChanged(ctx, sub.topic);
      return deleted;
    }
    case 'confirmSubscription': {
      const sub = await subscription(request.id, state, ctx);
      if (!sub) return { ok: false, error: 'subscription_not_found' };
      // Confirming an active subscription again with its token is harmless (SNS answers the
      // same); the token is kept after activation so a retried confirm still matches.
      if (sub.confirmToken === null || !sameToken(sub.confirmToken, request.token)) return { ok: false, error: 'invalid_token' };
      if (sub.status === 'active') return { ok: true, subscription: sub };
      const active = await storeCall(ctx, 'activateSubscription', request.id, request.now);
      if (!active) {
        state.subs.delete(request.id);
        return { ok: false, error: 'subscription_not_found' };
      }
      remember(state.subs, request.id, active);
      return { ok: true, subscription: active };
    }
    default:
      throw new TypeError(`unknown metadata request: ${JSON.stringify((request as { op: unknown }).op)}`);
  }
}

async function subscription(id: string, state: ShardState, ctx: Context): Promise<SubscriptionRecord | undefined> {
  const cached = state.subs.get(id);
  if (cached) return cached;
  const sub = await storeCall(ctx, 'getSubscription', id);
  if (sub) remember(state.subs, id, sub);
  return sub;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
}

function topicChanged(ctx: Context, topic: string): void {
  GenServer.send(ctx, FRONTEND, { topicChanged: topic } satisfies TopicChangedNotice);
}

function isTopicDeleted(m: unknown): m is TopicDeletedNotice {
  return typeof m === 'object' && m !== null && typeof (m as TopicDeletedNotice).topicDeleted === 'string';
}

export function isTopicChanged(m: unknown): m is TopicChangedNotice {
  return typeof m === 'object' && m !== null && typeof (m as TopicChangedNotice).topicChanged === 'string';
}

/** Compares tokens in time independent of where they differ (only the length can leak). */
function sameToken(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
