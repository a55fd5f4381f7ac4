// What the benchmarks share: free ports, waiting for a listener, the bench user's digest and the
// rule list. (bench/authz.mjs predates it and keeps its own copies.)
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';

/** A free loopback port (released before it is returned: bind it soon). */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

/** Resolves once something accepts connections on `port` (10 s at most). */
export async function waitPort(port) {
  for (let i = 0; i < 500; i++) {
    const up = await new Promise((r) => {
      const s = connect(port, '127.0.0.1', () => r(s.destroy() || true)).on('error', () => r(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing on ${port}`);
}

/** The users-file line of john (admins, dev), password `bench-password`, a quick PBKDF2 digest. */
export function johnLine() {
  const salt = randomBytes(16);
  const ab64 = (b) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
  const digest = `$pbkdf2-sha256$1000$${ab64(salt)}$${ab64(pbkdf2Sync('bench-password', salt, 1000, 32, 'sha256'))}`;
  return `  john: {displayname: John Doe, password: '${digest}', email: john@example.com, groups: [admins, dev]}`;
}

/** `count` access-control rule lines, each naming its own site and cycling through the policies. */
export function siteRules(count) {
  return Array.from(
    { length: count },
    (_, i) => `    - {domain: site${i}.example.localhost, policy: ${['bypass', 'one_factor', 'two_factor', 'deny'][i % 4]}}`,
  );
}
