import type { RouteOptions } from 'fastify';
import { healthGET } from './health.js';

/**
 * Every route the gateway serves, in one table: method, path, handler. Areas added by later
 * features (forward-auth, portal, OIDC, proxy) add their rows here.
 */
export function routeTable(): RouteOptions[] {
  return [{ method: ['GET', 'HEAD'], url: '/api/health', handler: healthGET }];
}
