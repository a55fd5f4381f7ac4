import * as client from 'openid-client';
import { type Answer, fetchVia, send } from './http.js';
import type { HeldCode, Ledger } from './ledger.js';
import { callback, clientId, clientSecret, issuer, passwordOf, siteHost } from './world.js';

const sameOrigin = { origin: issuer, 'sec-fetch-site': 'same-origin' };
const scope = 'openid profile email offline_access';

/** openid-client's configuration of the test client, sending every request to `target()` (it changes at the restart). */
export async function relyingParty(target: () => URL): Promise<client.Configuration> {
  const custom = fetchVia(target) as unknown as client.CustomFetch;
  const config = await client.discovery(new URL(issuer), clientId, {}, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests],
    [client.customFetch]: custom,
  });
  config[client.customFetch] = custom;
  return config;
}

/** Forward-auth as Traefik asks it: may `cookie` GET `http://app…/`? */
export function forwardAuth(target: URL, cookie: string): Promise<Answer> {
  return send(target, {
    url: `${issuer}/api/authz/forward-auth`,
    headers: { cookie, 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': siteHost, 'x-forwarded-uri': '/' },
  });
}

/** `name=value` of the session cookie an answer sets. */
function sessionCookie(answer: Answer): string {
  const line = answer.headers.getSetCookie().find((l) => l.startsWith('gatehouse_session='));
  if (!line) throw new Error(`no session cookie in the answer (${answer.status} ${answer.body})`);
  return line.split(';')[0]!;
}

function expectStatus(answer: Answer, status: number, what: string): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${answer.body.slice(0, 200)}`);
}

function location(answer: Answer): URL {
  return new URL(answer.headers.get('location') ?? '', issuer);
}

/**
 * The load of one run: `logins` workers signing in again and again, `forwardAuths` asking about
 * sessions already received, and `flows` relying-party workers (each signed in once) running
 * authorization-code flows with explicit consent, exchanging two codes of three at once (the
 * third is kept for after the restart), rotating each grant's refresh token twice and calling
 * userinfo. Runs until `over()`; a failure before that throws (the caller stops the others).
 */
export class Load {
  constructor(
    private readonly target: () => URL,
    private readonly ledger: Ledger,
    private readonly rp: client.Configuration,
    private readonly over: () => boolean,
  ) {}

  async login(user: string): Promise<string> {
    const answer = await this.ledger.track('login', () =>
      send(this.target(), {
        method: 'POST',
        url: `${issuer}/api/firstfactor`,
        headers: { 'content-type': 'application/json', ...sameOrigin },
        body: JSON.stringify({ username: user, password: passwordOf(user) }),
      }),
    );
    expectStatus(answer, 200, `login of ${user}`);
    const cookie = sessionCookie(answer);
    this.ledger.sessions.set(cookie, user);
    return cookie;
  }

  async logins(user: string): Promise<void> {
    while (!this.over()) await this.login(user);
  }

  async forwardAuths(): Promise<void> {
    while (!this.over()) {
      const held = [...this.ledger.sessions];
      const [cookie, user] = held[Math.floor(Math.random() * held.length)]!;
      const answer = await this.ledger.track('forward-auth', () => forwardAuth(this.target(), cookie));
      expectStatus(answer, 200, 'forward-auth');
      if (answer.headers.get('remote-user') !== user) throw new Error(`forward-auth: Remote-User ${answer.headers.get('remote-user')}, expected ${user}`);
    }
  }

  async flows(user: string): Promise<void> {
    const cookie = await this.login(user);
    for (let flow = 0; !this.over(); flow++) {
      const held = await this.authorize(cookie, user);
      this.ledger.codes.add(held);
      if (flow % 3 === 2) continue;
      held.inFlight = true;
      const tokens = await this.ledger.track('code-exchange', () => redeem(this.rp, held));
      this.ledger.codes.delete(held);
      this.ledger.accessTokens.push({ token: tokens.access_token, user });
      if (!tokens.refresh_token) throw new Error(`no refresh token for ${user}`);
      const chain = { user, current: tokens.refresh_token, inFlight: false };
      this.ledger.chains.push(chain);
      let access = tokens.access_token;
      for (let i = 0; i < 2 && !this.over(); i++) {
        chain.inFlight = true;
        const next = await this.ledger.track('refresh', () => client.refreshTokenGrant(this.rp, chain.current));
        if (!next.refresh_token) throw new Error('a refresh answered without a new refresh token');
        chain.current = next.refresh_token;
        chain.inFlight = false;
        this.ledger.rotated++;
        this.ledger.accessTokens.push({ token: next.access_token, user });
        access = next.access_token;
      }
      if (this.over()) return;
      const info = await this.ledger.track('userinfo', () => client.fetchUserInfo(this.rp, access, client.skipSubjectCheck));
      if (info.email !== `${user}@gatehouse.localhost`) throw new Error(`userinfo of ${user}: ${JSON.stringify(info)}`);
    }
  }

  /** The authorization request, the consent page's accept and the resumed request: the code in the redirect. */
  async authorize(cookie: string, user: string): Promise<HeldCode> {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const challenge = await client.calculatePKCECodeChallenge(verifier);
    const url = client.buildAuthorizationUrl(this.rp, {
      redirect_uri: callback,
      scope,
      state,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const asked = await this.ledger.track('authorize', () => send(this.target(), { url: url.href, headers: { cookie } }));
    expectStatus(asked, 302, 'authorization request');
    const flowId = location(asked).searchParams.get('flow_id');
    if (!flowId) throw new Error(`authorization request: no consent flow in ${location(asked)}`);
    const accepted = await this.ledger.track('authorize', () =>
      send(this.target(), {
        method: 'POST',
        url: `${issuer}/consent`,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...sameOrigin },
        body: new URLSearchParams({ flow_id: flowId, decision: 'accept' }).toString(),
      }),
    );
    expectStatus(accepted, 303, 'consent');
    const resumed = await this.ledger.track('authorize', () => send(this.target(), { url: location(accepted).href, headers: { cookie } }));
    expectStatus(resumed, 302, 'resumed authorization request');
    const callbackUrl = location(resumed);
    if (!callbackUrl.searchParams.get('code')) throw new Error(`no code in ${callbackUrl}`);
    return { user, callbackUrl, verifier, state, nonce, inFlight: false };
  }
}

/** The token request for a held code (PKCE, state and nonce checked by openid-client). */
export function redeem(rp: client.Configuration, held: HeldCode) {
  return client.authorizationCodeGrant(rp, held.callbackUrl, { pkceCodeVerifier: held.verifier, expectedState: held.state, expectedNonce: held.nonce });
}
