import { request } from 'node:http';
import { type AuthzWorld, startAuthzGateway } from '../authz/fixtures.js';
import { startUpstream, type Upstream } from './upstream.js';

export const domain = 'example.localhost';
export const portal = 'http://auth.example.localhost:9091';

export interface ProxyWorld extends AuthzWorld {
  readonly upstream: Upstream;
  readonly port: number;
}

/**
 * A gateway proxying `{app,secure,deny,public,intranet}.example.localhost` to one recording
 * upstream. `trusted_proxies` excludes loopback unless asked, so the test client is an
 * untrusted client whose forwarded headers must not be believed. `overrides` are merged into the
 * configuration (an OpenID Connect provider, other rules).
 */
export async function startProxyWorld(
  options: { trusted?: string[]; upstream?: Record<string, unknown>; overrides?: Record<string, unknown> } = {},
): Promise<ProxyWorld> {
  const upstream = await startUpstream();
  const site = (name: string) => ({ domain: `${name}.${domain}`, target: upstream.url, websocket: true, timeout: '1s', ...options.upstream });
  const world = await startAuthzGateway(
    {
      server: { address: 'tcp://127.0.0.1:0', trusted_proxies: options.trusted ?? ['10.99.0.0/16'] },
      proxy: { upstreams: ['app', 'secure', 'deny', 'public', 'intranet'].map(site) },
      ...options.overrides,
    },
    domain,
    portal,
  );
  return { ...world, upstream, port: Number(new URL(world.gateway.url).port) };
}

export interface Got {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One real HTTP request to the gateway's listener, as a client would send it. */
export function send(
  world: ProxyWorld,
  host: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: world.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `${host}:${world.port}`, accept: 'text/html', ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
