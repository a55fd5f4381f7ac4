import { readFileSync, writeFileSync } from 'node:fs';
import type { JSONWebKeySet } from 'jose';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { hashSessionId } from '../../src/session/session-id.js';
import { ManualClock } from '../../src/shared/clock.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { startTestGateway, injectListener } from '../helpers/gateway.js';
import { callback, loopbackFetch, secret } from '../helpers/oidc.js';
import { PortalClient, portalHost, portalOrigin, quickDigest } from '../helpers/portal.js';
import { type TokenWorld, client, codeFlow, configFor } from '../oidc/token-world.js';
import { eventually, startReceiver, verifyLogoutToken } from '../oidc/logout/receiver.js';

/**
 * A gateway started from a configuration file (the same file the CLI reads), with john and bob
 * and one OpenID Connect client that logs out over the back channel.
 */
async function world() {
  const dir = tempDir();
  const receiver = await startReceiver('ok');
  const usersFile = join(dir, 'users.yml');
  writeFileSync(
    usersFile,
    [
      'users:',
      '  john:',
      `    password: '${quickDigest('password')}'`,
      '    displayname: John',
      '  bob:',
      `    password: '${quickDigest('bobpassword')}'`,
      '    displayname: Bob',
    ].join('\n'),
  );
  const logFile = join(dir, 'gatehouse.log');
  const file = join(dir, 'config.yml');
  const document = {
    server: { address: 'tcp://127.0.0.1:0' },
    log: { level: 'info', format: 'json', file_path: logFile },
    session: { cookies: [{ domain: 'gatehouse.localhost', portal_url: portalOrigin }] },
    storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: join(dir, 'db.sqlite3') } },
    authentication_backend: { file: { path: usersFile } },
    access_control: { default_policy: 'deny', rules: [{ domain: 'app.gatehouse.localhost', policy: 'one_factor' }] },
    identity_providers: {
      oidc: {
        hmac_secret: 'a-very-long-hmac-secret-for-tests',
        clients: [
          {
            client_id: 'app',
            client_secret: secret,
            authorization_policy: 'one_factor',
            consent_mode: 'implicit',
            redirect_uris: [callback],
            backchannel_logout_uri: receiver.url,
          },
        ],
      },
    },
  };
  writeFileSync(file, JSON.stringify(document, null, 2));
  // The CLI runs on the system clock: the gateway's manual clock starts at the real time.
  const clock = new ManualClock(Date.now());
  const gateway = await startTestGateway(loadConfig(file, {}).config, { clock, backchannel: { pollInterval: 20 } });
  const fetch = loopbackFetch(new URL(gateway.url));
  const signedIn = async (username: string, password: string) => {
    const browser = new PortalClient(gateway, portalHost);
    expect((await browser.login(username, password)).status).toBe(200);
    return browser;
  };
  /** What forward-auth answers the browser for the protected site. */
  const forwardAuth = async (browser: PortalClient) =>
    (
      await injectListener(gateway, {
        method: 'GET',
        url: '/api/authz/forward-auth',
        remoteAddress: '127.0.0.1',
        headers: {
          accept: 'text/html',
          'x-forwarded-method': 'GET',
          host: portalHost,
          'x-forwarded-proto': 'http',
          'x-forwarded-host': 'app.gatehouse.localhost',
          'x-forwarded-uri': '/',
          ...(browser.cookie ? { cookie: browser.cookie } : {}),
        },
      })
    ).statusCode;
  const cli = (...args: string[]) => runCli(['sessions', ...args, '--config', file]);
  return { dir, file, logFile, clock, gateway, receiver, fetch, signedIn, forwardAuth, cli };
}

/** The session IDs (stored hashes) `sessions list` prints. */
function listedIds(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/)[0]!);
}

