import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { requireBinary, startCaddy } from './forward-auth/fronts.js';
import { runScenarios } from './forward-auth/scenarios.js';
import { setUp } from './forward-auth/setup.js';

const site = readFileSync(new URL('../../examples/caddy/site.caddy', import.meta.url), 'utf8');

describe.runIf(requireBinary('caddy', ['version']))('Caddy forward_auth → /api/authz/forward-auth (examples/caddy)', () => {
  it('runs the forward-auth scenarios end to end', async () => {
    const e = await setUp('front');
    await startCaddy(e.dir, e.ports, site);
    const version = execFileSync('caddy', ['version'], { encoding: 'utf8' });
    // Caddy before 2.7 leaves `{http.reverse_proxy.header.X}` in place of an absent header.
    const old = /^v?2\.[0-6]\./.test(version.trim());
    await runScenarios(e.ports.front, e.upstream, e.cookieName, e.raise, old ? { placeholderWhenAbsent: 'http.reverse_proxy.header.' } : {});
  });
});
