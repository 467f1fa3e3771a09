/**
 * GET /healthz (the process answers) and GET /readyz (every component of the broker is up).
 * Neither needs a key, so load balancers and orchestrators can probe them.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { RouteContext } from './context.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/healthz', { config: { access: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'public' } }, async () => {
    // A rejection is already a 503 `unavailable` (service-guard.ts).
    if (!(await ctx.broker.ready())) {
      throw new ApiError(503, 'unavailable', 'not every broker component is running', { 'retry-after': '1' });
    }
    return { status: 'ok' };
  });
}