describe('gatehouse sessions', () => {
  it('list prints each live session of the user, by its stored hash, never the cookie', async () => {
    const w = await world();
    const first = await w.signedIn('john', 'password');
    w.clock.advance(60_000);
    const second = await w.signedIn('john', 'password');
    await w.signedIn('bob', 'bobpassword');

    const listed = await w.cli('list', '--user', 'john');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+SIGNED IN\s+LAST ACTIVITY\s+EXPIRES\s+LEVEL\s+DOMAIN\s+REMEMBERED$/);
    const cookies = [first, second].map((b) => b.cookie!.split('=')[1]!);
    expect(new Set(listedIds(listed.stdout))).toEqual(new Set(cookies.map(hashSessionId)));
    for (const cookie of cookies) expect(listed.stdout).not.toContain(cookie);
    expect(lines[1]).toMatch(/\s+one_factor\s+gatehouse\.localhost\s+no$/);

    expect(await w.cli('list', '--user', 'nobody')).toMatchObject({ code: 0, stdout: "No session of 'nobody'.\n" });
  });

  it('revoke --session ends one session: the running gateway stops honouring it within its cache lifetime, the other stays', async () => {
    const w = await world();
    const john = await w.signedIn('john', 'password');
    const other = await w.signedIn('john', 'password');
    expect(await w.forwardAuth(john)).toBe(200);
    const id = hashSessionId(john.cookie!.split('=')[1]!);

    // An ID may start with '-' (base64url): the `=` form keeps it from reading as an option.
    expect(await w.cli('revoke', `--session=${id}`)).toMatchObject({ code: 0, stdout: `Ended session ${id}.\n` });
    // The gateway serves a session from memory for at most 2 s (session/cached-store.ts).
    w.clock.advance(2_001);
    expect(await w.forwardAuth(john)).toBe(302);
    expect(await w.forwardAuth(other)).toBe(200);
    expect(listedIds((await w.cli('list', '--user', 'john')).stdout)).toEqual([hashSessionId(other.cookie!.split('=')[1]!)]);

    // Already ended: says so and fails.
    const again = await w.cli('revoke', `--session=${id}`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no live session has the ID '${id}'`);
  });

  it('revoke --session also takes the session cookie’s value', async () => {
    const w = await world();
    const john = await w.signedIn('john', 'password');
    const cookie = john.cookie!.split('=')[1]!;
    expect(await w.cli('revoke', `--session=${cookie}`)).toMatchObject({ code: 0, stdout: `Ended session ${hashSessionId(cookie)} (named by its cookie).\n` });
    w.clock.advance(2_001);
    expect(await w.forwardAuth(john)).toBe(302);
  });

  it('revoke --user ends every session of the user with single logout: grants revoked, the client told by the running gateway, one audit line each', async () => {
    const w = await world();
    const tokenWorld = { fetch: w.fetch, clock: w.clock } as unknown as TokenWorld;
    const config = await configFor(tokenWorld, 'app');
    const tokens = await codeFlow(tokenWorld, config, 'openid profile');
    const sid = tokens.claims()!.sid as string;
    expect(sid).toBeTypeOf('string');
    const second = await w.signedIn('john', 'password');
    const bob = await w.signedIn('bob', 'bobpassword');

    const revoked = await w.cli('revoke', '--user', 'john');
    expect(revoked).toMatchObject({ code: 0, stdout: "Ended 2 sessions of 'john'.\n", stderr: '' });

    // Queued by the CLI in the database (due at the CLI's time), delivered by the gateway's sender.
    w.clock.advance(5_000);
    await eventually(() => w.receiver.received.length === 1, 'the logout token');
    const jwks = (await (await w.fetch(`${portalOrigin}/jwks.json`)).json()) as JSONWebKeySet;
    const claims = await verifyLogoutToken(w.receiver.received[0]!.token!, jwks, {
      issuer: portalOrigin,
      audience: 'app',
      now: w.clock.now(),
    });
    expect(claims).toMatchObject({ sid, sub: tokens.claims()!.sub });
    expect(w.receiver.received[0]!.path).toBe('/backchannel');
    // The access token of the ended session is refused at userinfo.
    await expect(client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).rejects.toThrow();

    expect(await w.forwardAuth(second)).toBe(302);
    expect(await w.forwardAuth(bob)).toBe(200);

    const audit = readFileSync(w.logFile, 'utf8');
    const ended = audit
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.audit === 'session_ended');
    expect(ended).toHaveLength(2);
    for (const line of ended) expect(line).toMatchObject({ username: 'john', reason: 'revoked' });
    expect(audit).not.toContain(second.cookie!.split('=')[1]!);
  });

  it('refuses bad use with a usage error naming what is wrong', async () => {
    const { file } = await world();
    expect(await runCli(['sessions', 'list', '--config', file])).toMatchObject({
      code: 2,
      stderr: 'gatehouse sessions list: needs --user USER (and no --session)\n',
    });
    expect(await runCli(['sessions', 'revoke', '--config', file])).toMatchObject({
      code: 2,
      stderr: 'gatehouse sessions revoke: needs either --user USER or --session ID\n',
    });
    expect(await runCli(['sessions', 'revoke', '--user', 'john', '--session', 'x', '--config', file])).toMatchObject({ code: 2 });
    expect(await runCli(['sessions', 'purge', '--config', file])).toMatchObject({
      code: 2,
      stderr: "gatehouse sessions: expects 'list' or 'revoke'; run 'gatehouse sessions --help'\n",
    });
    expect(await runCli(['sessions', 'list', '--user', 'john'])).toMatchObject({
      code: 2,
      stderr: 'gatehouse sessions list: needs --config FILE (or the GATEHOUSE_CONFIG environment variable)\n',
    });
    const help = await runCli(['sessions', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('gatehouse sessions revoke (--user USER | --session ID) --config FILE');
  });
});
