/**
 * Attack class 11: the OpenID Connect provider (RFC 9700, the OAuth 2.0 Security BCP). Every case
 * speaks plain HTTP to the real listener (no client library that would refuse to send the
 * attack): redirect_uri spellings that are not the registered one, a code used twice, a rotated
 * refresh token used again, PKCE downgrades, forged `id_token_hint`s at end-session, and scopes
 * the client was not given. Controls show the honest request succeeds in each world.
 */
import { createHash, createHmac, createPublicKey, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Client, sharedWorld, type World } from './world.js';

const domain = 'gatehouse.localhost';
const issuer = `http://auth.${domain}`;
const secret = 'web-client-secret-0123456789-abcdefghij';
const callback = 'https://app.example.com/callback';
const signedOut = 'https://app.example.com/signed-out';
const verifier = 'v'.repeat(20) + 'e'.repeat(23);
const challenge = createHash('sha256').update(verifier).digest('base64url');

const clients = [
  {
    client_id: 'web',
    client_secret: secret,
    authorization_policy: 'one_factor',
    consent_mode: 'explicit',
    redirect_uris: [callback],
    post_logout_redirect_uris: [signedOut],
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'offline_access'],
  },
  {
    client_id: 'spa',
    public: true,
    authorization_policy: 'one_factor',
    consent_mode: 'implicit',
    redirect_uris: ['https://spa.example.com/cb'],
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'offline_access'],
  },
  { client_id: 'narrow', client_secret: secret, authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [callback], scopes: ['openid'] },
  { client_id: 'service', client_secret: secret, grant_types: ['client_credentials'], scopes: ['gatehouse.bearer.authz'], redirect_uris: [] },
];

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const basic = (id: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

interface OAuthReply {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: token responses and errors
  readonly json: any;
}

/** A form POST to an OAuth endpoint (no cookie), client authentication as given. */
async function post(w: World, path: string, fields: Record<string, string>, authorization?: string): Promise<OAuthReply> {
  const reply = await w.client().send('POST', path, new URLSearchParams(fields).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
    ...(authorization ? { authorization } : {}),
  });
  return { status: reply.status, json: reply.json() };
}

/**
 * The authorization request of a signed-in browser, through the consent page when it comes (it
 * does for `offline_access`: OIDC Core §11); the last reply and the code or error it carries.
 */
async function authorize(browser: Client, params: Record<string, string>) {
  const query = new URLSearchParams({
    client_id: 'web',
    response_type: 'code',
    scope: 'openid',
    redirect_uri: callback,
    state: 'state-st',
    nonce: 'nonce-nn',
    ...params,
  });
  let reply = await browser.get(`/api/oidc/authorization?${query}`);
  let location = reply.headers.location === undefined ? undefined : new URL(String(reply.headers.location), issuer);
  if (location?.origin === issuer && location.pathname === '/consent') {
    const accepted = await browser.postForm('/consent', { flow_id: location.searchParams.get('flow_id')!, decision: 'accept' });
    reply = await browser.get(String(accepted.headers.location).replace(issuer, ''));
    location = reply.headers.location === undefined ? undefined : new URL(String(reply.headers.location), issuer);
  }
  return { reply, location, code: location?.searchParams.get('code') ?? undefined, error: location?.searchParams.get('error') ?? undefined };
}

const exchange = (w: World, code: string, extra: Record<string, string> = {}, client = 'web') =>
  post(w, '/api/oidc/token', { grant_type: 'authorization_code', code, redirect_uri: callback, ...extra }, client === 'spa' ? undefined : basic(client));

const userinfo = async (w: World, accessToken: string) => (await w.client().get('/api/oidc/userinfo', { authorization: `Bearer ${accessToken}` })).status;

