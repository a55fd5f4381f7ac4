import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AuthzWorld, demoRules, fastDigest, password, startAuthzGateway } from '../authz/fixtures.js';
import { tempDir } from '../helpers/config.js';
import { startUpstream, until, type Upstream } from '../proxy/upstream.js';
import { type Got, type ProxyWorld, send } from '../proxy/world.js';

/**
 * Security finding 3: editing the users file (watch: true) must reach sessions already open.
 * Everything goes over real HTTP to a listening gateway that both answers forward-auth and
 * proxies to a recording upstream: logins, forward-auth checks and proxied requests.
 */

const domain = 'example.localhost';
const portal = `http://auth.${domain}:9091`;

interface Person {
  readonly name: string;
  readonly groups: readonly string[];
  readonly disabled?: boolean;
  readonly digest?: string;
}

function usersYaml(people: readonly Person[], digests: ReadonlyMap<string, string>): string {
  const lines = people.map((p) => {
    const groups = `[${p.groups.join(', ')}]`;
    const disabled = p.disabled ? ', disabled: true' : '';
    return `  ${p.name}: {displayname: '${p.name}', password: '${p.digest ?? digests.get(p.name)}', email: ${p.name}@example.com, groups: ${groups}${disabled}}`;
  });
  return ['users:', ...lines, ''].join('\n');
}

/** Replaces the file by a rename, as editors and config tools do, so the watcher never reads half a file. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.next`, text);
  renameSync(`${path}.next`, path);
}

interface World extends ProxyWorld {
  readonly dir: string;
  readonly usersFile: string;
  readonly digests: ReadonlyMap<string, string>;
}

interface WorldOptions {
  readonly watch?: boolean;
  /** Reuse this folder's users file and database (a restart); a fresh folder otherwise. */
  readonly dir?: string;
  readonly digests?: ReadonlyMap<string, string>;
}

async function startWorld(refreshInterval: string | undefined, options: WorldOptions = {}): Promise<World> {
  const upstream: Upstream = await startUpstream();
  const dir = options.dir ?? tempDir();
  const usersFile = join(dir, 'users.yml');
  const digests = options.digests ?? new Map(['john', 'bob', 'harry', 'ann'].map((name) => [name, fastDigest(password)]));
  if (!options.dir)
    writeFileSync(
      usersFile,
      usersYaml(
        [
          { name: 'john', groups: ['admins', 'dev'] },
          { name: 'bob', groups: ['dev'] },
          { name: 'harry', groups: [] },
          { name: 'ann', groups: ['dev'] },
        ],
        digests,
      ),
    );
  const world: AuthzWorld = await startAuthzGateway(
    {
      server: { address: 'tcp://127.0.0.1:0' },
      storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: join(dir, 'db.sqlite3') } },
      authentication_backend: {
        file: { path: usersFile, watch: options.watch ?? true },
        ...(refreshInterval === undefined ? {} : { refresh_interval: refreshInterval }),
      },
      access_control: demoRules(domain),
      proxy: { upstreams: [{ domain: `app.${domain}`, target: upstream.url, timeout: '2s' }] },
    },
    domain,
    portal,
  );
  return { ...world, upstream, port: Number(new URL(world.gateway.url).port), usersFile, digests, dir };
}

