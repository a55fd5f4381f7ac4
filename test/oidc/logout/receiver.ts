import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type JSONWebKeySet, type JWTPayload, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { expect, onTestFinished } from 'vitest';

/** How the test RP answers a logout request. */
export type Answer = 'ok' | 'no-content' | 'fail' | 'hang' | 'redirect';

/** One request the receiver got. */
export interface Received {
  readonly path: string;
  readonly method: string;
  readonly contentType: string | undefined;
  readonly body: string;
  /** The `logout_token` form field, when there was one. */
  readonly token: string | undefined;
}

/**
 * A relying party's back-channel logout endpoint over real HTTP (127.0.0.1, port 0, or the port
 * given): records every request, answers as told, and counts the requests open at once.
 * `redirect` answers 307 to `/elsewhere` (which would answer 200, were it ever called).
 */
export async function startReceiver(answer: Answer = 'ok', port = 0) {
  let current = answer;
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let open = 0;
  let maxOpen = 0;
  const server: Server = createServer((request: IncomingMessage, response) => {
    open++;
    maxOpen = Math.max(maxOpen, open);
    response.on('close', () => open--);
    let body = '';
    request.setEncoding('utf8').on('data', (c: string) => (body += c));
    request.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token') ?? undefined;
      received.push({ path: request.url ?? '', method: request.method ?? '', contentType: request.headers['content-type'], body, token });
      const now = request.url === '/elsewhere' ? 'ok' : current;
      if (now === 'hang') hanging.add(response);
      else if (now === 'redirect') response.writeHead(307, { location: '/elsewhere' }).end();
      else response.writeHead(now === 'ok' ? 200 : now === 'no-content' ? 204 : 500, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  const close = async () => {
    for (const r of hanging) r.destroy();
    hanging.clear();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  onTestFinished(close);
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}/backchannel`,
    received,
    /** Logout tokens received at `/backchannel`. */
    tokens: () => received.filter((r) => r.path === '/backchannel').flatMap((r) => (r.token ? [r.token] : [])),
    /** The most requests that were open at the same time. */
    maxOpen: () => maxOpen,
    open: () => open,
    answer(next: Answer) {
      current = next;
    },
    /** Answers the requests left hanging (200). */
    release() {
      for (const r of hanging) r.writeHead(200).end();
      hanging.clear();
    },
    close,
  };
}

/** Waits (real time) until `check` holds; for effects of the sender's asynchronous work. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const backchannelEvent = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * What a relying party does with a logout token (Back-Channel Logout 1.0 §2.6): verifies the
 * signature against the provider's JWK Set, `typ: logout+jwt`, `iss`, `aud`, `iat`/`exp` at
 * `now`, the `events` member, no `nonce`, and `sid` and/or `sub`. Returns the claims.
 */
export async function verifyLogoutToken(
  token: string,
  jwks: JSONWebKeySet,
  expected: { issuer: string; audience: string; now: number },
): Promise<JWTPayload & { sid?: string; events?: Record<string, unknown> }> {
  expect(decodeProtectedHeader(token).typ).toBe('logout+jwt');
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: expected.issuer,
    audience: expected.audience,
    typ: 'logout+jwt',
    currentDate: new Date(expected.now),
    requiredClaims: ['iat', 'exp', 'jti', 'events'],
  });
  expect(protectedHeader.kid).toBeTypeOf('string');
  expect(payload.events).toEqual({ [backchannelEvent]: {} });
  expect(payload).not.toHaveProperty('nonce');
  expect(payload.sid ?? payload.sub).toBeTypeOf('string');
  return payload as JWTPayload & { sid?: string };
}
