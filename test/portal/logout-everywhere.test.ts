import { describe, expect, it } from 'vitest';
import { PortalClient, startPortal } from '../helpers/portal.js';
import { startProvider } from '../helpers/oidc.js';
import { client, codeFlow, configFor, type TokenWorld } from '../oidc/token-world.js';

/** john signed in in two browsers, bob in a third. */
async function signedIn(gateway: Awaited<ReturnType<typeof startPortal>>['gateway']) {
  const [john1, john2, bob] = [new PortalClient(gateway), new PortalClient(gateway), new PortalClient(gateway)];
  expect((await john1.login()).status).toBe(200);
  expect((await john2.login()).status).toBe(200);
  expect((await bob.login('bob', 'bobpassword')).status).toBe(200);
  return { john1, john2, bob };
}

const state = async (browser: PortalClient) => (await browser.get('/api/state')).json().data.username as string;

describe('sign out everywhere', () => {
  it('the signed-in page offers it as a form (no JavaScript needed)', async () => {
    const { gateway } = await startPortal();
    const { john1 } = await signedIn(gateway);
    const page = await john1.get('/authenticated');
    expect(page.body).toContain(
      '<form method="post" action="/logout/everywhere" class="stack"><button type="submit" class="secondary">Sign out everywhere</button>',
    );
  });

  it('the form ends every session of the user, in every browser, and no one else’s', async () => {
    const { gateway } = await startPortal();
    const { john1, john2, bob } = await signedIn(gateway);
    const answer = await john1.postForm('/logout/everywhere', {});
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/logout');
    expect(john1.cookie).toBeUndefined();
    expect(await state(john2)).toBe('');
    expect(await state(bob)).toBe('bob');
    expect((await john2.get('/logout')).body).toContain('You are signed out.');
  });

  it('POST /api/logout/everywhere answers how many sessions ended; 401 when not signed in', async () => {
    const { gateway } = await startPortal();
    const { john2, bob } = await signedIn(gateway);
    const answer = await john2.postJson('/api/logout/everywhere', {});
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ status: 'OK', data: { sessions: 2 } });
    expect(await state(bob)).toBe('bob');
    const anonymous = await new PortalClient(gateway).postJson('/api/logout/everywhere', {});
    expect(anonymous.status).toBe(401);
    expect(anonymous.json()).toEqual({ status: 'KO', message: 'You are not signed in.' });
  });

  it('refuses a cross-site request (CSRF): the sessions stay', async () => {
    const { gateway } = await startPortal();
    const { john1, john2 } = await signedIn(gateway);
    const forged = await john1.postForm('/logout/everywhere', {}, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(forged.status).toBe(403);
    const api = await john1.postJson('/api/logout/everywhere', {}, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    expect(api.status).toBe(403);
    expect(await state(john1)).toBe('john');
    expect(await state(john2)).toBe('john');
  });

  it('is single logout for every session: the OpenID Connect grants of each are revoked and back-channel logouts queued', async () => {
    const world = await startProvider({
      clients: [
        {
          client_id: 'app',
          client_secret: 'confidential-client-secret-0123456789',
          authorization_policy: 'one_factor',
          consent_mode: 'implicit',
          redirect_uris: ['http://app.gatehouse.localhost/callback'],
          backchannel_logout_uri: 'http://127.0.0.1:9/backchannel',
        },
      ],
    });
    const tokenWorld = world as unknown as TokenWorld;
    const config = await configFor(tokenWorld, 'app');
    const tokens = await codeFlow(tokenWorld, config, 'openid');
    const browser = new PortalClient(world.gateway);
    expect((await browser.login()).status).toBe(200);
    expect((await browser.postJson('/api/logout/everywhere', {})).json().data.sessions).toBe(2);
    await expect(client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).rejects.toThrow();
    expect(await world.gateway.storage.oidc.pendingLogouts()).toBe(1);
  });
});
