import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from './ports.js';

const run = promisify(execFile);

/** Where Debian's `slapd` and `ldap-utils` put the binaries and the schemas. */
const slapdBin = '/usr/sbin/slapd';
const ldapAddBin = '/usr/bin/ldapadd';
const schemaDir = '/etc/ldap/schema';
const moduleDir = '/usr/lib/ldap';

/** The seed (users in two OUs, groups, a disabled user, a DN with an escaped comma). */
export const seedLdif = fileURLToPath(new URL('../fixtures/ldap/seed.ldif', import.meta.url));

export const slapdBaseDn = 'dc=example,dc=com';
/** The tests' service account (an entry of the seed) and the root DN that seeds and edits. */
export const slapdService = { user: 'cn=gatehouse,ou=people,dc=example,dc=com', password: 'service-secret' };
export const slapdRoot = { user: 'cn=admin,dc=example,dc=com', password: 'root-secret' };

/** A private slapd on a loopback port: its URL, and stop/start (same port, same data) for outage tests. */
export interface Slapd {
  readonly url: string;
  readonly port: number;
  /** `ldaps://127.0.0.1:<port>`, when started with `tls`. */
  readonly ldapsUrl: string | undefined;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
  /** What slapd printed since it (re)started: its operations (`BIND dn=…`) when started with `stats`. */
  output(): string;
}

/**
 * Why the slapd runs must be skipped here, or undefined when slapd and ldapadd are installed. In CI
 * (`CI=true`) they are mandatory: a missing binary throws, failing the test file loudly. Elsewhere
 * the reason is printed (console.warn) and the runs skip.
 */
export function slapdSkipReason(): string | undefined {
  const missing = [slapdBin, ldapAddBin].filter((bin) => !existsSync(bin));
  if (missing.length === 0) return undefined;
  const reason = `${missing.join(' and ')} not installed (Debian: apt-get install slapd ldap-utils)`;
  if (process.env.CI === 'true') throw new Error(`${reason}. CI (CI=true) requires it.`);
  console.warn(`Skipping the slapd runs: ${reason}`);
  return reason;
}

function slapdConf(dir: string, tls: boolean): string {
  return [
    ...['core', 'cosine', 'inetorgperson'].map((s) => `include ${schemaDir}/${s}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`,
    ...(tls ? [`TLSCertificateFile ${join(dir, 'server.pem')}`, `TLSCertificateKeyFile ${join(dir, 'server.key')}`] : []),
    `modulepath ${moduleDir}`,
    'moduleload back_mdb',
    'moduleload memberof',
    'database mdb',
    `suffix "${slapdBaseDn}"`,
    `rootdn "${slapdRoot.user}"`,
    `rootpw ${slapdRoot.password}`,
    `directory ${join(dir, 'db')}`,
    'maxsize 33554432',
    'overlay memberof',
    `access to attrs=userPassword by self write by dn.exact="${slapdService.user}" write by anonymous auth by * none`,
    'access to * by users read by * none',
    '',
  ].join('\n');
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`slapd did not listen on ${port}: ${log()}`);
}

/**
 * Starts a private slapd (mdb database in a temporary folder, a generated slapd.conf, the memberof
 * overlay) on ldap://127.0.0.1:<free port>, seeded with `ldif` through ldapadd (so the overlay
 * fills `memberOf`). With `tls` (a certificate and its key, PEM), StartTLS is offered on that port
 * and ldaps:// listens on a second one. Call `close()` after the file.
 */
export async function startSlapd(options: { ldif?: string; tls?: { cert: string; key: string }; stats?: boolean } = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-slapd-'));
  mkdirSync(join(dir, 'db'));
  const conf = join(dir, 'slapd.conf');
  if (options.tls) {
    writeFileSync(join(dir, 'server.pem'), options.tls.cert);
    writeFileSync(join(dir, 'server.key'), options.tls.key, { mode: 0o600 });
  }
  writeFileSync(conf, slapdConf(dir, options.tls !== undefined));
  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsPort = options.tls ? await freePort() : undefined;
  const ldapsUrl = ldapsPort === undefined ? undefined : `ldaps://127.0.0.1:${ldapsPort}`;
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    output = '';
    const listen = ldapsUrl === undefined ? `${url}/` : `${url}/ ${ldapsUrl}/`;
    const started = spawn(slapdBin, ['-f', conf, '-h', listen, '-d', options.stats ? 'stats' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    started.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child = started;
    await waitForPort(port, started, () => output);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  try {
    await run(ldapAddBin, ['-x', '-H', url, '-D', slapdRoot.user, '-w', slapdRoot.password, '-f', options.ldif ?? seedLdif]);
  } catch (error) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    port,
    ldapsUrl,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    output: () => output,
  };
}

/** Adds, deletes or replaces values of one attribute of `dn`, as the root DN (a change made in the directory behind Gatehouse). */
export async function modifyEntry(
  slapd: Pick<Slapd, 'url'>,
  dn: string,
  operation: 'add' | 'delete' | 'replace',
  type: string,
  values: string[],
): Promise<void> {
  const client = new Client({ url: slapd.url });
  try {
    await client.bind(slapdRoot.user, slapdRoot.password);
    await client.modify(dn, new Change({ operation, modification: new Attribute({ type, values }) }));
  } finally {
    await client.unbind().catch(() => undefined);
  }
}
