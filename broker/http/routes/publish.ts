/**
 * Publishing (publisher keys, on topics their patterns match):
 *
 *   POST /v1/topics/:topic/messages  one message → 202 {id, duplicate:false} | 200 {id, duplicate:true} | 409
 *   POST /v1/topics/:topic/batch     {messages:[…≤1000]} → 202 {results:[{id, duplicate} | {error}]}
 *
 * The answer comes after the store made the messages durable (service.publish). In a batch a
 * bad entry gets its error in place and the others are published together, in one store write.
 * This is the hot path: the topic check is served from the cache, and nothing is built that the
 * answer does not need.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NewMessage, PublishResult } from '../../store/types.js';
import { authorizeTopic } from '../auth.js';
import { ApiError, invalidRequest, topicNotFound, type ErrorBody } from '../errors.js';
import { batchBodyLimit, LIMITS, publishBodyLimit } from '../limits.js';
import { readMessage } from '../message-input.js';
import { principalOf } from '../request-context.js';
import { expectObject, own, rejectUnknownFields, topicName } from '../validation.js';
import { PUBLISHER, type RouteContext } from './context.js';

type TopicParams = { Params: { topic: string } };
type BatchResult = { id: string; duplicate: boolean } | ErrorBody;

const BATCH_FIELDS: ReadonlySet<string> = new Set(['messages']);

export function registerPublishRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post<TopicParams>(
    '/v1/topics/:topic/messages',
    { config: { access: PUBLISHER }, bodyLimit: publishBodyLimit(ctx.maxPayloadBytes) },
    async (request, reply) => {
      const topic = await publishableTopic(ctx, request);
      const message = readMessage(request.body, '', ctx.maxPayloadBytes, idempotencyHeader(request));
      const [result] = await publishOrNotFound(ctx, topic, [message]);
      if (!result.ok) throw conflict(result.firstId);
      reply.code(result.duplicate ? 200 : 202);
      return { id: result.id, duplicate: result.duplicate };
    },
  );

  app.post<TopicParams>(
    '/v1/topics/:topic/batch',
    { config: { access: PUBLISHER }, bodyLimit: batchBodyLimit(ctx.maxPayloadBytes) },
    async (request, reply) => {
      const topic = await publishableTopic(ctx, request);
      const body = expectObject(request.body, '');
      rejectUnknownFields(body, BATCH_FIELDS, '');
      const entries = own(body, 'messages');
      if (!Array.isArray(entries)) throw invalidRequest('messages', 'expected an array of messages');
      if (entries.length > LIMITS.batchMessages) {
        throw new ApiError(400, 'batch_too_large', `messages: ${entries.length} entries, at most ${LIMITS.batchMessages} per batch`);
      }
      const results: BatchResult[] = new Array(entries.length);
      const accepted: NewMessage[] = [];
      const slots: number[] = []; // accepted[j] answers results[slots[j]]
      for (let i = 0; i < entries.length; i++) {
        try {
          accepted.push(readMessage(entries[i], `messages[${i}]`, ctx.maxPayloadBytes));
          slots.push(i);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          results[i] = error.toBody();
        }
      }
      if (accepted.length > 0) {
        const published = await publishOrNotFound(ctx, topic, accepted);
        for (let j = 0; j < published.length; j++) {
          const result = published[j];
          results[slots[j]] = result.ok ? { id: result.id, duplicate: result.duplicate } : conflict(result.firstId).toBody();
        }
      }
      reply.code(202);
      return { results };
    },
  );
}

/** The topic of the path, once the caller may publish to it and it exists (cache first). */
async function publishableTopic(ctx: RouteContext, request: FastifyRequest<TopicParams>): Promise<string> {
  const topic = topicName(request.params.topic);
  authorizeTopic(principalOf(request), topic);
  if ((await ctx.topics.get(topic)) === undefined) throw topicNotFound(topic);
  return topic;
}

async function publishOrNotFound(ctx: RouteContext, topic: string, messages: NewMessage[]): Promise<PublishResult[]> {
  const results = await ctx.broker.publish(topic, messages);
  if (results === undefined) {
    // Deleted since the cache said it exists (its change notice may still be on the way).
    ctx.topics.invalidate(topic);
    throw topicNotFound(topic);
  }
  return results;
}

function idempotencyHeader(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  // Node joins repeated custom headers with ", "; an array only comes from set-cookie-like headers.
  return Array.isArray(header) ? header.join(', ') : header;
}

const conflict = (firstId: string): ApiError =>
  new ApiError(409, 'idempotency_conflict', `this idempotency key was used for message ${firstId} with other content (payload, attributes or routingKey) within the topic's dedup window`);
