/**
 * The broker's HTTP API v1 (SPEC §3) as a fastify app, not yet listening: the caller listens
 * and closes it. Everything the routes do goes through `BrokerService` (broker/service.ts).
 *
 *   request ─► onRequest: config.access → authenticate (auth.ts) → rate limit → role
 *           ─► body: application/json only (415), fastify's body limit per route
 *           ─► route handler (routes/*.ts): validate (validation.ts, message-input.ts),
 *              authorise topic, call the service (service-guard.ts: rejection → 503)
 *           ─► errors of any kind (error-handler.ts) → {"error":{"code","message"}}
 *           ─► onResponse: access line, audit line for mutating calls (audit.ts)
 *
 * Not here yet, by design of the issue plan: GET /v1/subscriptions/:id/stream (WebSocket) and
 * GET /metrics (Prometheus). Both paths answer 404 until their modules register routes in
 * `registerRoutes` below.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { BrokerService } from '../service.js';
import { logAccess, logAudit } from './audit.js';
import { Authenticator, requireRole } from './auth.js';
import { clientErrorHandler } from './connection-errors.js';
import { ApiError } from './errors.js';
import { installErrorHandling, schemaErrorFormatter, sendError, toApiError } from './error-handler.js';
import { collectRoutes, registerMethodNotAllowed } from './method-not-allowed.js';
import { RateLimiter } from './rate-limit.js';
import './request-context.js';
import type { RouteContext } from './routes/context.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerPublishRoutes } from './routes/publish.js';
import { registerPullRoutes } from './routes/pull.js';
import { registerSubscriptionRoutes } from './routes/subscriptions.js';
import { registerTopicRoutes } from './routes/topics.js';
import { guardService } from './service-guard.js';
import { SubscriptionCache } from './subscription-cache.js';
import { DEFAULT_TOPIC_CACHE_SIZE, TopicCache } from './topic-cache.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

/** Fails at the first non-space character, so a large body is not scanned. */
const BLANK = /^\s*$/;

export interface HttpAppOptions {
  readonly service: BrokerService;
  /** The operator's Bearer token with role admin; not stored (compared as a SHA-256 hash). */
  readonly adminKey: string;
  /** Largest payload in bytes (decoded base64, or the UTF-8 JSON of `payload`); default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /** Requests per second for keys without their own `ratePerSec`; null (default): unlimited. */
  readonly defaultRatePerSec?: number | null;
  /** Access and audit lines (pino JSON). */
  readonly logger: Logger;
  /** Entries of the frontend's LRU caches, each: topic records, and subscriptions' fixed facts; default 10 000. */
  readonly topicCacheSize?: number;
  /** Clock for rate limiting and record timestamps; default Date.now. */
  readonly now?: () => number;
}

/** Builds the app with every route registered; it does not listen. Closing it stops its topic
 * cache listening for changes; it does not stop the service. */
export function buildHttpApp(options: HttpAppOptions): FastifyInstance {
  const maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 1) {
    throw new RangeError(`expected maxPayloadBytes to be a positive integer, got: ${maxPayloadBytes}`);
  }
  const now = options.now ?? Date.now;
  const logger = options.logger;
  const broker = guardService(options.service);
  const ctx: RouteContext = {
    broker,
    auth: new Authenticator(broker, options.adminKey),
    rateLimiter: new RateLimiter(options.defaultRatePerSec ?? null, now),
    topics: new TopicCache(broker, options.topicCacheSize ?? DEFAULT_TOPIC_CACHE_SIZE),
    subscriptions: new SubscriptionCache(broker, options.topicCacheSize ?? DEFAULT_TOPIC_CACHE_SIZE),
    maxPayloadBytes,
    now,
  };

  const app = Fastify({
    logger: false, // our own access and audit lines (audit.ts), without bodies or headers
    routerOptions: { maxParamLength: 1024 }, // topic names are up to 256 characters
    exposeHeadRoutes: true,
    schemaErrorFormatter,
    clientErrorHandler,
    // While closing, new requests get our 503 (the onRequest hook below), not fastify's body.
    return503OnClosing: false,
    // Bad percent-encoding in the URL, over-long path parameters: answered in our shape too.
    frameworkErrors: (error, request, reply) => void sendError(request, reply, toApiError(error)),
  });
  installErrorHandling(app, logger);
  installJsonParser(app);
  app.decorateRequest('principal', null);
  app.decorateRequest('auditTarget', null);
  app.decorateRequest('receivedAt', 0);

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.addHook('onRequest', async (request, reply) => {
    request.receivedAt = now();
    if (closing) {
      reply.header('connection', 'close');
      throw new ApiError(503, 'unavailable', 'the broker is shutting down; retry on another node or after restart', { 'retry-after': '1' });
    }
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return; // 404, 405, health
    const principal = await ctx.auth.authenticate(request.headers.authorization);
    request.principal = principal;
    // Throttle before the role check: every authenticated request spends from its key's rate.
    const retryAfter = ctx.rateLimiter.take(principal);
    if (retryAfter > 0) {
      throw new ApiError(429, 'rate_limited', `key "${principal.name}" is over its rate; retry in ${retryAfter} s`, { 'retry-after': String(retryAfter) });
    }
    requireRole(principal, access.roles);
  });

  app.addHook('onResponse', async (request, reply) => {
    logAccess(logger, request, reply);
    logAudit(logger, request, reply);
  });

  app.addHook('onClose', async () => {
    ctx.topics.close();
    ctx.subscriptions.clear();
  });

  const methodsByPath = collectRoutes(app);
  registerRoutes(app, ctx);
  registerMethodNotAllowed(app, methodsByPath);
  return app;
}

function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerHealthRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerTopicRoutes(app, ctx);
  registerPublishRoutes(app, ctx);
  registerSubscriptionRoutes(app, ctx);
  registerPullRoutes(app, ctx);
  registerDeadLetterRoutes(app, ctx);
  // Later: registerStreamRoutes (WebSocket, /v1/subscriptions/:id/stream), registerMetricsRoutes (/metrics).
}

/**
 * JSON is the only body type (any charset; others: 415). An empty body reads as absent, so
 * routes whose body is optional (pull, redrive) take `Content-Type: application/json` with no
 * body. `__proto__` and `constructor.prototype` keys are refused as invalid JSON (fastify's
 * secure parser) rather than ever reaching an object.
 */
function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (BLANK.test(text)) {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) done(new ApiError(400, 'invalid_json', `the body is not valid JSON: ${error.message}`), undefined);
      else done(null, value);
    });
  });
}
