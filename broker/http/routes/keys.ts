/**
 * API keys (admin only): POST /v1/keys → 201 `{id, key, name, role, topics, ratePerSec, createdAt}`
 * (the only time the key is shown: the store keeps its SHA-256), DELETE /v1/keys/:id → 204.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { validateFilter } from '../../routing/topic-filter.js';
import type { ApiKeyRecord, Role } from '../../store/types.js';
import { hashKey } from '../auth.js';
import { ApiError, invalidRequest, preview } from '../errors.js';
import { LIMITS, SMALL_BODY_LIMIT } from '../limits.js';
import { iso } from '../views.js';
import { expectObject, own, rejectUnknownFields, requiredString, type JsonObject } from '../validation.js';
import { ADMIN_ONLY, isPossibleId, type RouteContext } from './context.js';

const KEY_FIELDS: ReadonlySet<string> = new Set(['name', 'role', 'topics', 'ratePerSec']);
const ROLES: readonly Role[] = ['admin', 'publisher', 'subscriber'];

/** Keys carry a prefix so a leaked one is recognisable in logs and secret scanners. */
const KEY_PREFIX = 'pbk_';

export function registerKeyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post('/v1/keys', { config: { access: ADMIN_ONLY }, bodyLimit: SMALL_BODY_LIMIT }, async (request, reply) => {
    const body = expectObject(request.body, '');
    rejectUnknownFields(body, KEY_FIELDS, '');
    const name = requiredString(body, 'name', '', LIMITS.keyNameChars);
    const role = readRole(body);
    const topics = readTopicPatterns(body, role);
    const ratePerSec = readRate(body);
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = { id: randomUUID(), keyHash: hashKey(key), name, role, topics, ratePerSec, createdAt: ctx.now() };
    await ctx.broker.createKey(record);
    request.auditTarget = record.id;
    reply.code(201);
    return { id: record.id, key, name, role, topics, ratePerSec, createdAt: iso(record.createdAt) };
  });

  app.delete<{ Params: { id: string } }>('/v1/keys/:id', { config: { access: ADMIN_ONLY } }, async (request, reply) => {
    const { id } = request.params;
    if (!isPossibleId(id) || !(await ctx.broker.deleteKey(id))) {
      throw new ApiError(404, 'key_not_found', `API key ${preview(id)} does not exist`);
    }
    ctx.auth.forget(id);
    ctx.rateLimiter.forget(id);
    return reply.code(204).send();
  });
}

function readRole(body: JsonObject): Role {
  const role = own(body, 'role');
  if (!ROLES.includes(role as Role)) throw invalidRequest('role', `expected one of ${ROLES.join(', ')}, got: ${preview(role)}`);
  return role as Role;
}

/** Topic-name patterns in filter syntax; omitted or null: every topic. */
function readTopicPatterns(body: JsonObject, role: Role): string[] | null {
  const value = own(body, 'topics');
  if (value === undefined || value === null) return null;
  if (role === 'admin') throw invalidRequest('topics', 'admin keys act on every topic; give topics only to publisher and subscriber keys');
  if (!Array.isArray(value) || value.length === 0 || value.length > LIMITS.keyTopicPatterns) {
    throw invalidRequest('topics', `expected an array of 1 to ${LIMITS.keyTopicPatterns} topic patterns (omit it for every topic)`);
  }
  return value.map((pattern: unknown, i) => {
    const checked = validateFilter(pattern);
    if (!checked.ok) throw invalidRequest(`topics[${i}]`, checked.error.message);
    return pattern as string;
  });
}

function readRate(body: JsonObject): number | null {
  const value = own(body, 'ratePerSec');
  if (value === undefined || value === null) return null;
  const { min, max } = LIMITS.ratePerSec;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidRequest('ratePerSec', `expected a number from ${min} to ${max} (or null for the server default), got: ${preview(value)}`);
  }
  return value;
}
