import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launchChromium, screenshotDir } from '../helpers/browser.js';
import { loopbackFetch, secret, startProvider, testClients } from '../helpers/oidc.js';
import { freePorts } from '../helpers/ports.js';

const run = browserAvailable();

// The relying parties' front-channel logout URIs: answered in the browser (page routes), never on the network.
const appFrontChannel = 'http://app.gatehouse.localhost/frontchannel';
const wikiFrontChannel = 'http://wiki.gatehouse.localhost:8081/oidc/logout?from=gatehouse';

/**
 * Two relying parties with front-channel logout — `photos` wants iss and sid, `wiki` the URI as
 * registered — whose callback and post-logout page are a real server (`rp`): Chromium does not
 * hand a redirect's target to a page route reliably.
 */
function clientsAt(rp: string, crossSite: string) {
  return [
    {
      client_id: 'photos',
      client_name: 'Photo App',
      frontchannel_logout_uri: appFrontChannel,
      frontchannel_logout_session_required: true,
      post_logout_redirect_uris: [`${rp}/bye`, `${crossSite}/bye`],
    },
    { client_id: 'wiki', frontchannel_logout_uri: wikiFrontChannel },
  ].map((c) => ({ authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [`${rp}/callback`], client_secret: secret, ...c }));
}

/** What the relying parties (intercepted in the browser) were asked, and from which frame. */
interface Hit {
  readonly url: URL;
  readonly inIframe: boolean;
}

