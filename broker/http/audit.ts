/**
 * Two kinds of log line, both pino JSON, written when a response has been sent:
 *
 * - access: every request — method, URL, status, duration, key id.
 * - audit: every mutating call (POST, PUT, PATCH, DELETE on a known route, refused ones too):
 *   who (key id, name, role; null when unauthenticated), what (method, route, target), when
 *   (ISO time the request arrived), outcome (status, and `ok` or the error code).
 *
 * Neither ever contains a body: keys, secrets and payloads stay out of logs.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The error code an error response carried, stashed by the error handler for the audit line. */
export const errorCodeOf = new WeakMap<FastifyRequest, string>();

export function logAccess(logger: Logger, request: FastifyRequest, reply: FastifyReply): void {
  logger.info(
    {
      kind: 'access',
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      keyId: request.principal?.id ?? null,
    },
    'request',
  );
}

export function logAudit(logger: Logger, request: FastifyRequest, reply: FastifyReply): void {
  const route = request.routeOptions.url;
  // Unknown routes and wrong methods (routes without `access`) change nothing: access log only.
  if (!MUTATING.has(request.method) || route === undefined || request.routeOptions.config.access === undefined) return;
  const principal = request.principal;
  const params = request.params as Record<string, string> | undefined;
  logger.info(
    {
      kind: 'audit',
      who: principal === null ? null : { keyId: principal.id, name: principal.name, role: principal.role },
      what: { method: request.method, route, target: request.auditTarget ?? params?.topic ?? params?.id ?? null },
      when: new Date(request.receivedAt).toISOString(),
      outcome: { status: reply.statusCode, result: errorCodeOf.get(request) ?? 'ok' },
    },
    'audit',
  );
}
