import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotDir } from '../helpers/browser.js';
import { lastCode, startPortal, totpCode } from '../helpers/portal.js';

const run = browserAvailable();

describe.runIf(run)('portal in Chromium', () => {
  let browser: Browser;
  let app: Server;
  let appPort: number;
  const shots = screenshotDir('portal');

  beforeAll(async () => {
    browser = await launchChromium();
    // The "protected app" the login sends users back to: it shows which host and path it served.
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

  it('signs in, enrols TOTP, signs out, signs in with two factors, and refuses a banned user', async () => {
    const world = await startPortal();
    const portal = world.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const appUrl = `http://app.gatehouse.localhost:${appPort}/hello?x=1`;
    const secureUrl = `http://secure.gatehouse.localhost:${appPort}/vault`;
    const context = await browser.newContext({ viewport: { width: 420, height: 800 } });
    const page = await context.newPage();

    // Bad password: the generic message, the username kept, focus on the field.
    await page.goto(`${portal}/?rd=${encodeURIComponent(appUrl)}`);
    await expect(page.title()).resolves.toBe('Sign in · Test Gate');
    await shot(page, '01-login');
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Authentication failed. Check your credentials.');
    await expect(page.getByLabel('Username').inputValue()).resolves.toBe('john');
    await shot(page, '02-bad-password');

    // Good password: straight back to the one-factor app.
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(appUrl);
    await expect(page.locator('#where').textContent()).resolves.toBe(`app.gatehouse.localhost:${appPort}/hello?x=1`);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'gatehouse_session')).toMatchObject({ domain: '.gatehouse.localhost', httpOnly: true, sameSite: 'Lax' });

    // Enrol TOTP: identity code by "e-mail", QR code and key, confirm with a code.
    await page.goto(`${portal}/2fa`);
    await shot(page, '03-second-factor-none-yet');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.getByText('We sent a one-time code to').waitFor();
    await shot(page, '04-identity-check');
    await page.getByLabel('Code from the e-mail').fill(lastCode(world.notifications));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${portal}/2fa/enroll`);
    await expect(page.locator('img.qr').isVisible()).resolves.toBe(true);
    await shot(page, '05-enrol-qr');
    const secret = (await page.locator('#secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32,}$/);
    await page.getByLabel('One-time code').fill(totpCode(secret, world.clock));
    await page.waitForURL(`${portal}/authenticated`);
    await page.getByText('with two factors').waitFor();
    await shot(page, '06-signed-in');

    // Sign out everywhere under the cookie domain.
    await page.goto(`${portal}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${portal}/logout`);
    await expect(page.locator('main').textContent()).resolves.toContain('You are signed out.');
    await shot(page, '07-signed-out');
    await page.goto(appUrl.replace('/hello?x=1', '/'));
    expect((await context.cookies()).find((c) => c.name === 'gatehouse_session')).toBeUndefined();

    // Two factors for the two-factor site; the code form submits itself when complete.
    world.clock.advance(30_000);
    await page.goto(`${portal}/?rd=${encodeURIComponent(secureUrl)}`);
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/2fa\?rd=/);
    await shot(page, '08-second-factor');
    await page.getByLabel('One-time code').fill(totpCode(secret, world.clock));
    await page.waitForURL(secureUrl);
    await expect(page.locator('#where').textContent()).resolves.toBe(`secure.gatehouse.localhost:${appPort}/vault`);

    // Brute force: after three failures the right password gets the same message.
    const attacker = await (await browser.newContext()).newPage();
    await attacker.goto(`${portal}/`);
    for (const password of ['a', 'b', 'c', 'bobpassword']) {
      await attacker.getByLabel('Username').fill('bob');
      await attacker.getByLabel('Password').fill(password);
      await attacker.getByRole('button', { name: 'Sign in' }).click();
      await expect(attacker.getByRole('alert').textContent()).resolves.toBe('Authentication failed. Check your credentials.');
    }
    await shot(attacker, '09-banned');
    await context.close();
  });
});
