/** Claims apps ask for (issue 11, item 6): pairwise subjects, updated_at, locale/zoneinfo, the claims parameter, claims_policies. */
import { mkdtempSync, readFileSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { FileUserBackend } from '../../src/auth/users/file-backend.js';
import { configOf, minimalRaw } from '../helpers/config.js';
import { Browser, callback, client, discover, portalOrigin, secret, sha512Digest, startProvider, testClients } from '../helpers/oidc.js';

type World = Awaited<ReturnType<typeof startProvider>>;

const base = { authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [callback], client_secret: secret };

function clients(): Record<string, unknown>[] {
  return [
    ...testClients(),
    { ...base, client_id: 'pairwise-a', subject_type: 'pairwise' },
    { ...base, client_id: 'sector-x1', sector_identifier_uri: 'https://x.example.com/sector.json' },
    { ...base, client_id: 'sector-x2', sector_identifier_uri: 'https://x.example.com/other.json' },
    { ...base, client_id: 'sector-y', sector_identifier_uri: 'https://y.example.com/sector.json' },
    { ...base, client_id: 'policy', claims_policy: 'in-id-token' },
    { ...base, client_id: 'es256', id_token_signed_response_alg: 'ES256' },
  ];
}

async function start(): Promise<World> {
  return startProvider({ clients: clients(), claims_policies: { 'in-id-token': { id_token: ['email', 'groups'] } } });
}

/** One code flow for john (signed in once per browser); returns the tokens. */
async function flow(w: World, clientId: string, extra: Record<string, string> = {}, browser = new Browser(w.fetch)) {
  if (!browser.cookie) {
    expect((await browser.login()).status).toBe(200);
    w.clock.advance(1000);
  }
  const config = await discover(w.fetch, clientId, { client_secret: secret }, client.ClientSecretBasic(secret));
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: callback,
    scope: 'openid profile email groups',
    state: 'state-12',
    nonce: 'nonce-12',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  const answer = await browser.get(url);
  const location = new URL(answer.headers.get('location')!, portalOrigin);
  if (location.searchParams.get('error')) return { error: location.searchParams.get('error'), config, browser };
  const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: 'state-12', expectedNonce: 'nonce-12' });
  return { tokens, config, browser, claims: decodeJwt(tokens.id_token!) };
}

describe('pairwise subjects (OIDC Core §8.1)', () => {
  it('gives a client its own subject per sector, shared by clients of one sector_identifier_uri host, and the public one otherwise', async () => {
    const w = await start();
    const browser = new Browser(w.fetch);
    const sub = async (id: string) => (await flow(w, id, {}, browser)).claims!.sub;
    const [publicSub, pairwise, x1, x2, y, publicAgain] = [
      await sub('confidential'),
      await sub('pairwise-a'),
      await sub('sector-x1'),
      await sub('sector-x2'),
      await sub('sector-y'),
      await sub('pkce-always'),
    ];
    expect(publicAgain).toBe(publicSub);
    expect(x2).toBe(x1);
    expect(new Set([publicSub, pairwise, x1, y]).size).toBe(4);
    // Stable: the same client gets the same subject again, and userinfo says the same.
    const again = await flow(w, 'sector-y', {}, browser);
    expect(again.claims!.sub).toBe(y);
    const info = await client.fetchUserInfo(again.config, again.tokens!.access_token, y as string);
    expect(info.sub).toBe(y);
  });
});

