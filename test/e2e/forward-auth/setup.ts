import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AuthzWorld, raiseToTwoFactor, startAuthzGateway } from '../../authz/fixtures.js';
import { startUpstream, type Upstream } from '../../proxy/upstream.js';
import { freePorts } from '../../helpers/ports.js';
import { domain } from './scenarios.js';

export interface E2E {
  readonly world: AuthzWorld;
  readonly upstream: Upstream;
  readonly ports: { front: number; gatehouse: number; upstream: number };
  readonly dir: string;
  readonly cookieName: string;
  readonly raise: (cookie: string) => Promise<void>;
}

/**
 * A gateway on a free port whose portal is `http://auth.example.localhost:<front>` (the front
 * being nginx, Caddy, or the gateway itself in proxy mode) and a recording upstream.
 */
export async function setUp(mode: 'front' | 'proxy'): Promise<E2E> {
  const upstream = await startUpstream();
  const [gatehouse = 0, other = 0] = await freePorts(2);
  const frontPort = mode === 'proxy' ? gatehouse : other;
  const proxy =
    mode === 'proxy' ? { upstreams: ['app', 'secure', 'deny', 'public'].map((name) => ({ domain: `${name}.${domain}`, target: upstream.url })) } : undefined;
  const world = await startAuthzGateway(
    { server: { address: `tcp://127.0.0.1:${gatehouse}` }, ...(proxy ? { proxy } : {}) },
    domain,
    `http://auth.${domain}:${frontPort}`,
  );
  const cookieName = world.config.session.cookies[0]!.name;
  return {
    world,
    upstream,
    ports: { front: frontPort, gatehouse, upstream: upstream.port },
    dir: mkdtempSync(join(tmpdir(), 'gatehouse-front-')),
    cookieName,
    raise: (cookie) => raiseToTwoFactor(world, cookie.split('=')[1]!),
  };
}