describe('OIDC attacks: RFC 9700 §4.1 (redirect URIs), §4.2.4 / §2.1.1 (PKCE), §4.14 (refresh rotation), CVE-2024-52289, CVE-2023-48228, CVE-2024-23647, CVE-2024-52287, node-oidc-provider pinned cases; ASVS 3.5.3', () => {
  const world = sharedWorld({
    domain,
    config: { identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-for-the-attack-suite', clients } } },
  });
  const browsers = new Map<string, Client>();
  const browser = async (w: World, user = 'john') => {
    let b = browsers.get(user);
    if (!b) {
      b = w.client();
      expect((await b.login(user)).status).toBe(200);
      browsers.set(user, b);
    }
    return b;
  };

  it('control: code flow with PKCE gives tokens; userinfo answers; a refresh rotates', async () => {
    const w = world();
    const { code } = await authorize(await browser(w), { scope: 'openid email offline_access', code_challenge: challenge, code_challenge_method: 'S256' });
    const tokens = await exchange(w, code!, { code_verifier: verifier });
    expect([tokens.status, typeof tokens.json.access_token, typeof tokens.json.refresh_token, typeof tokens.json.id_token]).toEqual([
      200,
      'string',
      'string',
      'string',
    ]);
    expect(await userinfo(w, tokens.json.access_token)).toBe(200);
    const refreshed = await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: tokens.json.refresh_token }, basic('web'));
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.refresh_token).not.toBe(tokens.json.refresh_token);
  });

  describe('redirect_uri manipulation (exact string match)', () => {
    const spellings = [
      'https://app.example.com:443/callback',
      'https://APP.EXAMPLE.COM/callback',
      'https://app.example.com./callback',
      'https://app.example.com/callback/',
      'https://app.example.com/Callback',
      'https://app.example.com/callback/extra',
      'https://app.example.com/callback?x=1',
      'https://app.example.com/callback#fragment',
      'https://app.example.com/callback/../evil',
      'https://app.example.com/callback%2F..%2Fevil',
      'https://app.example.com/callback%00',
      'http://app.example.com/callback',
      'HTTPS://app.example.com/callback',
      'https://appaexample.com/callback',
      'https://app.example.com.evil.com/callback',
      'https://app.example.com@evil.com/callback',
      'https://evil.com/https://app.example.com/callback',
      'javascript:alert(1)//https://app.example.com/callback',
      ' https://app.example.com/callback',
      'https://app.example.com/callback ',
    ];

    it.each(spellings)('authorization with redirect_uri %j: the error page, no redirect', async (uri) => {
      const w = world();
      const { reply } = await authorize(await browser(w), { redirect_uri: uri });
      expect([reply.status, reply.headers.location]).toEqual([400, undefined]);
    });

    it.each(spellings.slice(0, 8))('token request with redirect_uri %j for a code issued to the registered one: invalid_grant, code intact', async (uri) => {
      const w = world();
      const { code } = await authorize(await browser(w), {});
      const moved = await exchange(w, code!, { redirect_uri: uri });
      expect([moved.status, moved.json.error]).toEqual([400, 'invalid_grant']);
      expect((await exchange(w, code!)).status).toBe(200);
    });
  });

  describe('code replay (RFC 6749 §4.1.2, RFC 9700 §4.2.4)', () => {
    it('a code used twice: invalid_grant, and every token issued from it is revoked', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { scope: 'openid offline_access' });
      const first = await exchange(w, code!);
      expect(first.status).toBe(200);
      const replay = await exchange(w, code!);
      expect([replay.status, replay.json.error]).toEqual([400, 'invalid_grant']);
      expect(await userinfo(w, first.json.access_token)).toBe(401);
      const refresh = await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: first.json.refresh_token }, basic('web'));
      expect([refresh.status, refresh.json.error]).toEqual([400, 'invalid_grant']);
    });

    it('a code presented by another client: invalid_grant, and the code is not burnt for its own client', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), {});
      expect((await exchange(w, code!, {}, 'narrow')).json.error).toBe('invalid_grant');
      expect((await exchange(w, code!)).status).toBe(200);
    });

    it('two exchanges racing with one code: exactly one gets tokens', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), {});
      const replies = await Promise.all([exchange(w, code!), exchange(w, code!), exchange(w, code!)]);
      expect(replies.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    });
  });

  describe('refresh-token replay (RFC 9700 §4.14.2: rotation with reuse detection)', () => {
    it('a rotated refresh token used again after the grace: refused, and the whole grant is revoked', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { scope: 'openid offline_access' });
      const tokens = (await exchange(w, code!)).json;
      const rotated = (await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic('web'))).json;
      expect(typeof rotated.refresh_token).toBe('string');
      w.clock.advance(60_000);
      const replay = await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic('web'));
      expect([replay.status, replay.json.error]).toEqual([400, 'invalid_grant']);
      // The attacker's replay revoked the legitimate holder's newer tokens too.
      const next = await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: rotated.refresh_token }, basic('web'));
      expect([next.status, next.json.error]).toEqual([400, 'invalid_grant']);
      expect(await userinfo(w, rotated.access_token)).toBe(401);
    });

    it('a refresh token presented by another client, or without client authentication: refused, not revoked', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { scope: 'openid offline_access' });
      const tokens = (await exchange(w, code!)).json;
      expect(
        (await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic('narrow'))).status,
      ).toBeGreaterThanOrEqual(400);
      expect((await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'web' })).status).toBe(401);
      expect((await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, basic('web'))).status).toBe(200);
    });

    it('a tampered refresh token is nobody’s', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { scope: 'openid offline_access' });
      const token = (await exchange(w, code!)).json.refresh_token as string;
      const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
      expect((await post(w, '/api/oidc/token', { grant_type: 'refresh_token', refresh_token: tampered }, basic('web'))).json.error).toBe('invalid_grant');
    });
  });

  describe('PKCE downgrade (CVE-2024-23647, CVE-2023-48228; RFC 9700 §2.1.1, RFC 7636)', () => {
    it('a challenge was sent, the token request has no verifier: invalid_grant', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { code_challenge: challenge, code_challenge_method: 'S256' });
      expect((await exchange(w, code!)).json.error).toBe('invalid_grant');
    });

    it('a wrong verifier: invalid_grant', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { code_challenge: challenge, code_challenge_method: 'S256' });
      expect((await exchange(w, code!, { code_verifier: 'w'.repeat(43) })).json.error).toBe('invalid_grant');
    });

    it('the challenge itself sent as the verifier (plain against an S256 challenge): invalid_grant', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { code_challenge: challenge, code_challenge_method: 'S256' });
      expect((await exchange(w, code!, { code_verifier: challenge })).json.error).toBe('invalid_grant');
    });

    it('no challenge was sent, the token request brings a verifier: invalid_grant (accepted only after a challenge)', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), {});
      const reply = await exchange(w, code!, { code_verifier: verifier });
      expect([reply.status, reply.json.error]).toEqual([400, 'invalid_grant']);
    });

    it.each([
      ['method plain', { code_challenge: verifier, code_challenge_method: 'plain' }],
      ['no method (plain by default, RFC 7636 §4.3)', { code_challenge: verifier }],
      ['an unknown method', { code_challenge: challenge, code_challenge_method: 'S512' }],
      ['a method without a challenge', { code_challenge_method: 'S256' }],
      ['a challenge too short', { code_challenge: 'abc', code_challenge_method: 'S256' }],
      ['a challenge with forbidden characters', { code_challenge: `${challenge.slice(0, 42)}+`, code_challenge_method: 'S256' }],
    ])('authorization with %s: invalid_request, no code', async (_name, params) => {
      const w = world();
      const { code, error } = await authorize(await browser(w), params as Record<string, string>);
      expect([code, error]).toEqual([undefined, 'invalid_request']);
    });

    it('a public client without PKCE: invalid_request, no code', async () => {
      const w = world();
      const { code, error } = await authorize(await browser(w), { client_id: 'spa', redirect_uri: 'https://spa.example.com/cb' });
      expect([code, error]).toEqual([undefined, 'invalid_request']);
    });
  });

  describe('scopes beyond the client’s (CVE-2024-52287)', () => {
    it('authorization asking for scopes the client was not given: no token carries them', async () => {
      const w = world();
      const { code, error } = await authorize(await browser(w), { client_id: 'narrow', scope: 'openid profile email groups offline_access' });
      if (error !== undefined) expect(error).toBe('invalid_scope');
      else {
        const tokens = (await exchange(w, code!, {}, 'narrow')).json;
        expect(String(tokens.scope ?? 'openid').split(' ')).toEqual(['openid']);
        expect(tokens.refresh_token).toBeUndefined();
        const info = await w.client().get('/api/oidc/userinfo', { authorization: `Bearer ${tokens.access_token}` });
        expect(info.json().email).toBeUndefined();
      }
    });

    it('client_credentials asking for a scope it was not given: invalid_scope', async () => {
      const w = world();
      const reply = await post(w, '/api/oidc/token', { grant_type: 'client_credentials', scope: 'gatehouse.bearer.authz openid profile' }, basic('service'));
      expect([reply.status, reply.json.error]).toEqual([400, 'invalid_scope']);
      const ok = await post(w, '/api/oidc/token', { grant_type: 'client_credentials', scope: 'gatehouse.bearer.authz' }, basic('service'));
      expect(ok.status).toBe(200);
    });

    it('a refresh asking for more scope than granted: invalid_scope', async () => {
      const w = world();
      const { code } = await authorize(await browser(w), { scope: 'openid offline_access' });
      const tokens = (await exchange(w, code!)).json;
      const wider = await post(
        w,
        '/api/oidc/token',
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, scope: 'openid offline_access email' },
        basic('web'),
      );
      expect([wider.status, wider.json.error]).toEqual([400, 'invalid_scope']);
    });
  });

  describe('forged id_token_hint at end-session (alg none, HS256 with the public key, a foreign key); RFC 8725 §2.1, §3.1', () => {
    /** A fresh signed-in browser for `user` and an ID token the provider really issued in that session. */
    async function session(w: World, user: string) {
      const b = w.client();
      expect((await b.login(user)).status).toBe(200);
      const { code } = await authorize(b, {});
      const idToken = (await exchange(w, code!)).json.id_token as string;
      return { b, idToken, claims: JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()) };
    }
    const endSession = (b: Client, hint: string) =>
      b.get(`/api/oidc/end-session?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: signedOut, state: 's' })}`);

    it('control: the provider’s own ID token ends the session and goes on to the registered URI', async () => {
      const w = world();
      const { b, idToken } = await session(w, 'harry');
      const reply = await endSession(b, idToken);
      expect([reply.status, String(reply.headers.location)]).toEqual([303, `${signedOut}?state=s`]);
      expect((await b.get('/api/state')).json().data.authentication_level).toBe(0);
    });

    const forgeries: [string, (w: World, claims: Record<string, unknown>, idToken: string) => Promise<string>][] = [
      ['alg none, no signature', async (_w, claims) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`],
      ['alg NONE in capitals', async (_w, claims) => `${b64({ alg: 'NONE' })}.${b64(claims)}.`],
      ['the real header with the signature cut', async (_w, _c, idToken) => `${idToken.split('.').slice(0, 2).join('.')}.`],
      [
        'HS256 keyed with the provider’s public key (PEM)',
        async (w, claims, idToken) => {
          const { kid } = JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString());
          const jwks = (await w.client().get('/jwks.json')).json().keys as { kid: string }[];
          const pem = createPublicKey({ key: jwks.find((k) => k.kid === kid)!, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
          const input = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(claims)}`;
          return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
        },
      ],
      [
        'HS256 keyed with the client secret',
        async (_w, claims) => {
          const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
          return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        },
      ],
      [
        'RS256 by another key that names the provider’s kid',
        async (_w, claims, idToken) => {
          const { kid } = JSON.parse(Buffer.from(idToken.split('.')[0]!, 'base64url').toString());
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(claims)}`;
          return `${input}.${rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
        },
      ],
      [
        'RS256 by another key embedded in the header (jwk)',
        async (_w, claims) => {
          const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          const input = `${b64({ alg: 'RS256', typ: 'JWT', jwk: publicKey.export({ format: 'jwk' }) })}.${b64(claims)}`;
          return `${input}.${rsaSign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
        },
      ],
      [
        'the real token with its claims swapped for another user (signature kept)',
        async (_w, claims, idToken) => {
          const [header, , signature] = idToken.split('.');
          return `${header}.${b64({ ...claims, sub: 'someone-else' })}.${signature}`;
        },
      ],
    ];

    it.each(forgeries)('%s: the error page, no redirect, and the session survives', async (_name, forge) => {
      const w = world();
      const { b, idToken, claims } = await session(w, 'bob');
      const reply = await endSession(b, await forge(w, claims, idToken));
      expect([reply.status, reply.headers.location]).toEqual([400, undefined]);
      expect((await b.get('/api/state')).json().data).toMatchObject({ username: 'bob', authentication_level: 1 });
    });
  });
});
