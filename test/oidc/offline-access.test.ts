import { renameSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Browser, client, portalOrigin } from '../helpers/oidc.js';
import { type World, configFor, refusal, signIn, startRefreshProvider, userinfoStatus } from './refresh-helpers.js';

/** Waits (real time, for the users-file watcher) until `check` holds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Rewrites the users file by a rename, as editors do (the watcher never reads half a file). */
function editUsers(w: World, edit: (text: string) => string): void {
  const path = join(w.dir, 'users.yml');
  writeFileSync(`${path}.next`, edit(readFileSync(path, 'utf8')));
  renameSync(`${path}.next`, path);
}

const watched = { authentication_backend: { file: { path: 'users.yml', watch: true } } };

describe('offline_access: a refresh token only with consent (OIDC Core §11)', () => {
  it('drops offline_access for an implicit-consent client without prompt=consent: no refresh token, no error', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline-implicit');
    const { tokens, browser, consentPage } = await signIn(w, config);
    expect(consentPage).toBeUndefined();
    expect([tokens.refresh_token, tokens.scope]).toEqual([undefined, 'openid profile email']);
    // With prompt=consent the consent page asks for it, and the refresh token comes.
    const asked = await signIn(w, config, { browser, prompt: 'consent' });
    expect(asked.consentPage).toContain('<strong>offline_access</strong>: Stay connected while you are away');
    expect(asked.tokens.scope).toBe('openid profile email offline_access');
    expect(asked.tokens.refresh_token).toBeDefined();
  });

  it('shows offline access on the consent page of an explicit client', async () => {
    const w = await startRefreshProvider();
    const { tokens, consentPage } = await signIn(w, await configFor(w, 'offline'));
    expect(consentPage).toContain('Nextcloud Desktop');
    expect(consentPage).toContain('<strong>offline_access</strong>');
    expect(tokens.refresh_token).toBeDefined();
  });

  it('pre-configured consent covers offline_access only when it was remembered with it; prompt=none drops it instead of failing', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline-remember');
    // Remembered without offline_access …
    const first = await signIn(w, config, { scope: 'openid email', remember: true });
    expect(first.consentPage).toBeDefined();
    const { browser } = first;
    // … so asking for it shows the page again, except with prompt=none, which goes on without it.
    const silent = await signIn(w, config, { browser, scope: 'openid email offline_access', prompt: 'none' });
    expect([silent.consentPage, silent.tokens.refresh_token, silent.tokens.scope]).toEqual([undefined, undefined, 'openid email']);
    const asked = await signIn(w, config, { browser, remember: true });
    expect(asked.consentPage).toContain('<strong>offline_access</strong>');
    expect(asked.tokens.refresh_token).toBeDefined();
    // Remembered with it: no page, and a refresh token.
    const remembered = await signIn(w, config, { browser });
    expect(remembered.consentPage).toBeUndefined();
    expect(remembered.tokens.scope).toBe('openid profile email offline_access');
    expect(remembered.tokens.refresh_token).toBeDefined();
  });

  it('ignores offline_access for a client that may not refresh, and refuses its refresh_token grant (unauthorized_client)', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'online-only');
    const { tokens } = await signIn(w, config, { prompt: 'consent' });
    expect(tokens.refresh_token).toBeUndefined();
    expect((await refusal(client.refreshTokenGrant(config, 'x'.repeat(43)))).error).toBe('unauthorized_client');
  });
});

describe('refresh tokens and the users file', () => {
  for (const [change, edit] of [
    ['disabled', (text: string) => text.replace('  john:\n', '  john:\n    disabled: true\n')],
    ['removed', (text: string) => text.replace(/ {2}john:\n( {4}.*\n)+/, '')],
  ] as const) {
    it(`revokes the grants of a user ${change} in the users file: refresh is invalid_grant, the access token dead`, async () => {
      const w = await startRefreshProvider({}, watched);
      const config = await configFor(w, 'offline');
      const { tokens } = await signIn(w, config);
      const grantsOf = () => w.gateway.storage.oidc.grantsOf('john', w.clock.now());
      expect(await grantsOf()).toHaveLength(1);
      editUsers(w, edit);
      await eventually(async () => (await grantsOf()).length === 0, 'the grant to be revoked');
      expect((await refusal(client.refreshTokenGrant(config, tokens.refresh_token!))).error).toBe('invalid_grant');
      expect(await userinfoStatus(w, tokens.access_token)).toBe(401);
      const [event] = await w.gateway.storage.oidc.auditTrail(1);
      expect(event).toMatchObject({ event: 'grant_revoked', username: 'john', detail: `user ${change} in the users file` });
    });
  }

  it('leaves the grants of other users alone', async () => {
    const w = await startRefreshProvider({}, watched);
    const config = await configFor(w, 'offline');
    const { tokens } = await signIn(w, config);
    const bob = new Browser(w.fetch);
    await bob.login('bob', 'bobpassword');
    editUsers(w, (text) => text.replace('  bob:\n', '  bob:\n    disabled: true\n'));
    // The reload has happened once bob's session is ended.
    const bobSignedIn = async () => ((await (await bob.get(`${portalOrigin}/api/state`)).json()) as { data: { username: string } }).data.username === 'bob';
    await eventually(async () => !(await bobSignedIn()), "bob's session to end");
    expect((await client.refreshTokenGrant(config, tokens.refresh_token!)).access_token).toBeDefined();
  });
});
