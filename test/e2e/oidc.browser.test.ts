import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotDir } from '../helpers/browser.js';
import { callback, loopbackFetch, secret, startProvider } from '../helpers/oidc.js';
import { freePorts } from '../helpers/ports.js';

const run = browserAvailable();

describe.runIf(run)('OpenID Connect login and consent in Chromium', () => {
  let browser: Browser;
  const shots = screenshotDir('oidc');

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('signs in on the portal, consents, and hands the client a code it can exchange', async () => {
    // The issuer must be portal_url's origin, port included: the browser uses the real port.
    const [port] = await freePorts(1);
    const world = await startProvider({}, { port });
    const portal = world.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const context = await browser.newContext();
    const page = await context.newPage();
    // The relying party's callback: capture where the browser lands.
    let landed: URL | undefined;
    await page.route(`${callback}**`, async (route) => {
      landed = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>RP</title><h1>Signed in at the app</h1>' });
    });
    const authorize = `${portal}/api/oidc/authorization?${new URLSearchParams({ client_id: 'explicit', redirect_uri: callback, response_type: 'code', scope: 'openid profile email', state: 'browser-state', nonce: 'nonce-n1' })}`;
    await page.goto(authorize);
    await page.fill('#username', 'john');
    await page.fill('#password', 'password');
    await page.screenshot({ path: join(shots, 'login.png'), fullPage: true });
    await page.click('button[type=submit]');
    await page.waitForURL(/\/consent\?flow_id=/);
    expect(await page.textContent('#client-name')).toBe('Explicit <App>');
    expect(await page.textContent('#scopes')).toContain('email');
    await page.screenshot({ path: join(shots, 'consent.png'), fullPage: true });
    await page.click('#accept');
    await page.waitForURL(`${callback}**`);
    expect(await page.textContent('h1')).toBe('Signed in at the app');
    expect(landed?.searchParams.get('state')).toBe('browser-state');
    expect(landed?.searchParams.get('iss')).toBe(portal);
    const code = landed!.searchParams.get('code')!;
    const token = await loopbackFetch(new URL(world.gateway.url))(`${portal}/api/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback }).toString(),
      headers: { authorization: `Basic ${Buffer.from(`explicit:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(token.status).toBe(200);
    await context.close();
  }, 60_000);
});
