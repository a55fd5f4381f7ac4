import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { minimalRaw, tempDir } from '../helpers/config.js';

/** The configuration's server section, or the problems (errors first, then warnings). */
function load(server: Record<string, unknown>) {
  const dir = tempDir();
  try {
    const loaded = parseConfig(minimalRaw(dir, { server }), { env: {}, baseDir: dir });
    return { server: loaded.config.server, errors: [] as readonly string[], warnings: loaded.warnings };
  } catch (error) {
    if (error instanceof ConfigError) return { server: undefined, errors: error.problems, warnings: [] as readonly string[] };
    throw error;
  }
}

describe('server.path and the path of server.address', () => {
  it.each([
    [{}, ''],
    [{ address: 'tcp://:9091' }, ''],
    [{ address: 'tcp://:9091/' }, ''],
    [{ address: 'tcp://:9091/auth' }, '/auth'],
    [{ address: 'tcp://127.0.0.1:9091/authelia/' }, '/authelia'],
    [{ address: 'unix:///run/gatehouse.sock?path=auth' }, '/auth'],
    [{ address: 'unix:///run/gatehouse.sock' }, ''],
    [{ path: 'auth' }, '/auth'],
    [{ path: '' }, ''],
    [{ address: 'tcp://:9091/auth', path: 'auth' }, '/auth'],
  ])('%j serves under %j', (server, path) => {
    const loaded = load(server);
    expect(loaded.errors).toEqual([]);
    expect(loaded.server?.path).toBe(path);
  });

  it('keeps the socket path apart from its query', () => {
    expect(load({ address: 'unix:///run/gatehouse.sock?path=auth' }).server?.address).toEqual({ kind: 'unix', path: '/run/gatehouse.sock' });
  });

  it.each([
    [{ address: 'tcp://:9091/a/b' }, "server.address: must have a path of one segment (such as '/a') but has '/a/b' in 'tcp://:9091/a/b'"],
    [{ address: 'tcp://:9091/auth-x' }, "server.address: must have a path of letters and digits only but has '/auth-x' in 'tcp://:9091/auth-x'"],
    [
      { address: 'unix:///run/g.sock?path=a/b' },
      "server.address: must have a path of one segment (such as '/a') but has '/a/b' in 'unix:///run/g.sock?path=a/b'",
    ],
    [
      { address: 'unix:///run/g.sock?umask=0022' },
      "server.address: has the query parameter 'umask', which Gatehouse does not support (only 'path' is read) in 'unix:///run/g.sock?umask=0022'",
    ],
    [{ address: 'http://:9091/auth' }, "server.address: must be 'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH' but is 'http://:9091/auth'"],
    [{ path: 'a/b' }, "server.path: must be one path segment without '/' (such as 'auth') but is 'a/b'"],
    [{ path: 'au th' }, "server.path: must be letters and digits only but is 'au th'"],
    [{ path: 7 }, 'server.path: must be a string but is number 7'],
    [
      { address: 'tcp://:9091/auth', path: 'other' },
      "server.path: is 'other' but server.address serves under '/auth'; set the path in one place (server.address, as Authelia 4.38 does)",
    ],
  ])('%j is refused', (server, message) => {
    expect(load(server).errors).toEqual([message]);
  });
});

describe('server.buffers', () => {
  it("reads 'read' as the largest request head; Node's 16 KiB when absent, not Authelia's 4096", () => {
    expect(load({}).server?.buffers).toEqual({ read: 16_384, write: 4096 });
    expect(load({ buffers: { read: 8192 } }).server?.buffers.read).toBe(8192);
  });

  it("accepts 'write' and warns only when it is not Authelia's default", () => {
    expect(load({ buffers: { write: 4096 } }).warnings).toEqual([]);
    const loaded = load({ buffers: { write: 8192 } });
    expect(loaded.errors).toEqual([]);
    expect(loaded.warnings).toEqual(['server.buffers.write: has no Node.js equivalent (answers are not bounded by a write buffer), so it is ignored']);
  });

  it.each([
    [{ read: 100 }, 'server.buffers.read: must be at least 1024 but is 100'],
    [{ read: 2_000_000 }, 'server.buffers.read: must be at most 1048576 but is 2000000'],
    [{ read: '4k' }, "server.buffers.read: must be a whole number but is '4k'"],
    [{ write: 0 }, 'server.buffers.write: must be at least 1 but is 0'],
    [{ size: 1 }, 'server.buffers.size: is not a known key'],
  ])('%j is refused', (buffers, message) => {
    expect(load({ buffers }).errors).toEqual([message]);
  });
});

describe('server.headers.csp_template and server.disable_healthcheck', () => {
  it('reads the template; empty means the built-in policy', () => {
    const template = `default-src 'self'; style-src 'self' 'nonce-$${'{NONCE}'}'`;
    expect(load({ headers: { csp_template: template } }).server?.cspTemplate).toBe(template);
    expect(load({ headers: { csp_template: '' } }).server?.cspTemplate).toBeUndefined();
    expect(load({}).server?.cspTemplate).toBeUndefined();
  });

  it.each([
    [
      { csp_template: "default-src 'self'\r\nX-Evil: 1" },
      'server.headers.csp_template: must be one line without control characters (it is sent as the Content-Security-Policy header)',
    ],
    [{ csp_template: 5 }, 'server.headers.csp_template: must be a string but is number 5'],
    [{ csp: 'x' }, 'server.headers.csp: is not a known key'],
  ])('%j is refused', (headers, message) => {
    expect(load({ headers }).errors).toEqual([message]);
  });

  it('accepts disable_healthcheck (it changes nothing here) and refuses a non-boolean', () => {
    const loaded = load({ disable_healthcheck: true });
    expect(loaded.errors).toEqual([]);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.server?.disableHealthcheck).toBe(true);
    expect(load({ disable_healthcheck: 'yes' }).errors).toEqual(["server.disable_healthcheck: must be true or false but is 'yes'"]);
  });
});
