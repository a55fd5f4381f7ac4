import type { AuthzWorld } from './fixtures.js';
import { injectListener } from '../helpers/gateway.js';

export type Flavour = 'forward-auth' | 'auth-request' | 'ext-authz' | 'legacy';
export const flavours: readonly Flavour[] = ['forward-auth', 'auth-request', 'ext-authz', 'legacy'];

export interface Asked {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
}

/**
 * Asks `flavour` about `url` the way its proxy would (headers per authelia.md §2), with extra
 * client headers (Accept, Cookie…). `query` is appended to the endpoint path.
 */
export async function ask(
  world: AuthzWorld,
  flavour: Flavour,
  url: string,
  options: { method?: string; headers?: Record<string, string>; query?: string; remoteAddress?: string } = {},
): Promise<Asked> {
  const method = options.method ?? 'GET';
  const target = new URL(url);
  const uri = `${target.pathname}${target.search}`;
  const proto = target.protocol.replace(':', '');
  const query = options.query ? `?${options.query}` : '';
  const base = { accept: 'text/html,application/xhtml+xml', ...options.headers };
  const request = (() => {
    switch (flavour) {
      case 'forward-auth':
        return {
          method: 'GET' as const,
          url: `/api/authz/forward-auth${query}`,
          headers: { ...base, 'x-forwarded-method': method, 'x-forwarded-proto': proto, 'x-forwarded-host': target.host, 'x-forwarded-uri': uri },
        };
      case 'auth-request':
        return { method: 'GET' as const, url: `/api/authz/auth-request${query}`, headers: { ...base, 'x-original-method': method, 'x-original-url': url } };
      case 'ext-authz':
        return { method: method as 'GET', url: `/api/authz/ext-authz${uri}`, headers: { ...base, host: target.host, 'x-forwarded-proto': proto } };
      case 'legacy':
        return {
          method: 'GET' as const,
          url: `/api/verify${query || `?rd=${encodeURIComponent(`https://auth.${target.hostname.split('.').slice(-2).join('.')}`)}`}`,
          headers: { ...base, 'x-original-url': url, 'x-forwarded-method': method },
        };
    }
  })();
  const reply = await injectListener(world.gateway, { ...request, remoteAddress: options.remoteAddress ?? '127.0.0.1' });
  return { status: reply.statusCode, headers: reply.headers, body: reply.body };
}

export function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}
