import { describe, expect, it } from 'vitest';
import { Browser, callback, issuer, secret, startProvider } from '../helpers/oidc.js';

/**
 * Requests the OpenID Connect routes' schemas (or fastify's body parsers) refuse before any handler
 * runs: answered `invalid_request` in the OAuth shape (RFC 6749 §5.2, RFC 6750 §3.1), or the
 * error page at the authorization endpoint, never with fastify's own error body.
 */
const tokenUrl = `${issuer}/api/oidc/token`;
const userinfoUrl = `${issuer}/api/oidc/userinfo`;
const authorizationUrl = `${issuer}/api/oidc/authorization`;
const basic = `Basic ${Buffer.from(`confidential:${secret}`).toString('base64')}`;

/** The whole JSON answer of a refusal: status, body, and the no-store header RFC 6749 §5.1 asks for. */
async function refusal(response: Response) {
  return { status: response.status, cacheControl: response.headers.get('cache-control'), body: await response.json() };
}

const invalidRequest = (description: string) => ({ status: 400, cacheControl: 'no-store', body: { error: 'invalid_request', error_description: description } });
const notForm = 'The request body must be application/x-www-form-urlencoded.';

describe('token endpoint: malformed requests', () => {
  it('refuses a repeated parameter (grant_type as a list) as invalid_request', async () => {
    const w = await startProvider();
    const reply = await w.fetch(tokenUrl, {
      method: 'POST',
      body: 'grant_type=authorization_code&grant_type=password&code=x',
      headers: { authorization: basic },
    });
    expect(await refusal(reply)).toEqual(invalidRequest("The parameter 'grant_type' must not be repeated."));
  });

  it.each([
    ['JSON that does not parse', 'application/json', '{"grant_type":', notForm],
    ['an empty JSON body', 'application/json', '', notForm],
    ['a media type without a parser', 'application/xml', '<grant_type/>', notForm],
    ['a JSON list parameter', 'application/json', '{"grant_type":["authorization_code"]}', 'The token request must be application/x-www-form-urlencoded.'],
    ['a text body', 'text/plain', 'grant_type=authorization_code', 'The token request must be application/x-www-form-urlencoded.'],
  ])('refuses %s as invalid_request', async (_name, type, body, description) => {
    const w = await startProvider();
    const reply = await w.fetch(tokenUrl, { method: 'POST', body, headers: { 'content-type': type, authorization: basic } });
    expect(await refusal(reply)).toEqual(invalidRequest(description));
  });

  it('refuses a body over the size limit as invalid_request', async () => {
    const w = await startProvider();
    const reply = await w.fetch(tokenUrl, {
      method: 'POST',
      body: `grant_type=authorization_code&pad=${'a'.repeat(1_100_000)}`,
      headers: { authorization: basic },
    });
    expect(await refusal(reply)).toEqual(invalidRequest('The request body is too large.'));
  });
});

describe('userinfo endpoint: malformed requests', () => {
  it('refuses a repeated access_token and an unparsable body as invalid_request', async () => {
    const w = await startProvider();
    const repeated = await w.fetch(userinfoUrl, { method: 'POST', body: 'access_token=a&access_token=b' });
    expect(await refusal(repeated)).toEqual(invalidRequest("The parameter 'access_token' must not be repeated."));
    const json = await w.fetch(userinfoUrl, { method: 'POST', body: '{"access_token":', headers: { 'content-type': 'application/json' } });
    expect(await refusal(json)).toEqual(invalidRequest(notForm));
    const number = await w.fetch(userinfoUrl, { method: 'POST', body: '{"access_token":5}', headers: { 'content-type': 'application/json' } });
    expect(await refusal(number)).toEqual(invalidRequest("The parameter 'access_token' must be a string."));
  });

  it('still answers a POST whose token is in the header, with no body or an empty text body', async () => {
    const w = await startProvider();
    const browser = new Browser(w.fetch);
    await browser.login();
    const authorized = await browser.get(
      `${authorizationUrl}?${new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid email' })}`,
    );
    const code = new URL(authorized.headers.get('location')!).searchParams.get('code')!;
    const tokens = await w.fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback }).toString(),
      headers: { authorization: basic },
    });
    const { access_token: accessToken } = (await tokens.json()) as { access_token: string };
    const bearer = { authorization: `Bearer ${accessToken}` };
    for (const init of [
      { method: 'POST', headers: bearer },
      { method: 'POST', body: '', headers: { ...bearer, 'content-type': 'text/plain;charset=UTF-8' } },
    ]) {
      const reply = await w.fetch(userinfoUrl, init);
      expect([reply.status, await reply.json()]).toEqual([200, expect.objectContaining({ email: 'john.doe@gatehouse.localhost' })]);
    }
  });
});

describe('authorization endpoint: malformed requests', () => {
  it.each([
    ['JSON that does not parse', 'application/json', '{"client_id":'],
    ['a media type without a parser', 'application/xml', '<client_id/>'],
    ['a parameter that is not a string', 'application/json', '{"client_id":5}'],
  ])('answers %s with the error page, never a redirect', async (_name, type, body) => {
    const w = await startProvider();
    const reply = await w.fetch(authorizationUrl, { method: 'POST', body, headers: { 'content-type': type } });
    expect([reply.status, reply.headers.get('location'), reply.headers.get('content-type'), reply.headers.get('cache-control')]).toEqual([
      400,
      null,
      'text/html; charset=utf-8',
      'no-store',
    ]);
    const page = await reply.text();
    expect(page).toContain('<code>invalid_request</code>');
    expect(page).not.toContain('statusCode');
  });

  it('keeps refusing a repeated parameter in a POST by redirecting once the redirect URI is trusted', async () => {
    const w = await startProvider();
    const browser = new Browser(w.fetch);
    await browser.login();
    const form = new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid' });
    form.append('scope', 'openid email');
    const repeated = await w.fetch(authorizationUrl, {
      method: 'POST',
      body: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookie! },
    });
    const location = new URL(repeated.headers.get('location')!);
    expect([repeated.status, location.origin + location.pathname, location.searchParams.get('error')]).toEqual([303, callback, 'invalid_request']);
    expect(location.searchParams.get('error_description')).toBe("The parameter 'scope' must not be repeated.");
  });
});

describe('discovery and keys', () => {
  it('ignore query parameters, repeated or not', async () => {
    const w = await startProvider();
    for (const path of ['/.well-known/openid-configuration?x=1&x=2', '/.well-known/oauth-authorization-server?x=1', '/jwks.json?x=1&x=2']) {
      expect((await w.fetch(`${issuer}${path}`)).status).toBe(200);
    }
  });
});
