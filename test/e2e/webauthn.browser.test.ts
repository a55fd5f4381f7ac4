import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotDir } from '../helpers/browser.js';
import { lastCode, startPortal } from '../helpers/portal.js';

const run = browserAvailable();

/**
 * Security keys and passkeys in a real Chromium, with its virtual authenticator (DevTools
 * protocol `WebAuthn.addVirtualAuthenticator`) standing in for the key: the pages, our script,
 * @simplewebauthn/browser's bundle and the browser's own WebAuthn checks (RP ID, origin) all run.
 */
describe.runIf(run)('WebAuthn in Chromium with a virtual authenticator', () => {
  let browser: Browser;
  let app: Server;
  let appPort: number;
  const shots = screenshotDir('webauthn');

  beforeAll(async () => {
    browser = await launchChromium();
    app = createServer((req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>App</title><h1>App page</h1><p id="where">${req.headers.host}${req.url}</p>`);
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    appPort = (app.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await browser?.close();
    app?.close();
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }

  /** A roaming key (USB, cross-platform) that holds passkeys and verifies its user (a PIN). */
  async function virtualKey(context: BrowserContext, page: Page) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'usb',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return {
      credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    };
  }

  it('registers a key, signs in with it as the second factor, then signs in with it as a passkey', async () => {
    const world = await startPortal({ webauthn: { enable_passkey_login: true } });
    const portal = world.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const appUrl = `http://app.gatehouse.localhost:${appPort}/hello`;
    const secureUrl = `http://secure.gatehouse.localhost:${appPort}/vault`;
    const context = await browser.newContext({ viewport: { width: 420, height: 800 } });
    const page = await context.newPage();
    const key = await virtualKey(context, page);

    // Password first, then add a key from the settings (identity check by e-mail).
    await page.goto(`${portal}/`);
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // No target: a second factor is used on this site, so the sign-in goes on to /2fa.
    await page.waitForURL(`${portal}/2fa`);
    await page.goto(`${portal}/settings/webauthn`);
    await shot(page, '01-register-identity');
    await page.getByRole('button', { name: 'Send the code' }).click();
    await page.getByText('We sent a one-time code to').waitFor();
    await page.getByLabel('Code from the e-mail').fill(lastCode(world.notifications));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${portal}/settings/webauthn`);
    await shot(page, '02-register-name');
    await page.getByLabel('Name').fill('Blue key');
    await page.getByRole('button', { name: 'Add the key' }).click();
    await page.waitForURL(`${portal}/settings?done=webauthn-added`);
    await shot(page, '03-settings-after-adding');
    const stored = await world.gateway.storage.webauthn.list('john');
    expect(stored).toMatchObject([{ description: 'Blue key', rpId: 'gatehouse.localhost', discoverable: true }]);
    expect(await key.credentials()).toHaveLength(1);

    // Sign out; the two-factor site: password, then the key.
    await page.goto(`${portal}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${portal}/?rd=${encodeURIComponent(secureUrl)}`);
    await shot(page, '04-login-with-passkey-button');
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/2fa\?rd=/);
    await shot(page, '05-second-factor-key');
    await page.getByRole('button', { name: 'Use your security key' }).click();
    await page.waitForURL(secureUrl);
    await expect(page.locator('#where').textContent()).resolves.toBe(`secure.gatehouse.localhost:${appPort}/vault`);
    const afterTwoFactors = (await world.gateway.storage.webauthn.list('john'))[0];
    expect(afterTwoFactors?.lastUsedAt).toBeDefined();

    // Sign out; a passkey alone: one factor, enough for the one-factor app.
    await page.goto(`${portal}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.goto(`${portal}/?rd=${encodeURIComponent(appUrl)}`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(appUrl);

    // The two-factor site then asks for the password (not the same key again).
    await page.goto(`${portal}/?rd=${encodeURIComponent(secureUrl)}`);
    await page.waitForURL(/\/2fa\?rd=/);
    await expect(page.getByRole('button', { name: 'Use your security key' }).count()).resolves.toBe(0);
    await shot(page, '06-passkey-then-password');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(secureUrl);
    await context.close();
    await world.gateway.close();
  }, 60_000);

  it('counts a user-verified passkey as two factors with the experimental key; a cancelled ceremony leaves a message', async () => {
    const world = await startPortal({ webauthn: { enable_passkey_login: true, experimental_enable_passkey_uv_two_factors: true, timeout: '5s' } });
    const portal = world.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const secureUrl = `http://secure.gatehouse.localhost:${appPort}/vault`;
    const context = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await virtualKey(context, page);

    await page.goto(`${portal}/`);
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // No target: a second factor is used on this site, so the sign-in goes on to /2fa.
    await page.waitForURL(`${portal}/2fa`);
    await page.goto(`${portal}/settings/webauthn`);
    await page.getByRole('button', { name: 'Send the code' }).click();
    await page.getByLabel('Code from the e-mail').fill(lastCode(world.notifications));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Name').fill('Laptop');
    await page.getByRole('button', { name: 'Add the key' }).click();
    await page.waitForURL(`${portal}/settings?done=webauthn-added`);
    await page.goto(`${portal}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();

    // The passkey verified the user (a PIN): straight to the two-factor site.
    await page.goto(`${portal}/?rd=${encodeURIComponent(secureUrl)}`);
    await shot(page, '07-login-desktop');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL(secureUrl);

    // A browser with no authenticator: the ceremony fails and the page says so, nothing posted.
    const bare = await browser.newContext();
    const other = await bare.newPage();
    const cdp = await bare.newCDPSession(other);
    await cdp.send('WebAuthn.enable');
    await other.goto(`${portal}/`);
    await other.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await other.getByText('The request was cancelled or timed out. Try again.').waitFor({ timeout: 30_000 });
    await shot(other, '08-passkey-cancelled');
    expect(other.url()).toBe(`${portal}/`);
    await bare.close();
    await context.close();
    await world.gateway.close();
  }, 60_000);
});
