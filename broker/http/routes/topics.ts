/**
 * Topics: create (admin; 201 created, 200 the same topic was there, 409 `topic_exists` with other
 * options), list (`?limit&cursor` → `{topics, nextCursor}`), read with stats, delete (admin).
 * Publishers and subscribers read only the topics their key's patterns match.
 */
import type { FastifyInstance } from 'fastify';
import type { TopicOptions, TopicRecord } from '../../store/types.js';
import { authorizeTopic, mayUseTopic } from '../auth.js';
import { ApiError, invalidRequest, topicNotFound } from '../errors.js';
import { DEFAULT_TOPIC_OPTIONS, LIMITS, SMALL_BODY_LIMIT } from '../limits.js';
import { principalOf } from '../request-context.js';
import { topicListQuery, type TopicListQuery } from '../schemas.js';
import { topicView, topicWithStatsView } from '../views.js';
import { expectObject, optionalInteger, own, rejectUnknownFields, topicName, type JsonObject } from '../validation.js';
import { ADMIN_ONLY, ANY_ROLE, type RouteContext } from './context.js';

const OPTION_FIELDS: ReadonlySet<string> = new Set(['messageTtlMs', 'maxAttempts', 'dedupWindowMs']);
/** Options may come flat (SPEC's request row) or nested as in a topic body (a topic read back
 * can be sent again), not both. */
const TOPIC_FIELDS: ReadonlySet<string> = new Set(['name', 'options', ...OPTION_FIELDS]);

export function registerTopicRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/topics', { config: { access: ADMIN_ONLY }, bodyLimit: SMALL_BODY_LIMIT }, async (request, reply) => {
    const body = expectObject(request.body, '');
    rejectUnknownFields(body, TOPIC_FIELDS, '');
    if (own(body, 'name') === undefined) throw invalidRequest('name', 'is required');
    const name = topicName(own(body, 'name'));
    const record: TopicRecord = { name, options: readOptions(body), createdAt: ctx.now() };
    request.auditTarget = name;
    const result = await ctx.broker.createTopic(record);
    if (result.outcome === 'created') {
      reply.code(201);
      return topicView(result.topic);
    }
    if (!sameOptions(result.topic.options, record.options)) {
      throw new ApiError(409, 'topic_exists', `topic "${name}" exists with other options (${JSON.stringify(result.topic.options)})`);
    }
    return topicView(result.topic);
  });

  app.get<{ Querystring: TopicListQuery }>(
    '/v1/topics',
    { config: { access: ANY_ROLE }, schema: { querystring: topicListQuery } },
    async (request) => {
      const principal = principalOf(request);
      const { limit = LIMITS.topicPage.default, cursor } = request.query;
      const page = await ctx.broker.listTopics({ limit, cursor: cursor === undefined || cursor === '' ? null : cursor });
      // Filtering a page keeps paging simple; a key with patterns may see short pages.
      const topics = principal.role === 'admin' ? page.topics : page.topics.filter((t) => mayUseTopic(principal, t.name));
      return { topics: topics.map(topicView), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: { topic: string } }>('/v1/topics/:topic', { config: { access: ANY_ROLE } }, async (request) => {
    const name = topicName(request.params.topic);
    authorizeTopic(principalOf(request), name);
    const [topic, stats] = await Promise.all([ctx.topics.get(name), ctx.broker.topicStats(name)]);
    if (topic === undefined || stats === undefined) throw topicNotFound(name);
    return topicWithStatsView(topic, stats);
  });

  app.delete<{ Params: { topic: string } }>('/v1/topics/:topic', { config: { access: ADMIN_ONLY } }, async (request, reply) => {
    const name = topicName(request.params.topic);
    const deleted = await ctx.broker.deleteTopic(name);
    ctx.topics.invalidate(name);
    if (!deleted) throw topicNotFound(name);
    return reply.code(204).send();
  });
}

function readOptions(body: JsonObject): TopicOptions {
  const nested = own(body, 'options');
  let source = body;
  let parent = '';
  if (nested !== undefined && nested !== null) {
    for (const field of OPTION_FIELDS) {
      if (own(body, field) !== undefined) throw invalidRequest(field, 'give topic options either flat or inside "options", not both');
    }
    source = expectObject(nested, 'options');
    parent = 'options';
    rejectUnknownFields(source, OPTION_FIELDS, parent);
  }
  return {
    messageTtlMs: optionalInteger(source, 'messageTtlMs', parent, LIMITS.messageTtlMs) ?? DEFAULT_TOPIC_OPTIONS.messageTtlMs,
    maxAttempts: optionalInteger(source, 'maxAttempts', parent, LIMITS.maxAttempts) ?? DEFAULT_TOPIC_OPTIONS.maxAttempts,
    dedupWindowMs: optionalInteger(source, 'dedupWindowMs', parent, LIMITS.dedupWindowMs) ?? DEFAULT_TOPIC_OPTIONS.dedupWindowMs,
  };
}

function sameOptions(a: TopicOptions, b: TopicOptions): boolean {
  return a.messageTtlMs === b.messageTtlMs && a.maxAttempts === b.maxAttempts && a.dedupWindowMs === b.dedupWindowMs;
}
