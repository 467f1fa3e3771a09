/**
 * What a route declares about itself (`config.access`) and what the hooks attach to a request
 * (`principal`, `auditTarget`), typed for fastify by declaration merging.
 *
 *   route config.access ──► onRequest hook (app.ts): authenticate, role, rate ──► request.principal
 *   route handler ──► request.auditTarget (what a create made) ──► onResponse: audit line
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from './auth.js';
import type { Role } from '../store/types.js';

/** `public`: no key needed. Otherwise the roles that may call the route (admin always may). */
export type Access = 'public' | { readonly roles: readonly Role[] };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the access hook on every route that needs a key. */
    principal: Principal | null;
    /** What the call acted on when the path does not say it (the id a create made). */
    auditTarget: string | null;
    /** When the request arrived, by the app's clock (the audit line's `when`); 0 before the
     * first hook ran (requests the router refused outright). */
    receivedAt: number;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** The caller of a route that declared roles (the access hook ran before the handler). */
export function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === null) throw new TypeError(`route ${request.routeOptions.url} declared no access roles but reads the caller`);
  return principal;
}
