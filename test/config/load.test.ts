import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { fsReason } from '../../src/config/reader.js';
import { ConfigError } from '../../src/shared/errors.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

function loadProblems(file: string): readonly string[] {
  try {
    loadConfig(file, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig: the file', () => {
  it('names a missing file', () => {
    expect(loadProblems('/nonexistent/gatehouse.yml')).toEqual([
      "cannot read the configuration file '/nonexistent/gatehouse.yml': there is no such file (ENOENT)",
    ]);
  });

  it('names a folder that holds no configuration file (a folder is read as Authelia reads one)', () => {
    const dir = tempDir();
    expect(loadProblems(dir)).toEqual([`the configuration folder '${dir}' holds no configuration file (.yml, .yaml or .json)`]);
  });

  it('explains permission errors (EACCES cannot be provoked as root, so the mapping is checked directly)', () => {
    const error = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(fsReason(error)).toBe('permission is denied (EACCES)');
  });

  it('reports YAML syntax errors with line and column', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yml');
    writeFileSync(file, 'server:\n  address: tcp://:9091\n   log: [\n');
    const [problem] = loadProblems(file);
    expect(problem).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:\\d+: YAML syntax error: `));
  });

  it('reports duplicate keys as a YAML error', () => {
    const dir = tempDir();
    const file = join(dir, 'dup.yml');
    writeFileSync(file, 'log:\n  level: info\nlog:\n  level: debug\n');
    expect(loadProblems(file)[0]).toMatch(/:3:1: YAML syntax error: duplicated mapping key/);
  });

  it('loads a valid file and resolves relative paths against its folder', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    const file = join(dir, 'conf', 'gatehouse.yml');
    writeFileSync(
      file,
      [
        'session:',
        '  cookies: [{domain: example.com, portal_url: https://auth.example.com}]',
        'storage:',
        '  encryption_key: a-very-long-test-encryption-key',
        '  local: {path: data/db.sqlite3}',
      ].join('\n'),
    );
    const { config } = loadConfig(file, {});
    expect(config.storage).toMatchObject({ kind: 'local', local: { path: join(dir, 'conf', 'data', 'db.sqlite3') } });
  });

  it('refuses a document that is not a mapping', () => {
    expect(problemsOf(['a', 'b'])).toEqual(['the configuration file must hold a mapping of sections at its top level']);
  });
});

describe('parseConfig: defaults and freezing', () => {
  it('fills every default', () => {
    const dir = tempDir();
    const config = configOf(
      {
        session: { cookies: [{ domain: 'Example.com', authelia_url: 'https://auth.example.com' }] },
        storage: { encryption_key: 'a-very-long-test-encryption-key' },
      },
      {},
      dir,
    );
    expect(config.server.address).toEqual({ kind: 'tcp', host: '', port: 9091 });
    expect(config.server.trustedProxies).toEqual(['127.0.0.0/8', '::1/128']);
    expect(config.log).toEqual({ level: 'info', format: 'text', filePath: undefined, keepStdout: false });
    expect(config.storage).toMatchObject({ kind: 'local', local: { path: join(dir, 'data', 'db.sqlite3') } });
    const [cookie] = config.session.cookies;
    expect(cookie).toMatchObject({
      domain: 'example.com',
      name: 'gatehouse_session',
      sameSite: 'lax',
      expiration: 3_600_000,
      inactivity: 300_000,
      rememberMe: 30 * 86_400_000,
      secure: true,
    });
    expect(cookie?.portalUrl.href).toBe('https://auth.example.com/');
  });

  it('deep-freezes the result', () => {
    const config = configOf(minimalRaw('/tmp/x'));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.session.cookies)).toBe(true);
    expect(Object.isFrozen(config.session.cookies[0])).toBe(true);
    expect(() => {
      (config.server.trustedProxies as string[]).push('0.0.0.0/0');
    }).toThrow(TypeError);
  });

  it('lets cookies inherit session-level settings and override them', () => {
    const config = configOf(
      minimalRaw('/tmp/x', {
        session: {
          name: 'sso',
          same_site: 'strict',
          expiration: '2h',
          inactivity: 600,
          remember_me: -1,
          cookies: [
            { domain: 'example.com', portal_url: 'https://auth.example.com' },
            { domain: 'example.org', portal_url: 'https://login.example.org', name: 'org', remember_me: '1w' },
          ],
        },
      }),
    );
    expect(config.session.cookies.map((c) => [c.name, c.sameSite, c.expiration, c.inactivity, c.rememberMe])).toEqual([
      ['sso', 'strict', 7_200_000, 600_000, -1],
      ['org', 'strict', 7_200_000, 600_000, 7 * 86_400_000],
    ]);
  });

  it('parses listen addresses', () => {
    const at = (address: string) => configOf(minimalRaw('/tmp/x', { server: { address } })).server.address;
    expect(at('tcp://127.0.0.1:8080')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 8080 });
    expect(at('tcp://[::1]:8080')).toEqual({ kind: 'tcp', host: '::1', port: 8080 });
    expect(at('tcp://:9091/')).toEqual({ kind: 'tcp', host: '', port: 9091 });
    expect(at('tcp://localhost')).toEqual({ kind: 'tcp', host: 'localhost', port: 9091 });
    expect(at('unix:///run/gatehouse.sock')).toEqual({ kind: 'unix', path: '/run/gatehouse.sock' });
  });

  it('normalises trusted proxies to CIDRs', () => {
    const config = configOf(minimalRaw('/tmp/x', { server: { trusted_proxies: ['10.0.0.0/8', '192.168.1.1', 'fd00::/8'] } }));
    expect(config.server.trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.1/32', 'fd00::/8']);
  });
});
