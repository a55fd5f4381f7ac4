import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotDir } from '../helpers/browser.js';
import { lastCode, startPortal, totpCode } from '../helpers/portal.js';

const run = browserAvailable();

const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

/**
 * The settings page in a real Chromium: the same user signed in on a laptop (desktop width) and
 * a phone (420 px, an iPhone's User-Agent); every action is a plain form.
 */
describe.runIf(run)('the settings page in Chromium', () => {
  let browser: Browser;
  const shots = screenshotDir('settings');

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }

  async function signIn(page: Page, portal: string): Promise<void> {
    await page.goto(`${portal}/?rd=${encodeURIComponent(`${portal}/settings`)}`);
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  const sessionsOn = (page: Page) => page.locator('#session-list .device').allTextContents();

  it('lists both sessions, sets up TOTP, chooses the preferred method, renames a key, and signs the other device out', async () => {
    const world = await startPortal();
    const portal = world.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const laptopContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const phoneContext = await browser.newContext({ viewport: { width: 420, height: 860 }, userAgent: iphone });
    const laptop = await laptopContext.newPage();
    const phone = await phoneContext.newPage();

    await signIn(phone, portal);
    await phone.waitForURL(`${portal}/settings`);
    world.clock.advance(60_000);
    await signIn(laptop, portal);
    await laptop.waitForURL(`${portal}/settings`);
    await expect(laptop.title()).resolves.toBe('Settings · Test Gate');
    await expect(sessionsOn(laptop)).resolves.toEqual(['Chrome on Linux', 'Safari on iPhone']);
    await expect(laptop.locator('.session.current .badge').textContent()).resolves.toBe('This device');
    await phone.reload();
    await expect(sessionsOn(phone)).resolves.toEqual(['Safari on iPhone', 'Chrome on Linux']);
    await shot(laptop, '01-desktop-two-sessions');

    // The authenticator app: the enrolment form comes back to the settings.
    await laptop.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await laptop.getByLabel('Code from the e-mail').fill(lastCode(world.notifications));
    await laptop.getByRole('button', { name: 'Continue' }).click();
    const secret = (await laptop.locator('#secret').textContent()) ?? '';
    await laptop.getByLabel('One-time code').fill(totpCode(secret, world.clock));
    await laptop.waitForURL(`${portal}/settings?done=totp-added`);
    await expect(laptop.getByRole('status').textContent()).resolves.toBe('Your authenticator app is set up: its codes are now a second factor.');
    await expect(laptop.locator('#totp').textContent()).resolves.toContain('Set up: its one-time codes are a second factor.');
    await shot(laptop, '02-desktop-totp-added');

    // A security key as well (stored as a registration would): the preferred method, and a rename.
    await world.gateway.storage.webauthn.add({
      username: 'john',
      rpId: 'gatehouse.localhost',
      credentialId: 'Y3JlZC0x',
      description: 'YubiKey 5C NFC',
      publicKey: Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26]),
      signCount: 0,
      transports: ['usb'],
      aaguid: '00000000-0000-0000-0000-000000000000',
      discoverable: true,
      backupEligible: false,
      backedUp: false,
      createdAt: world.clock.now(),
      lastUsedAt: undefined,
    });
    await laptop.goto(`${portal}/settings`);
    await expect(laptop.getByLabel('Authenticator app').isChecked()).resolves.toBe(true);
    await laptop.getByLabel('Security key or passkey').check();
    await laptop.getByRole('button', { name: 'Save' }).click();
    await laptop.waitForURL(`${portal}/settings?done=method-saved`);
    await expect(laptop.getByLabel('Security key or passkey').isChecked()).resolves.toBe(true);
    await expect(world.gateway.storage.preferences.secondFactorMethod('john')).resolves.toBe('webauthn');
    await laptop.getByLabel('New name for YubiKey 5C NFC').fill('Blue key');
    await laptop.getByRole('button', { name: 'Rename YubiKey 5C NFC' }).click();
    await laptop.waitForURL(`${portal}/settings?done=key-renamed`);
    await expect(laptop.locator('.credential .name').textContent()).resolves.toBe('Blue key');
    await shot(laptop, '03-desktop-key-and-preferred');

    // The phone signed in with a password only: it must confirm with a second factor to change them.
    await phone.reload();
    await expect(phone.locator('#confirm-first').isVisible()).resolves.toBe(true);
    await expect(phone.getByRole('button', { name: 'Remove Blue key' }).count()).resolves.toBe(0);
    await shot(phone, '04-mobile-confirm-first');

    // "Sign out everywhere else" keeps the laptop and signs the phone out.
    await laptop.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await laptop.waitForURL(`${portal}/settings?done=others-ended`);
    await expect(sessionsOn(laptop)).resolves.toEqual(['Chrome on Linux']);
    await expect(laptop.getByText('You are signed in nowhere else.').isVisible()).resolves.toBe(true);
    await shot(laptop, '05-desktop-others-signed-out');
    await laptop.emulateMedia({ colorScheme: 'dark' });
    await shot(laptop, '05-desktop-others-signed-out-dark');
    await phone.reload();
    await phone.waitForURL(/\/\?rd=/);
    await expect(phone.getByLabel('Username').isVisible()).resolves.toBe(true);

    // The phone signs in again, confirms with its second factor from the settings' link (the key is
    // preferred and offered first; the app's code works too), and then may change them.
    world.clock.advance(30_000);
    await phone.getByLabel('Username').fill('john');
    await phone.getByLabel('Password').fill('password');
    await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
    await phone.waitForURL(`${portal}/settings`);
    await phone.getByRole('link', { name: 'confirm it is you with your second factor' }).click();
    await phone.waitForURL(/\/2fa\?rd=/);
    await shot(phone, '06-mobile-second-factor');
    await phone.getByLabel('One-time code').fill(totpCode(secret, world.clock));
    await phone.waitForURL(`${portal}/settings`);
    await expect(phone.getByRole('button', { name: 'Remove Blue key' }).isVisible()).resolves.toBe(true);
    await shot(phone, '07-mobile-two-factors');
    await laptopContext.close();
    await phoneContext.close();
  }, 60_000);
});
