/**
 * 405 for a known path with another method (SPEC §3: "unknown route / wrong method → 404 / 405").
 * The router cannot tell "no such path" from "no such method" in its not-found handler, so every
 * path gets explicit routes for the methods it lacks, answering 405 with an `Allow` header.
 * They declare no access, so they need no key (like the 404).
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { ApiError } from './errors.js';
import { sendError } from './error-handler.js';

const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** Collects the methods of every route registered after this call (HEAD comes with GET). */
export function collectRoutes(app: FastifyInstance): Map<string, Set<string>> {
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    if (route.config?.methodNotAllowed === true) return;
    let methods = methodsByPath.get(route.url);
    if (methods === undefined) methodsByPath.set(route.url, (methods = new Set()));
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) methods.add(method);
  });
  return methodsByPath;
}

/** Registers the 405 routes for the paths collected; call after every real route. */
export function registerMethodNotAllowed(app: FastifyInstance, methodsByPath: ReadonlyMap<string, ReadonlySet<string>>): void {
  for (const [url, methods] of methodsByPath) {
    const allowed = METHODS.filter((m) => methods.has(m));
    const missing = METHODS.filter((m) => !methods.has(m));
    if (missing.length === 0) continue;
    const allow = allowed.join(', ');
    app.route({
      method: missing,
      url,
      config: { methodNotAllowed: true },
      // Answered in onRequest, before any body is read: a wrong method is 405 whatever it carries.
      onRequest: (request, reply, done) => {
        sendError(request, reply, new ApiError(405, 'method_not_allowed', `${request.method} is not allowed on ${url}; allowed: ${allow}`, { allow }));
        done();
      },
      handler: () => {
        throw new TypeError('unreachable: the 405 is sent in onRequest');
      },
    });
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Marks the 405 routes, so they are not collected as real ones. */
    methodNotAllowed?: boolean;
  }
}
