/**
 * Attack class 1: open redirects. Every place a request names where the browser goes next —
 * `rd` (portal pages, the legacy forward-auth endpoint), `targetURL` (the JSON API),
 * `authelia_url`, the OIDC `redirect_uri` and `post_logout_redirect_uri` — is fed oauth2-proxy's
 * 559-line open-redirect corpus (test/fixtures/openredirects.txt, allowed domain
 * www.whitelisteddomain.tld) and the regression inputs of perf-security.md §B, through the real
 * listener; none may send the browser off the cookie domain or to plain http. Each endpoint also
 * has a control: a safe target IS followed, so a test that sends nowhere would fail.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Client, sharedWorld, type World } from './world.js';

const domain = 'www.whitelisteddomain.tld';
const safe = `https://app.${domain}/landing?x=1`;
const callback = `https://app.${domain}/callback`;
const signedOut = `https://app.${domain}/signed-out`;

const corpus = readFileSync(new URL('../fixtures/openredirects.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => !line.startsWith('# ') && line !== '');

/** perf-security.md "Regression inputs", spelt for this world's domain. */
const regressions = [
  '/\\evil.com',
  '//evil.com',
  '/%09/evil.com',
  '/%0a/evil.com',
  '/ /evil.com',
  '/\t\\evil.com',
  '/.//evil.com',
  'https:evil.com',
  'javascript:alert(1)',
  `http://app.${domain}`,
  `https://${domain}.evil.tld`,
  `https://evil${domain}`,
  `https://${domain}@evil.com`,
  'http://localhost:8090%25@evil.com',
  '//evil%E3%80%82com',
  'https://evil\u3002com',
  'https://evil\uff0ecom',
  'https://evil\uff61com',
  `https://wwwawhitelisteddomain.tld`,
  `https://app.${domain}\\@evil.com`,
  `https://app.${domain}%2f@evil.com`,
  `https://app.${domain}.evil.com/`,
  `data:text/html,<script>alert(1)</script>`,
];

/** Whether a `Location` keeps the browser on an https URL under the cookie domain (relative paths resolve against the portal). */
function staysHome(location: string): boolean {
  // Browsers read `//x`, `/\x`, `\\x` and `/<tab>/x` as another host.
  if (/^[\s\u0000-\u001f]*[/\\][\s\u0000-\u001f]*[/\\]/.test(location)) return false;
  const url = new URL(location, `https://auth.${domain}`);
  return url.protocol === 'https:' && url.username === '' && (url.hostname === domain || url.hostname.endsWith(`.${domain}`));
}

const oidc = {
  hmac_secret: 'a-very-long-hmac-secret-for-the-attack-suite',
  clients: [
    {
      client_id: 'app',
      client_secret: 'app-client-secret-0123456789-abcdefgh',
      authorization_policy: 'one_factor',
      consent_mode: 'implicit',
      redirect_uris: [callback],
      post_logout_redirect_uris: [signedOut],
    },
  ],
};

/** Where an answer sends the browser: `Location`, a `Refresh` header, or an auto-posted form (form_post). */
function destination(reply: { headers: Record<string, unknown>; body: string }): string | undefined {
  if (reply.headers.location !== undefined) return String(reply.headers.location);
  const refresh = /url=(.*)$/i.exec(String(reply.headers.refresh ?? ''))?.[1];
  return refresh ?? /<form[^>]*action="([^"]+)"/i.exec(reply.body)?.[1];
}

/** One endpoint: how `target` is sent to it, where the answer sends the browser, and a target it must follow. */
interface Endpoint {
  readonly name: string;
  readonly control: string;
  readonly send: (w: World, signedIn: Client, target: string) => Promise<string | undefined>;
}

const forwardAuthQuestion = {
  'x-forwarded-method': 'GET',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': `app.${domain}`,
  'x-forwarded-uri': '/',
  accept: 'text/html',
};