/** Logs in through the real `POST /api/firstfactor`; returns the Cookie header value. */
async function login(w: World, username: string): Promise<string> {
  const reply = await send(w, `auth.${domain}`, '/api/firstfactor', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(reply.status, `login of ${username}: ${reply.body}`).toBe(200);
  const setCookie = ([] as string[]).concat(reply.headers['set-cookie'] ?? []);
  const name = w.config.session.cookies[0]!.name;
  const cookie = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${name}=`));
  if (!cookie) throw new Error('no session cookie');
  return cookie;
}

/** Asks `/api/authz/forward-auth` about `http://app.<domain><path>` as Traefik or Caddy would. */
function forwardAuth(w: World, cookie: string, path = '/'): Promise<Got> {
  return send(w, `auth.${domain}`, '/api/authz/forward-auth', {
    headers: { cookie, 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'http', 'x-forwarded-host': `app.${domain}`, 'x-forwarded-uri': path },
  });
}

/** A request through the built-in proxy; returns the answer and what reached the upstream, if anything. */
async function proxied(w: World, cookie: string, path = '/'): Promise<{ reply: Got; upstream: Record<string, unknown> | undefined }> {
  const before = w.upstream.seen.length;
  const reply = await send(w, `app.${domain}`, path, { headers: { cookie } });
  return { reply, upstream: w.upstream.seen.length > before ? w.upstream.seen.at(-1)!.headers : undefined };
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

/** The edited users file: bob disabled, harry removed, john's digest changed, ann in admins too. */
function editedUsers(digests: ReadonlyMap<string, string>): string {
  return usersYaml(
    [
      { name: 'john', groups: ['admins', 'dev'], digest: fastDigest('a new passphrase for john') },
      { name: 'bob', groups: ['dev'], disabled: true },
      { name: 'ann', groups: ['dev', 'admins'] },
    ],
    digests,
  );
}

/** Rewrites the users file as {@link editedUsers} says and waits until the gateway has acted on it. */
async function editUsers(w: World): Promise<void> {
  const reloadsBefore = count(w.logs(), '"msg":"users file reloaded"');
  replaceFile(w.usersFile, editedUsers(w.digests));
  // Wait for what the reload does, never for a fixed time: the reload, then the three users' sessions ended.
  await until(() => count(w.logs(), '"msg":"users file reloaded"') > reloadsBefore, 'the users file reload');
  await until(() => count(w.logs(), 'every session of the user ended') >= 3, 'the sessions of bob, harry and john to end');
}

describe('editing the users file reaches open sessions (watch: true)', () => {
  it.each([
    ['default (always with watch)', undefined, 'dev,admins'],
    ['1h', '1h', 'dev,admins'],
    ['disable', 'disable', 'dev'],
  ] as const)('refresh_interval %s: disabled, removed and re-passworded users are logged out everywhere', async (_name, interval, annGroups) => {
    const w = await startWorld(interval);
    const cookies = new Map<string, string>();
    for (const name of ['bob', 'harry', 'john', 'ann']) cookies.set(name, await login(w, name));
    const cookieOf = (name: string) => cookies.get(name)!;

    for (const name of ['bob', 'harry', 'john', 'ann']) {
      const asked = await forwardAuth(w, cookieOf(name));
      expect([asked.status, asked.headers['remote-user']]).toEqual([200, name]);
      expect((await proxied(w, cookieOf(name))).upstream?.['remote-user']).toBe(name);
    }
    expect((await forwardAuth(w, cookieOf('ann'), '/admin')).status).toBe(403);

    await editUsers(w);

    for (const name of ['bob', 'harry', 'john']) {
      const asked = await forwardAuth(w, cookieOf(name));
      expect([asked.status, asked.headers['remote-user']], `forward-auth for ${name}`).toEqual([302, undefined]);
      expect(asked.headers.location).toMatch(new RegExp(`^${portal.replace(/[.]/g, '\\.')}/\\?rd=`));
      const json = await send(w, `auth.${domain}`, '/api/authz/forward-auth', {
        headers: {
          cookie: cookieOf(name),
          accept: 'application/json',
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'http',
          'x-forwarded-host': `app.${domain}`,
          'x-forwarded-uri': '/',
        },
      });
      expect(json.status, `forward-auth (JSON) for ${name}`).toBe(401);
      const through = await proxied(w, cookieOf(name));
      expect([through.reply.status, through.upstream], `proxy for ${name}`).toEqual([302, undefined]);
    }
    const seenUsers = w.upstream.seen.map((seen) => seen.headers['remote-user']);
    expect(seenUsers).toEqual(['bob', 'harry', 'john', 'ann']);

    const annAsked = await forwardAuth(w, cookieOf('ann'), '/admin');
    expect([annAsked.status, annAsked.headers['remote-groups']]).toEqual(annGroups === 'dev' ? [403, undefined] : [200, annGroups]);
    const annThrough = await proxied(w, cookieOf('ann'));
    expect(annThrough.upstream).toMatchObject({ 'remote-user': 'ann', 'remote-groups': annGroups });

    // The log says who and why, never a digest.
    const logs = w.logs();
    expect(logs).toMatch(/"username":"bob","reason":"disabled"/);
    expect(logs).toMatch(/"username":"harry","reason":"removed"/);
    expect(logs).toMatch(/"username":"john","reason":"password changed"/);
    expect(logs).not.toContain('$pbkdf2-sha256$');
    // Signing in again follows the new file: harry and bob cannot, john can with his new password.
    const again = (username: string, secret: string) =>
      send(w, `auth.${domain}`, '/api/firstfactor', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ username, password: secret }),
      });
    expect((await again('harry', password)).status).toBe(401);
    expect((await again('bob', password)).status).toBe(401);
    expect((await again('john', 'a new passphrase for john')).status).toBe(200);
  });
});

describe('a users file edited while Gatehouse was stopped (no watch)', () => {
  it('ends, at their next use after the restart, the sessions of users removed, disabled or with another password, and refreshes groups', async () => {
    const first = await startWorld(undefined, { watch: false });
    const cookies = new Map<string, string>();
    for (const name of ['bob', 'harry', 'john', 'ann']) cookies.set(name, await login(first, name));
    await first.gateway.close();
    writeFileSync(first.usersFile, editedUsers(first.digests));

    // Same configuration and database; the default refresh_interval (5m) has not passed.
    const second = await startWorld(undefined, { watch: false, dir: first.dir, digests: first.digests });
    for (const name of ['bob', 'harry', 'john']) {
      expect((await forwardAuth(second, cookies.get(name)!)).status, `forward-auth for ${name}`).toBe(302);
      expect((await proxied(second, cookies.get(name)!)).upstream, `proxy for ${name}`).toBeUndefined();
    }
    const ann = await forwardAuth(second, cookies.get('ann')!, '/admin');
    expect([ann.status, ann.headers['remote-user'], ann.headers['remote-groups']]).toEqual([200, 'ann', 'dev,admins']);
    expect(second.logs()).toMatch(/"username":"john","reason":"password changed","msg":"session ended: the password changed since sign-in"/);
  });
});