describe.runIf(run)('signing out in Chromium: RP-initiated logout and front-channel iframes', () => {
  let browser: Browser;
  let rpServer: Server;
  let rp: string;
  /** The same server named by its IP address: another site than the portal (cookies under SameSite rules). */
  let crossSite: string;
  /** What the server answers at `/logout-form`: an application's sign-out form. */
  let logoutForm = '';
  let callback: string;
  let bye: string;
  const shots = screenshotDir('logout');

  beforeAll(async () => {
    browser = await launchChromium();
    rpServer = createServer((request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      if (request.url === '/logout-form') return void response.end(logoutForm);
      response.end(`<!doctype html><title>RP</title><h1>${request.url?.split('?')[0]}</h1>`);
    });
    await new Promise<void>((resolve) => rpServer.listen(0, '127.0.0.1', resolve));
    const rpPort = (rpServer.address() as AddressInfo).port;
    rp = `http://rp.gatehouse.localhost:${rpPort}`;
    crossSite = `http://127.0.0.1:${rpPort}`;
    callback = `${rp}/callback`;
    bye = `${rp}/bye`;
  });

  afterAll(async () => {
    await browser?.close();
    rpServer?.close();
  });

  /** A provider on a real port (the issuer names it), a browser context whose relying parties are intercepted. */
  async function world() {
    const [port] = await freePorts(1);
    const w = await startProvider({ clients: [...testClients(), ...clientsAt(rp, crossSite)] }, { port });
    const portal = w.gateway.url.replace('127.0.0.1', 'auth.gatehouse.localhost');
    const context = await browser.newContext();
    const hits: Hit[] = [];
    const violations: string[] = [];
    for (const pattern of ['http://app.gatehouse.localhost/**', 'http://wiki.gatehouse.localhost:8081/**']) {
      await context.route(pattern, async (route) => {
        const request = route.request();
        hits.push({ url: new URL(request.url()), inIframe: request.frame().parentFrame() !== null });
        await route.fulfill({ status: 200, contentType: 'text/html', body: `<!doctype html><title>RP</title><h1>${new URL(request.url()).pathname}</h1>` });
      });
    }
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return { ...w, portal, context, page, hits, violations };
  }

  /** Signs in on the portal through `clientId`'s authorization request (or passes straight through when signed in); returns the code. */
  async function authorize(page: Page, portal: string, clientId: string, signIn: boolean): Promise<string> {
    const query = new URLSearchParams({
      client_id: clientId,
      redirect_uri: callback,
      response_type: 'code',
      scope: 'openid profile',
      state: `state-of-${clientId}`,
    });
    await page.goto(`${portal}/api/oidc/authorization?${query}`);
    if (signIn) {
      await page.fill('#username', 'john');
      await page.fill('#password', 'password');
      await page.click('button[type=submit]');
    }
    await page.waitForURL(`${callback}**`);
    return new URL(page.url()).searchParams.get('code')!;
  }

  async function idToken(w: Awaited<ReturnType<typeof world>>, clientId: string, code: string): Promise<string> {
    const response = await loopbackFetch(new URL(w.gateway.url))(`${w.portal}/api/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback }).toString(),
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { id_token: string }).id_token;
  }

  async function signedInAs(context: BrowserContext, portal: string): Promise<string> {
    const page = await context.newPage();
    await page.goto(`${portal}/api/state`);
    const state = JSON.parse((await page.textContent('body')) ?? '{}') as { data: { username: string } };
    await page.close();
    return state.data.username;
  }

  const frameHits = (hits: readonly Hit[]) => [...hits];

  it('asks before signing out for a link with no id_token_hint; once confirmed, loads both front-channel URIs in iframes, then continues to the app', async () => {
    const w = await world();
    const { page, portal } = w;
    const code = await authorize(page, portal, 'photos', true);
    await idToken(w, 'photos', code);
    await idToken(w, 'wiki', await authorize(page, portal, 'wiki', false));

    const query = new URLSearchParams({ client_id: 'photos', post_logout_redirect_uri: bye, state: 'browser-state' });
    await page.goto(`${portal}/api/oidc/end-session?${query}`);
    await expect(page.title()).resolves.toBe('Sign out of Test Gate? · Test Gate');
    expect(await page.textContent('#client-name')).toBe('Photo App');
    await page.screenshot({ path: join(shots, '01-confirm.png'), fullPage: true });
    expect(await signedInAs(w.context, portal)).toBe('john');
    expect(frameHits(w.hits)).toEqual([]);

    await page.click('#confirm-sign-out');
    await page.waitForSelector('#continue');
    expect(await page.textContent('h1')).toBe('Signed out');
    await page.screenshot({ path: join(shots, '02-signed-out-with-frames.png'), fullPage: true });
    await page.waitForURL(`${bye}**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe('browser-state');

    const frames = frameHits(w.hits);
    expect(frames.every((h) => h.inIframe)).toBe(true);
    const app = frames.find((h) => h.url.origin === 'http://app.gatehouse.localhost');
    expect(app?.url.pathname).toBe('/frontchannel');
    expect(app?.url.searchParams.get('iss')).toBe(portal);
    expect(app?.url.searchParams.get('sid')).toMatch(/^[\w-]{22}$/);
    expect(frames.find((h) => h.url.host === 'wiki.gatehouse.localhost:8081')?.url.href).toBe(wikiFrontChannel);
    expect(frames).toHaveLength(2);
    expect(w.violations).toEqual([]);
    expect(await signedInAs(w.context, portal)).toBe('');
    await w.context.close();
  }, 60_000);

  it('signs out at once with an id_token_hint of this session, and the portal’s own sign-out frames the clients too', async () => {
    const w = await world();
    const { page, portal } = w;
    const hint = await idToken(w, 'photos', await authorize(page, portal, 'photos', true));
    const query = new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: bye, state: 'hinted' });
    await page.goto(`${portal}/api/oidc/end-session?${query}`);
    await page.waitForSelector('#continue');
    await page.screenshot({ path: join(shots, '03-hint-signed-out.png'), fullPage: true });
    await page.waitForURL(`${bye}**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe('hinted');
    expect(frameHits(w.hits).map((h) => [h.url.pathname, h.inIframe])).toEqual([['/frontchannel', true]]);
    expect(await signedInAs(w.context, portal)).toBe('');

    // Signed in again (a new session): the portal's sign-out button frames the new session's client.
    w.hits.length = 0;
    await idToken(w, 'wiki', await authorize(page, portal, 'wiki', true));
    await page.goto(`${portal}/authenticated`);
    await page.click('form[action="/logout"] button');
    await page.waitForSelector('#signed-out-of');
    await page.waitForLoadState('load'); // the load event waits for the iframes
    await page.screenshot({ path: join(shots, '04-portal-sign-out-with-frames.png'), fullPage: true });
    expect(frameHits(w.hits).map((h) => [h.url.href, h.inIframe])).toEqual([[wikiFrontChannel, true]]);
    expect(w.violations).toEqual([]);
    await w.context.close();
  }, 60_000);

  it('an application on another site POSTs its sign-out form: the browser withholds the SameSite=Lax cookie, the GET it is sent on carries it, the session ends', async () => {
    const w = await world();
    const { page, portal } = w;
    const hint = await idToken(w, 'photos', await authorize(page, portal, 'photos', true));
    const fields = { id_token_hint: hint, post_logout_redirect_uri: `${crossSite}/bye`, state: 'from-another-site' };
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`);
    logoutForm = `<!doctype html><title>RP</title><form method="post" action="${portal}/api/oidc/end-session">${inputs.join('')}<button id="sign-out">Sign out</button></form>`;
    await page.goto(`${crossSite}/logout-form`);
    await page.click('#sign-out');
    await page.waitForURL(`${crossSite}/bye**`);
    expect(new URL(page.url()).searchParams.get('state')).toBe('from-another-site');
    expect(w.hits.map((h) => h.url.pathname)).toEqual(['/frontchannel']);
    expect(await signedInAs(w.context, portal)).toBe('');
    await w.context.close();
  }, 60_000);
});
