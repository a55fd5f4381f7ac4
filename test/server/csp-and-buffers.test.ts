import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { PortalClient, portalHost, startPortal } from '../helpers/portal.js';

/** Authelia's placeholder, written so that no linter reads it as a template. */
const nonce = `$${'{NONCE}'}`;

/** A raw GET with one header of `size` bytes, over a real connection (Node's header limit applies there). */
function getWithHeader(url: string, size: number): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path: '/api/health', headers: { host: portalHost, 'x-big': 'a'.repeat(size) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('server.headers.csp_template', () => {
  it("replaces the portal's policy, each ${NONCE} by a fresh nonce per answer", async () => {
    const { gateway } = await startPortal({
      server: { address: 'tcp://127.0.0.1:0', headers: { csp_template: `default-src 'self'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'` } },
    });
    const browser = new PortalClient(gateway);
    const policies = [(await browser.get('/')).headers['content-security-policy'], (await browser.get('/')).headers['content-security-policy']].map(String);
    for (const policy of policies) expect(policy).toMatch(/^default-src 'self'; script-src 'nonce-([A-Za-z0-9+/]{22}==)'; style-src 'nonce-\1'$/);
    expect(policies[0]).not.toBe(policies[1]);
    expect(String((await browser.login()).headers['content-security-policy'])).toMatch(/^default-src 'self'; script-src 'nonce-/);
  });

  it('keeps the built-in policy when absent', async () => {
    const { gateway } = await startPortal();
    const policy = String((await new PortalClient(gateway).get('/')).headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('nonce-');
  });
});

describe('server.buffers.read', () => {
  it('answers 431 to a request head larger than the limit, and serves one under it', async () => {
    const { gateway } = await startPortal({ server: { address: 'tcp://127.0.0.1:0', buffers: { read: 4096 } } });
    expect(await getWithHeader(gateway.url, 2000)).toBe(200);
    expect(await getWithHeader(gateway.url, 5000)).toBe(431);
  });

  it("keeps Node's 16 KiB when absent: a 10 KiB cookie header passes, 20 KiB does not", async () => {
    const { gateway } = await startPortal();
    expect(await getWithHeader(gateway.url, 10_000)).toBe(200);
    expect(await getWithHeader(gateway.url, 20_000)).toBe(431);
  });
});
