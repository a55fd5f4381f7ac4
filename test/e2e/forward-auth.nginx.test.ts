import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requireBinary, startNginx } from './forward-auth/fronts.js';
import { domain, front, runScenarios } from './forward-auth/scenarios.js';
import { setUp } from './forward-auth/setup.js';

const example = (name: string) => readFileSync(new URL(`../../examples/nginx/${name}`, import.meta.url), 'utf8');

describe.runIf(requireBinary('nginx', ['-v']))('nginx auth_request → /api/authz/auth-request (examples/nginx)', () => {
  it('runs the forward-auth scenarios end to end', async () => {
    const e = await setUp('front');
    await startNginx(e.dir, e.ports, {
      'authz-location.conf': example('authz-location.conf'),
      'auth-request.conf': example('auth-request.conf'),
      'proxy.conf': example('proxy.conf'),
    });
    await runScenarios(e.ports.front, e.upstream, e.cookieName, e.raise);
  });

  it('passes the client address to the networks rules and keeps the path as sent', async () => {
    const e = await setUp('front');
    await startNginx(e.dir, e.ports, {
      'authz-location.conf': example('authz-location.conf'),
      'auth-request.conf': example('auth-request.conf'),
      'proxy.conf': example('proxy.conf'),
    });
    // A client-supplied X-Forwarded-For is replaced by nginx ($remote_addr): no spoofing the intranet rule.
    const reply = await front(e.ports.front, `intranet.${domain}`, '/', { headers: { 'x-forwarded-for': '192.0.2.7' } });
    expect(reply.status).toBe(403);
    const dots = await front(e.ports.front, `app.${domain}`, '/a/%2e%2e/admin');
    expect(dots.status).toBe(302);
    expect(e.upstream.seen).toEqual([]);
  });
});
