import { describe, expect, it } from 'vitest';
import { issuer, secret, startProvider } from '../helpers/oidc.js';
import { startTestGateway } from '../helpers/gateway.js';

describe('discovery and keys', () => {
  it('publishes truthful metadata at both well-known paths, with CORS *', async () => {
    const w = await startProvider();
    const oidc = await w.fetch(`${issuer}/.well-known/openid-configuration`);
    const oauth = await w.fetch(`${issuer}/.well-known/oauth-authorization-server`);
    expect(oidc.headers.get('access-control-allow-origin')).toBe('*');
    const meta = (await oidc.json()) as Record<string, unknown>;
    expect(await oauth.json()).toEqual(meta);
    expect(meta).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/api/oidc/authorization`,
      token_endpoint: `${issuer}/api/oidc/token`,
      userinfo_endpoint: `${issuer}/api/oidc/userinfo`,
      jwks_uri: `${issuer}/jwks.json`,
      response_types_supported: ['code'],
      introspection_endpoint: `${issuer}/api/oidc/introspection`,
      revocation_endpoint: `${issuer}/api/oidc/revocation`,
      grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
      subject_types_supported: ['public', 'pairwise'],
      claims_parameter_supported: true,
      request_parameter_supported: true,
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256'],
      authorization_response_iss_parameter_supported: true,
      request_uri_parameter_supported: false,
      end_session_endpoint: `${issuer}/api/oidc/end-session`,
      backchannel_logout_supported: true,
      backchannel_logout_session_supported: true,
      frontchannel_logout_supported: true,
      frontchannel_logout_session_supported: true,
    });
    // Every advertised endpoint answers (no 404), and nothing unimplemented is advertised.
    for (const [key, method] of [
      ['authorization_endpoint', 'GET'],
      ['token_endpoint', 'POST'],
      ['userinfo_endpoint', 'GET'],
      ['introspection_endpoint', 'POST'],
      ['revocation_endpoint', 'POST'],
      ['jwks_uri', 'GET'],
      ['end_session_endpoint', 'GET'],
      ['end_session_endpoint', 'POST'],
    ] as const) {
      expect((await w.fetch(meta[key] as string, { method })).status).not.toBe(404);
    }
    // Every advertised grant type is one the token endpoint knows (whatever else it says of this request).
    for (const grant of meta.grant_types_supported as string[]) {
      const answer = await w.fetch(meta.token_endpoint as string, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`confidential:${secret}`).toString('base64')}` },
        body: `grant_type=${grant}`,
      });
      expect([grant, ((await answer.json()) as { error: string }).error]).not.toEqual([grant, 'unsupported_grant_type']);
    }
    const unknown = await w.fetch(meta.token_endpoint as string, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`confidential:${secret}`).toString('base64')}` },
      body: 'grant_type=password',
    });
    expect(((await unknown.json()) as { error: string }).error).toBe('unsupported_grant_type');
    expect(meta.scopes_supported).toContain('offline_access');
    expect(meta.scopes_supported).toContain('openid');
  });

  it('refuses hosts outside the cookie domains', async () => {
    const w = await startProvider();
    const response = await w.fetch('http://evil.example/.well-known/openid-configuration');
    expect(response.status).toBe(400);
  });

  it('generates an RS256 key at first start, stores it encrypted and keeps it across restarts', async () => {
    const w = await startProvider();
    const jwks = (await (await w.fetch(`${issuer}/jwks.json`)).json()) as { keys: { kid: string; kty: string; d?: string }[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.stringMatching(/^[0-9a-f]{7}-rs256$/) });
    expect(jwks.keys[0]!.d).toBeUndefined();
    const db = (w.gateway.storage as unknown as { db: import('better-sqlite3').Database }).db;
    const row = db.prepare('SELECT private_key FROM oidc_signing_keys').get() as { private_key: Buffer };
    expect(row.private_key.toString('latin1')).not.toContain('PRIVATE KEY');
    await w.gateway.close();
    const again = await startTestGateway(w.config, { clock: w.clock });
    expect((await again.storage.oidc.signingKeys())[0]!.kid).toBe(jwks.keys[0]!.kid);
  });
});