describe('updated_at, locale and zoneinfo from the users file', () => {
  it('releases locale and zoneinfo when the users file has them, and updated_at as the file time of the read that saw the entry change', async () => {
    const w = await startProvider(
      { clients: clients(), claims_policies: { 'in-id-token': { id_token: ['email', 'groups'] } } },
      { config: { authentication_backend: { file: { path: 'users.yml', watch: true } } } },
    );
    const usersFile = join(w.dir, 'users.yml');
    const text = readFileSync(usersFile, 'utf8').replace('  john:\n', '  john:\n    locale: fr-FR\n    zoneinfo: Europe/Paris\n');
    writeFileSync(`${usersFile}.next`, text);
    utimesSync(`${usersFile}.next`, 1_700_000_000, 1_700_000_000);
    renameSync(`${usersFile}.next`, usersFile);
    const { tokens, config, claims } = await flow(w, 'confidential');
    let info: Record<string, unknown> = {};
    for (let i = 0; i < 400 && info.locale === undefined; i++) {
      info = await client.fetchUserInfo(config, tokens!.access_token, claims!.sub as string);
      if (info.locale === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(info).toMatchObject({ locale: 'fr-FR', zoneinfo: 'Europe/Paris', updated_at: 1_700_000_000 });
  });

  it('keeps updated_at across reloads that leave the entry as it was, and moves it when the entry changes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-updated-'));
    const path = join(dir, 'users.yml');
    const entry = (locale: string) => `users:\n  john:\n    displayname: John\n    password: '${sha512Digest('x')}'\n    locale: ${locale}\n`;
    const write = (text: string, seconds: number) => {
      writeFileSync(path, text);
      utimesSync(path, seconds, seconds);
    };
    write(entry('fr-FR'), 1_700_000_000);
    const config = configOf(minimalRaw(dir, { authentication_backend: { file: { path } } }), {}, dir).authenticationBackend!.file!;
    const backend = await FileUserBackend.open({ config });
    expect((await backend.get('john'))?.profile.updatedAt).toBe(1_700_000_000);
    write(entry('fr-FR'), 1_800_000_000);
    await backend.reload();
    expect((await backend.get('john'))?.profile.updatedAt).toBe(1_700_000_000);
    write(entry('de-DE'), 1_900_000_000);
    await backend.reload();
    expect((await backend.get('john'))?.profile).toMatchObject({ locale: 'de-DE', updatedAt: 1_900_000_000 });
    await backend.close();
  });
});

describe('where claims go: the claims parameter and claims_policies', () => {
  it('places claims asked for in id_token into the ID token, within the granted scopes only', async () => {
    const w = await start();
    const plain = await flow(w, 'confidential');
    expect(plain.claims).not.toHaveProperty('email');
    const asked = await flow(
      w,
      'confidential',
      { claims: JSON.stringify({ id_token: { email: null, groups: { essential: true } }, userinfo: { name: null } }) },
      plain.browser,
    );
    expect(asked.claims).toMatchObject({ email: 'john.doe@gatehouse.localhost', groups: ['admins', 'dev'] });
    // A claim of a scope that was not granted stays out (phone needs the phone scope).
    const beyond = await flow(w, 'confidential', { claims: JSON.stringify({ id_token: { phone_number: null } }), scope: 'openid' }, plain.browser);
    expect(beyond.claims).not.toHaveProperty('phone_number');
  });

  it('refuses a malformed claims parameter with invalid_request', async () => {
    const w = await start();
    for (const claims of ['not json', '[]', '{"id_token":[]}', '{"id_token":{"email":true}}']) {
      expect([claims, (await flow(w, 'confidential', { claims })).error]).toEqual([claims, 'invalid_request']);
    }
  });

  it("copies the claims of the client's claims_policy into every ID token", async () => {
    const w = await start();
    const { claims } = await flow(w, 'policy');
    expect(claims).toMatchObject({ email: 'john.doe@gatehouse.localhost', groups: ['admins', 'dev'] });
    expect(claims).not.toHaveProperty('name');
  });
});

describe('signing algorithms without configured keys', () => {
  it('generates and stores a key for each algorithm a client asks for (ES256 here), published in /jwks.json', async () => {
    const w = await start();
    const { tokens } = await flow(w, 'es256');
    expect(decodeProtectedHeader(tokens!.id_token!).alg).toBe('ES256');
    const jwks = (await (await w.fetch(`${portalOrigin}/jwks.json`)).json()) as { keys: { alg: string }[] };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    await jwtVerify(tokens!.id_token!, createLocalJWKSet(jwks as never), { audience: 'es256', currentDate: new Date(w.clock.now()) });
  });
});
