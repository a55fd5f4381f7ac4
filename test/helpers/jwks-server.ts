import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import { type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JWK, SignJWT, exportJWK } from 'jose';
import { onTestFinished } from 'vitest';

/** What the test server answers at `/jwks`. */
export type JwksBehaviour =
  | { kind: 'keys'; keys: JWK[]; cacheControl?: string }
  | { kind: 'hang' }
  | { kind: 'huge'; bytes: number; declareLength: boolean }
  | { kind: 'text'; body: string };

/** A client's JWK Set served over real HTTP on port 0 (127.0.0.1), with a hit counter. */
export async function startJwksServer(initial: JwksBehaviour) {
  let behaviour = initial;
  let hits = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    if (request.url !== '/jwks') {
      response.writeHead(404).end();
      return;
    }
    hits++;
    const b = behaviour;
    if (b.kind === 'hang') {
      hanging.add(response);
      return;
    }
    if (b.kind === 'huge') {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      response.writeHead(200, { 'content-type': 'application/json', ...(b.declareLength ? { 'content-length': String(b.bytes) } : {}) });
      let sent = 0;
      const pump = () => {
        while (sent < b.bytes) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('error', () => undefined);
      pump();
      return;
    }
    if (b.kind === 'text') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(b.body);
      return;
    }
    response.writeHead(200, { 'content-type': 'application/jwk-set+json', ...(b.cacheControl ? { 'cache-control': b.cacheControl } : {}) });
    response.end(JSON.stringify({ keys: b.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  onTestFinished(async () => {
    for (const r of hanging) r.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    hits: () => hits,
    serve(next: JwksBehaviour) {
      behaviour = next;
    },
  };
}

/** An RS256 key pair of a client, with its public JWK under `kid`. */
export async function clientKeyPair(kid: string) {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, jwk };
}

/** A signed JWT with `claims`, `kid` in the header unless undefined. */
export function signWith(privateKey: KeyObject, kid: string | undefined, claims: Record<string, unknown>, alg = 'RS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) }).sign(privateKey);
}
