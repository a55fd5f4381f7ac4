import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { browserAvailable, launchChromium, screenshotDir } from '../helpers/browser.js';
import { startPortal } from '../helpers/portal.js';

const run = browserAvailable();

/** "Forgot password?" end to end in Chromium: the link, the e-mail, the policy, the new password. */
describe.runIf(run)('password reset in Chromium', () => {
  let browser: Browser;
  const shots = screenshotDir('password-reset');

  beforeAll(async () => {
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }

  it('sends a link, refuses a password the policy refuses with the rule, sets a good one, and the old one stops working', async () => {
    const world = await startPortal({
      password_policy: { standard: { enabled: true, min_length: 10, require_number: true } },
    });
    const portal = world.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const context = await browser.newContext({ viewport: { width: 420, height: 800 } });
    const page = await context.newPage();

    await page.goto(`${portal}/`);
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL(`${portal}/reset-password`);
    await shot(page, '01-request');
    await page.getByLabel('Username').fill('john');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('If that account exists, a link to reset its password is on its way').waitFor();
    await shot(page, '02-sent');

    // The e-mail (the filesystem notifier's file) holds the link; open it on this portal's port.
    const link = await vi.waitFor(() => {
      const text = existsSync(world.notifications) ? readFileSync(world.notifications, 'utf8') : '';
      const found = /^http\S+(\/reset-password\/step2\?token=\S+)$/m.exec(text);
      if (!found) throw new Error('no reset e-mail yet');
      return found[1]!;
    });
    await page.goto(`${portal}${link}`);
    await expect(page.locator('#policy').textContent()).resolves.toContain('at least 10 characters');
    await shot(page, '03-new-password');

    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('New password again').fill('short');
    await page.getByRole('button', { name: 'Change the password' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^The password .*at least 10 characters.*number/);
    await shot(page, '04-policy-refused');

    await page.getByLabel('New password', { exact: true }).fill('a-longer-secret-42');
    await page.getByLabel('New password again').fill('a-longer-secret-42');
    await page.getByRole('button', { name: 'Change the password' }).click();
    await page.getByText('Your password was changed').waitFor();
    await shot(page, '05-changed');

    await page.goto(`${portal}/`);
    await page.getByLabel('Username').fill('john');
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('Authentication failed. Check your credentials.');
    await page.getByLabel('Password').fill('a-longer-secret-42');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/2fa|\/authenticated/);
    await context.close();
    await world.gateway.close();
  }, 60_000);
});
