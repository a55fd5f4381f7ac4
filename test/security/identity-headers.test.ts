/**
 * Attack class 3: identity-header injection. A client that sends its own `Remote-User` (any
 * case, `_` for `-`, twice, hidden behind `Connection:`) must never have it reach an upstream
 * through the built-in proxy, nor see it echoed in a forward-auth answer that a front proxy
 * copies onto the request. Raw bytes over a socket, so that duplicates and spellings arrive
 * exactly as sent.
 */
import { describe, expect, it } from 'vitest';
import { defaults } from '../../src/config/defaults.js';
import { rawExchange } from '../proxy/upstream.js';
import { type World, sharedWorld } from './world.js';

const domain = 'gatehouse.localhost';
const session = defaults.session.name;

function request(w: World, site: string, path: string, lines: string[]): string {
  return [`GET ${path} HTTP/1.1`, `Host: ${site}.${domain}:${w.port}`, 'Accept: text/html', ...lines, 'Connection: close', '', ''].join('\r\n');
}

/** The identity-like header lines the upstream received, as sent (name: value). */
function identityLines(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (/^remote[-_]/i.test(rawHeaders[i]!)) out.push(`${rawHeaders[i]!.toLowerCase()}: ${rawHeaders[i + 1]}`);
  }
  return out.sort();
}

const forgeries: [string, string[]][] = [
  ['Remote-User', ['Remote-User: admin']],
  ['remote_user (underscore, GHSA-vjrc-mh2v-45x6)', ['remote_user: admin']],
  ['Remote_User (GHSA-f59h-q822-g45g)', ['Remote_User: admin']],
  ['REMOTE-USER upper case', ['REMOTE-USER: admin']],
  ['Remote-User twice', ['Remote-User: admin', 'Remote-User: root']],
  ['remote-user and remote_user together', ['remote-user: admin', 'remote_user: root']],
  ['Remote-Groups / Remote-Email / Remote-Name', ['Remote-Groups: admins', 'Remote-Email: admin@example.com', 'Remote-Name: Admin']],
  ['Remote_Groups / Remote_Email (underscores)', ['Remote_Groups: admins', 'Remote_Email: admin@example.com']],
  ['Connection: Remote-User (hop-by-hop trick, Traefik PR #8319)', ['Remote-User: admin', 'Connection: Remote-User']],
  ['Connection listing every identity header', ['Remote-User: admin', 'Connection: keep-alive, Remote-User, Remote-Groups, Remote-Email, Remote-Name']],
  ['Remote-User-Extra (a longer name with the prefix)', ['Remote-User-Extra: admin', 'Remote-UserX: admin']],
];

describe('built-in proxy: Caddy GHSA-7r4p-vjf4-gxv4 / GHSA-f59h-q822-g45g, oauth2-proxy GHSA-vjrc-mh2v-45x6, Cosmos GHSA-2rx5-2g7j-2659; ASVS 4.1.2', () => {
  const world = sharedWorld({ domain, upstreams: ['app', 'public'] });
  const seenFor = async (site: 'app' | 'public', lines: string[]) => {
    const w = world();
    const upstream = w.upstreams[site]!;
    const before = upstream.seen.length;
    const reply = await rawExchange(w.port, request(w, site, '/whoami', lines));
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(upstream.seen.length).toBe(before + 1);
    return upstream.seen.at(-1)!;
  };

  it.each(forgeries)('anonymous on a bypass site, forged %s: the upstream gets no identity header', async (_name, lines) => {
    const seen = await seenFor('public', lines);
    expect(identityLines(seen.rawHeaders)).toEqual([]);
  });

  it.each(forgeries)('bob signed in, forged %s: the upstream gets exactly bob’s identity, once', async (_name, lines) => {
    const cookie = await world().cookieOf('bob');
    const seen = await seenFor('app', [...lines, `Cookie: ${cookie}`]);
    expect(identityLines(seen.rawHeaders)).toEqual(['remote-email: bob@gatehouse.localhost', 'remote-groups: dev', 'remote-name: Bob', 'remote-user: bob']);
  });

  it.each([
    ['a CR inside a value', 'X-Evil: a\rRemote-User: admin'],
    ['obs-fold continuing into Remote-User', 'X-Fold: a\r\n Remote-User: admin'],
    ['a NUL in Remote-User', 'Remote-User: ad\u0000min'],
    ['a space before the colon', 'Remote-User : admin'],
  ])('%s is refused by the parser (400), nothing reaches the upstream', async (_name, line) => {
    const w = world();
    const before = w.upstreams.public!.seen.length;
    const reply = await rawExchange(w.port, request(w, 'public', '/', [line]));
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(w.upstreams.public!.seen.length).toBe(before);
  });
});

describe('forward-auth answers: Caddy GHSA-7r4p-vjf4-gxv4, CVE-2026-25748 (authentik: malformed cookie passes with no identity); ASVS 4.1.2', () => {
  const world = sharedWorld({ domain });
  const ask = async (lines: string[], target = `http://app.${domain}/`) => {
    const w = world();
    const url = new URL(target);
    const bytes = [
      'GET /api/authz/forward-auth HTTP/1.1',
      'Host: gatehouse.internal',
      'Accept: text/html',
      'X-Forwarded-Method: GET',
      `X-Forwarded-Proto: ${url.protocol.slice(0, -1)}`,
      `X-Forwarded-Host: ${url.host}`,
      `X-Forwarded-Uri: ${url.pathname}`,
      ...lines,
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    return rawExchange(w.port, bytes);
  };
  /** The identity header lines of a raw answer. */
  const answered = (reply: string) =>
    reply
      .split('\r\n\r\n')[0]!
      .split('\r\n')
      .filter((l) => /^remote[-_]/i.test(l))
      .map((l) => l.toLowerCase())
      .sort();

  it.each(forgeries)('anonymous on a bypass site, forged %s: 200 with no identity header to copy', async (_name, lines) => {
    const reply = await ask(lines, `http://public.${domain}/`);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(answered(reply)).toEqual([]);
  });

  it.each(forgeries)('bob signed in, forged %s: the answer names bob, once per header', async (_name, lines) => {
    const cookie = await world().cookieOf('bob');
    const reply = await ask([...lines, `Cookie: ${cookie}`]);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(answered(reply)).toEqual(['remote-email: bob@gatehouse.localhost', 'remote-groups: dev', 'remote-name: bob', 'remote-user: bob']);
  });

  it.each([
    ['a forged Remote-User alone', ['Remote-User: admin']],
    ['a malformed session cookie', [`Cookie: ${session}=%%%`, 'Remote-User: admin']],
    ['a session cookie of the wrong shape', [`Cookie: ${session}=${'A'.repeat(43)}x`, 'Remote-User: admin']],
    ['two session cookies', [`Cookie: ${session}=${'A'.repeat(43)}; ${session}=${'B'.repeat(43)}`, 'Remote-User: admin']],
    ['an empty session cookie', [`Cookie: ${session}=`, 'Remote-User: admin']],
    ['Basic credentials with a CRLF-split user name', [`Authorization: Basic ${Buffer.from('bob\r\nRemote-User: admin:bob-password').toString('base64')}`]],
    ['Basic credentials with a NUL in the user name', [`Authorization: Basic ${Buffer.from('bob\u0000admin:bob-password').toString('base64')}`]],
  ])('a one_factor site with %s: login, never a 200 without identity', async (_name, lines) => {
    const reply = await ask(lines);
    expect(reply).toMatch(/^HTTP\/1\.1 (302|401) /);
    expect(answered(reply)).toEqual([]);
  });
});