const endpoints: Endpoint[] = [
  {
    name: 'GET /?rd= (signed in)',
    control: safe,
    send: async (_w, c, target) => {
      const reply = await c.get(`/?${new URLSearchParams({ rd: target })}`);
      expect(reply.status).toBe(302);
      return destination(reply);
    },
  },
  {
    name: 'POST /api/firstfactor targetURL',
    control: safe,
    send: async (w, _c, target) => {
      const reply = await w.client().login('bob', { targetURL: target });
      expect(reply.status).toBe(200);
      return reply.json().data?.redirect;
    },
  },
  {
    name: 'POST /login rd (form)',
    control: safe,
    send: async (w, _c, target) => {
      const reply = await w.client().postForm('/login', { username: 'bob', password: w.users.bob!.password, rd: target });
      expect(reply.status).toBe(303);
      return destination(reply);
    },
  },
  {
    name: 'POST /api/logout targetURL',
    control: safe,
    send: async (w, _c, target) => {
      const reply = await w.client().postJson('/api/logout', { targetURL: target });
      expect(reply.status).toBe(200);
      // The API says whether the target is safe; the portal's script goes there only then.
      return reply.json().data.safeTargetURL === true ? target : undefined;
    },
  },
  {
    name: 'POST /logout rd (form)',
    control: safe,
    send: async (w, _c, target) => {
      const reply = await w.client().postForm('/logout', { rd: target });
      expect(reply.status).toBe(303);
      return destination(reply);
    },
  },
  {
    name: 'GET /api/verify?rd= (legacy portal override)',
    control: `https://login.${domain}/`,
    send: async (w, _c, target) => {
      const reply = await w.inject({
        method: 'GET',
        url: `/api/verify?${new URLSearchParams({ rd: target })}`,
        headers: { 'x-original-url': `https://app.${domain}/`, 'x-forwarded-method': 'GET', accept: 'text/html' },
      });
      // A refused override is a refused request (401 on the legacy endpoint), never a redirect elsewhere.
      expect([302, 401]).toContain(reply.statusCode);
      return destination({ headers: reply.headers, body: reply.body });
    },
  },
  {
    name: 'GET /api/authz/forward-auth?authelia_url=',
    control: `https://login.${domain}/`,
    send: async (w, _c, target) => {
      const reply = await w.inject({
        method: 'GET',
        url: `/api/authz/forward-auth?${new URLSearchParams({ authelia_url: target })}`,
        headers: forwardAuthQuestion,
      });
      expect([302, 400]).toContain(reply.statusCode);
      return destination({ headers: reply.headers, body: reply.body });
    },
  },
  {
    name: 'GET /api/oidc/authorization redirect_uri (signed in)',
    control: callback,
    send: async (_w, c, target) => {
      const query = new URLSearchParams({ client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: target, state: 's' });
      return destination(await c.get(`/api/oidc/authorization?${query}`));
    },
  },
  {
    name: 'GET /api/oidc/authorization redirect_uri + response_mode=form_post',
    control: callback,
    send: async (_w, c, target) => {
      const query = new URLSearchParams({ client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: target, response_mode: 'form_post' });
      return destination(await c.get(`/api/oidc/authorization?${query}`));
    },
  },
  {
    name: 'GET /api/oidc/end-session post_logout_redirect_uri',
    control: signedOut,
    send: async (w, _c, target) => {
      const query = new URLSearchParams({ client_id: 'app', post_logout_redirect_uri: target, state: 's' });
      return destination(await w.client().get(`/api/oidc/end-session?${query}`));
    },
  },
];

describe('open redirects: GHSA-36f2-fcrx-fp4j (CVE-2021-29456), GHSA-jm34-xm8m-w958, GHSA-qqxw-m5fj-f7gv, GHSA-j7px-6hwj-hpjg, GHSA-5m6c-jp6f-2vcv, GHSA-4mf2-f3wh-gvf2, CVE-2024-52289, CVE-2026-41569, GHSA-35vc-w93w-75c2; ASVS 5.1.5', () => {
  const world = sharedWorld({ domain, config: { identity_providers: { oidc } } });
  let signedIn: Client;

  const signIn = async () => {
    if (signedIn?.session) return signedIn;
    signedIn = world().client();
    expect((await signedIn.login('john')).status).toBe(200);
    return signedIn;
  };

  it('has the whole corpus (559 lines, header excluded)', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(550);
  });

  describe.each(endpoints)('$name', ({ send, control }) => {
    it('follows a safe target (the control: this endpoint does redirect)', async () => {
      const where = await send(world(), await signIn(), control);
      expect(where).toBeDefined();
      expect(staysHome(where!)).toBe(true);
      expect(where!.startsWith(control.split('?')[0]!)).toBe(true);
    });

    it('never leaves the cookie domain for any of the 559 corpus payloads', async () => {
      const client = await signIn();
      const escaped: string[] = [];
      for (const payload of corpus) {
        const where = await send(world(), client, payload);
        if (where !== undefined && !staysHome(where)) escaped.push(`${payload} → ${where}`);
      }
      expect(escaped).toEqual([]);
    });

    it.each(regressions)('refuses the regression input %j', async (payload) => {
      const where = await send(world(), await signIn(), payload);
      if (where !== undefined) expect([payload, staysHome(where)]).toEqual([payload, true]);
    });
  });

  it('an unregistered redirect_uri is the error page (400), not a redirect with an error', async () => {
    const reply = await (await signIn()).get(
      `/api/oidc/authorization?${new URLSearchParams({ client_id: 'app', response_type: 'code', scope: 'openid', redirect_uri: 'https://evil.com/cb' })}`,
    );
    expect([reply.status, reply.headers.location]).toEqual([400, undefined]);
    expect(reply.body).toContain('is not registered for the client');
  });

  it('an unregistered post_logout_redirect_uri is the error page (400) and ends nothing', async () => {
    const client = world().client();
    expect((await client.login('harry')).status).toBe(200);
    const reply = await client.get(`/api/oidc/end-session?${new URLSearchParams({ client_id: 'app', post_logout_redirect_uri: 'https://evil.com/' })}`);
    expect([reply.status, reply.headers.location]).toEqual([400, undefined]);
    expect((await client.get('/api/state')).json().data.username).toBe('harry');
  });
});
