import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotDir } from '../helpers/browser.js';
import { lastCode, startPortal } from '../helpers/portal.js';

const run = browserAvailable();

describe.runIf(run)('password change in Chromium', () => {
  let browser: Browser;
  const shots = screenshotDir('password-change');

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }

  async function signIn(page: Page, password: string): Promise<void> {
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('signs in, changes the password (current one, then an e-mailed code), and signs in with the new one', async () => {
    const world = await startPortal({ password_policy: { standard: { enabled: true, min_length: 10, require_number: true } } });
    const portal = world.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const settings = `${portal}/settings/password`;
    const context = await browser.newContext({ viewport: { width: 420, height: 800 } });
    const page = await context.newPage();

    // Not signed in: the sign-in page first, then back to the form.
    await page.goto(settings);
    await page.waitForURL(/\/\?rd=/);
    await signIn(page, 'password');
    await page.waitForURL(settings);
    await expect(page.title()).resolves.toBe('Change your password · Test Gate');
    await expect(page.locator('#policy').textContent()).resolves.toBe('It must be at least 10 characters, with a number.');
    await shot(page, '01-form');

    // A password the policy refuses: the message names the rules, the form is there again.
    await page.getByLabel('Current password').fill('password');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('New password again').fill('short');
    await page.getByRole('button', { name: 'Change the password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('The new password must be at least 10 characters, and must contain a number.');
    await shot(page, '02-policy-refused');

    await page.getByLabel('Current password').fill('password');
    await page.getByLabel('New password', { exact: true }).fill('new-secret-1');
    await page.getByLabel('New password again').fill('new-secret-1');
    await page.getByRole('button', { name: 'Change the password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await shot(page, '03-changed');

    // Still signed in here: the form opens without a sign-in.
    await page.goto(settings);
    await expect(page.title()).resolves.toBe('Change your password · Test Gate');

    // Sign out, then in: the old password is refused, the new one works.
    await page.goto(`${portal}/logout`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    await page.goto(settings);
    await page.waitForURL(/\/\?rd=/);
    await signIn(page, 'password');
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Authentication failed. Check your credentials.');
    await signIn(page, 'new-secret-1');
    await page.waitForURL(settings);

    // Forgot the current password: an e-mailed code stands in for it.
    await page.getByRole('button', { name: 'Confirm with an e-mailed code instead' }).click();
    await page.getByText('We sent a one-time code to').waitFor();
    await expect(page.getByLabel('Current password').count()).resolves.toBe(0);
    await shot(page, '04-code-sent');
    await page.getByLabel('Code from the e-mail').fill(lastCode(world.notifications));
    await page.getByLabel('New password', { exact: true }).fill('newer-secret-2');
    await page.getByLabel('New password again').fill('newer-secret-2');
    await page.getByRole('button', { name: 'Change the password' }).click();
    await page.getByText('Your password was changed.').waitFor();
    await expect(page.getByRole('link', { name: 'Back to your settings' }).getAttribute('href')).resolves.toBe('/settings');
    await context.close();
  }, 60_000);
});
