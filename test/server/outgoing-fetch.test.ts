import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { OidcClientConfig } from '../../src/config/oidc.js';
import { ClientKeys } from '../../src/oidc/client-keys.js';
import { outgoingFetch } from '../../src/server/outgoing-fetch.js';
import { ManualClock } from '../../src/shared/clock.js';
import { configOf, minimalRaw, tempDir } from '../helpers/config.js';
import { makeAuthority } from '../helpers/test-authority.js';

/** An HTTPS server for `localhost` with a certificate of the test authority, answering `body` as JSON. */
async function startHttps(cert: string, key: string, body: unknown): Promise<string> {
  const server = createServer({ cert, key }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `https://localhost:${(server.address() as AddressInfo).port}`;
}

function certificatesOf(dir: string, folder?: string) {
  return configOf(minimalRaw(dir, folder ? { certificates_directory: folder } : {})).certificates;
}

describe('outgoing HTTPS trusts certificates_directory (jwks_uri, back-channel logout)', () => {
  it('is Node’s own fetch when the folder adds no authority', () => {
    expect(outgoingFetch(certificatesOf(tempDir()))).toBeUndefined();
  });

  it('reaches a server signed by an authority of the folder, which Node’s fetch refuses', async () => {
    const dir = tempDir();
    const folder = join(dir, 'certs');
    mkdirSync(folder);
    const { ca, cert, key } = makeAuthority(dir);
    writeFileSync(join(folder, 'ca.pem'), ca);
    const url = await startHttps(cert, key, { ok: true });
    await expect(fetch(url)).rejects.toThrow();
    const trusted = outgoingFetch(certificatesOf(dir, folder));
    expect(trusted).toBeDefined();
    expect(await (await trusted!(url)).json()).toEqual({ ok: true });
  });

  it('lets a client’s jwks_uri be fetched from such a server', async () => {
    const dir = tempDir();
    const folder = join(dir, 'certs');
    mkdirSync(folder);
    const { ca, cert, key } = makeAuthority(dir);
    writeFileSync(join(folder, 'ca.pem'), ca);
    const { publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'client-key', alg: 'RS256', use: 'sig' };
    const url = await startHttps(cert, key, { keys: [jwk] });
    const keys = new ClientKeys({ clock: new ManualClock(), fetch: outgoingFetch(certificatesOf(dir, folder))! });
    const client = { id: 'jwt-client', jwksUri: `${url}/jwks.json`, jwks: [] } as unknown as OidcClientConfig;
    const resolver = keys.resolverFor(client);
    const found = await resolver({ alg: 'RS256', kid: 'client-key' }, { payload: '', signature: '' } as never);
    expect(found).toBeDefined();
  });
});
