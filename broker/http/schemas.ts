/**
 * JSON schemas for query strings, validated by fastify (with its type coercion: `?limit=10` is
 * the integer 10; unknown parameters are ignored). Failures become 400 `invalid_request` naming the parameter
 * (error-handler.ts `schemaErrorFormatter`). Bodies are checked by hand (validation.ts says why).
 */
import { LIMITS } from './limits.js';

export interface TopicListQuery {
  limit?: number;
  cursor?: string;
}

export const topicListQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: LIMITS.topicPage.min, maximum: LIMITS.topicPage.max },
    // A cursor is the last topic name of the previous page.
    cursor: { type: 'string', maxLength: 256 },
  },
} as const;

export interface DeadLetterQuery {
  limit?: number;
}

export const deadLetterQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: LIMITS.deadLetterPage.min, maximum: LIMITS.deadLetterPage.max },
  },
} as const;
