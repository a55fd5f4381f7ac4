import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { verifyPassword } from '../../../src/auth/password/verify.js';
import { FileUserBackend } from '../../../src/auth/users/file-backend.js';
import type { ReloadOutcome } from '../../../src/auth/users/user-directory.js';
import { passwordFingerprint } from '../../../src/auth/users/password-fingerprint.js';
import { UserSessionRefresh } from '../../../src/auth/users/session-refresh.js';
import { AuthLevel } from '../../../src/rules/policy.js';
import { anonymousState } from '../../../src/session/session.js';
import { ManualClock } from '../../../src/shared/clock.js';
import type { FileBackendConfig } from '../../../src/config/authentication-backend.js';
import { StartupError } from '../../../src/shared/errors.js';
import { configOf, minimalRaw, tempDir } from '../../helpers/config.js';
import { vectors } from '../../fixtures/users/vectors.js';

const usersYaml = (extra = '') =>
  [
    'users:',
    '  john:',
    '    displayname: John Doe',
    `    password: '${vectors.pbkdf2Sha256}'`,
    '    email: john.doe@example.com',
    '    groups: [admins, dev]',
    '  harry:',
    '    displayname: Harry',
    `    password: '${vectors.sha512cryptRounds}'`,
    '    email: harry@example.com',
    '  james:',
    '    displayname: James',
    `    password: '${vectors.pbkdf2Sha256}'`,
    '    disabled: true',
    extra,
  ].join('\n');

function setup(file: Record<string, unknown> = {}, text = usersYaml()): { config: FileBackendConfig; path: string } {
  const dir = tempDir();
  const path = join(dir, 'users.yml');
  writeFileSync(path, text);
  const password = { algorithm: 'pbkdf2', pbkdf2: { variant: 'sha256', iterations: 100000 } };
  const config = configOf(minimalRaw(dir, { authentication_backend: { file: { path, password, ...file } } }), {}, dir);
  return { config: config.authenticationBackend!.file!, path };
}

async function open(config: FileBackendConfig, options: Partial<Parameters<typeof FileUserBackend.open>[0]> = {}) {
  const backend = await FileUserBackend.open({ config, debounceMs: 20, ...options });
  onTestFinished(() => backend.close());
  return backend;
}

describe('FileUserBackend', () => {
  it('finds users by exact username; disabled and unknown users are not found', async () => {
    const backend = await open(setup().config);
    expect(await backend.find('john')).toEqual({
      username: 'john',
      displayName: 'John Doe',
      emails: ['john.doe@example.com'],
      groups: ['admins', 'dev'],
      profile: { updatedAt: expect.any(Number) },
    });
    expect(await backend.find('John')).toBeUndefined();
    expect(await backend.find('john.doe@example.com')).toBeUndefined();
    expect(await backend.find('james')).toBeUndefined();
    expect(await backend.find('nobody')).toBeUndefined();
    expect(backend.size).toBe(3);
  });

  it('get() takes the canonical username only: no case folding, no email, disabled users not found', async () => {
    const backend = await open(setup({ search: { email: true, case_insensitive: true } }).config);
    expect((await backend.get('john'))?.username).toBe('john');
    expect(await backend.get('JOHN')).toBeUndefined();
    expect(await backend.get('john.doe@example.com')).toBeUndefined();
    expect(await backend.get('james')).toBeUndefined();
  });

  it('finds by email and ignores case when configured', async () => {
    const backend = await open(setup({ search: { email: true, case_insensitive: true } }).config);
    expect((await backend.find('JOHN'))?.username).toBe('john');
    expect((await backend.find('John.Doe@Example.com'))?.username).toBe('john');
    const caseSensitiveEmail = await open(setup({ search: { email: true } }).config);
    expect(await caseSensitiveEmail.find('JOHN')).toBeUndefined();
    expect((await caseSensitiveEmail.find('harry@example.com'))?.username).toBe('harry');
  });

  it('checks passwords of every digest format in the file', async () => {
    const backend = await open(setup().config);
    expect((await backend.checkPassword('john', 'password'))?.username).toBe('john');
    expect((await backend.checkPassword('harry', 'password'))?.username).toBe('harry');
    expect(await backend.checkPassword('john', 'wrong')).toBeUndefined();
    expect(await backend.checkPassword('james', 'password')).toBeUndefined();
    expect(await backend.checkPassword('nobody', 'password')).toBeUndefined();
  });

  it('verifies a dummy digest of the configured algorithm for unknown and disabled users', async () => {
    const checked: string[] = [];
    const verify = async (digest: string, password: string) => {
      checked.push(digest);
      return verifyPassword(digest, password);
    };
    const backend = await open(setup().config, { verify });
    await backend.checkPassword('nobody', 'password');
    await backend.checkPassword('james', 'password');
    expect(checked).toHaveLength(2);
    expect(checked[0]).toMatch(/^\$pbkdf2-sha256\$100000\$/);
    expect(checked[1]).toBe(checked[0]);
    expect(await verifyPassword(checked[0]!, 'password')).toBe(false);
  });

  it('refuses to start with a broken file, naming it and every problem', async () => {
    const { config, path } = setup({}, 'users:\n  john: {displayname: John}\n  bob: {password: x, displayname: Bob}\n');
    const error = await FileUserBackend.open({ config }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).code).toBe('GH_USERS_FILE');
    expect((error as StartupError).message).toBe(
      [
        `authentication_backend.file.path: the users file '${path}' has 2 problems:`,
        '  - users.john.password: must be set but is absent',
        "  - users.bob.password: must be a password digest such as '$argon2id$…', '$6$…' or '$2b$…' (see gatehouse hash-password) but is not one",
      ].join('\n'),
    );
  });

  it('reload() keeps the last good users when the file becomes broken, and logs why', async () => {
    const { config, path } = setup();
    const warnings: string[] = [];
    const backend = await open(config, { logger: { info() {}, warn: (_d, message) => warnings.push(message) } });
    writeFileSync(path, 'users:\n  john: {displayname: John}\n');
    expect(await backend.reload()).toEqual({ ok: false, problems: ['users.john.password: must be set but is absent'] });
    expect(warnings).toEqual(['users file not reloaded, keeping the previous one: users.john.password: must be set but is absent']);
    expect((await backend.checkPassword('john', 'password'))?.username).toBe('john');
  });

  it('with watch: true, reloads when the file is rewritten or replaced by a rename', async () => {
    const { config, path } = setup({ watch: true });
    const backend = await open(config);
    const nextReload = () =>
      new Promise<ReloadOutcome>((resolve) => {
        const stop = backend.onReload((outcome) => {
          stop();
          resolve(outcome);
        });
      });

    let reloaded = nextReload();
    writeFileSync(path, usersYaml(`  bob:\n    displayname: Bob\n    password: '${vectors.sha256crypt}'\n`));
    expect(await reloaded).toEqual({ ok: true, users: 4, changes: { removed: [], disabled: [], passwordChanged: [], detailsChanged: [] } });
    expect((await backend.checkPassword('bob', 'password'))?.username).toBe('bob');

    reloaded = nextReload();
    writeFileSync(path, 'users: [broken]\n');
    expect(await reloaded).toEqual({ ok: false, problems: ['users: must be a mapping but is a list'] });
    expect((await backend.find('bob'))?.username).toBe('bob');

    reloaded = nextReload();
    const next = `${path}.new`;
    writeFileSync(next, readFileSync(path, 'utf8').replace('users: [broken]', usersYaml()));
    renameSync(next, path);
    expect(await reloaded).toEqual({ ok: true, users: 3, changes: { removed: ['bob'], disabled: [], passwordChanged: [], detailsChanged: [] } });
    expect(await backend.find('bob')).toBeUndefined();
  });

  it('account() finds a user by exact username only, disabled ones included, with a fingerprint instead of the digest', async () => {
    const backend = await open(setup({ search: { email: true, case_insensitive: true } }).config);
    expect(backend.account('john')).toEqual({
      username: 'john',
      displayName: 'John Doe',
      emails: ['john.doe@example.com'],
      groups: ['admins', 'dev'],
      profile: { updatedAt: expect.any(Number) },
      disabled: false,
      passwordFingerprint: passwordFingerprint(vectors.pbkdf2Sha256),
    });
    expect(backend.account('james')).toMatchObject({ username: 'james', disabled: true });
    expect(backend.account('JOHN')).toBeUndefined();
    expect(backend.account('john.doe@example.com')).toBeUndefined();
    expect(backend.account('nobody')).toBeUndefined();
    expect(JSON.stringify(backend.account('john'))).not.toContain(vectors.pbkdf2Sha256);
  });

  it('reload() reports what changed: removed, disabled, re-passworded and otherwise changed users', async () => {
    const { config, path } = setup();
    const backend = await open(config);
    writeFileSync(path, usersYaml().replace('displayname: Harry', 'displayname: Harry\n    disabled: true'));
    expect(await backend.reload()).toEqual({ ok: true, users: 3, changes: { removed: [], disabled: ['harry'], passwordChanged: [], detailsChanged: [] } });
    writeFileSync(
      path,
      [
        'users:',
        '  john:',
        '    displayname: John Doe',
        `    password: '${vectors.sha256crypt}'`,
        '  james:',
        '    displayname: James Bond',
        `    password: '${vectors.pbkdf2Sha256}'`,
        '    disabled: true',
      ].join('\n'),
    );
    expect(await backend.reload()).toEqual({
      ok: true,
      users: 2,
      changes: { removed: ['harry'], disabled: [], passwordChanged: ['john'], detailsChanged: ['james'] },
    });
  });

  it('refuses a login whose user a reload disabled or re-passworded while the password was being checked', async () => {
    const { config, path } = setup();
    let duringCheck: (() => Promise<unknown>) | undefined;
    const verify = async (digest: string, password: string) => {
      const ok = await verifyPassword(digest, password);
      await duringCheck?.();
      return ok;
    };
    const backend = await open(config, { verify });
    duringCheck = () => {
      writeFileSync(path, usersYaml().replace(vectors.pbkdf2Sha256, vectors.sha256crypt));
      return backend.reload();
    };
    expect(await backend.checkPassword('john', 'password')).toBeUndefined();
    duringCheck = () => {
      writeFileSync(path, usersYaml().replace('    groups: [admins, dev]', '    groups: [admins, dev]\n    disabled: true'));
      return backend.reload();
    };
    expect(await backend.checkPassword('harry', 'password')).toMatchObject({ username: 'harry' });
    expect(await backend.checkPassword('john', 'password')).toBeUndefined();
    duringCheck = undefined;
    writeFileSync(path, usersYaml().replace('    groups: [admins, dev]', '    groups: [dev]'));
    await backend.reload();
    duringCheck = () => {
      writeFileSync(path, usersYaml());
      return backend.reload();
    };
    expect(await backend.checkPassword('john', 'password')).toMatchObject({ username: 'john', groups: ['admins', 'dev'] });
  });

  it('a session of a removed user never resolves to another user by email (search.email)', async () => {
    const text = [
      'users:',
      '  bob@example.com:',
      '    displayname: Old Bob',
      `    password: '${vectors.pbkdf2Sha256}'`,
      '  bobby:',
      '    displayname: Bobby',
      `    password: '${vectors.pbkdf2Sha256}'`,
      '    groups: [admins]',
    ].join('\n');
    const { config, path } = setup({ search: { email: true } }, text);
    const backend = await open(config);
    const clock = new ManualClock();
    const refresh = new UserSessionRefresh({ users: backend, interval: 'always', clock });
    const state = anonymousState('example.com', clock.now());
    Object.assign(state, { username: 'bob@example.com', displayName: 'Old Bob', level: AuthLevel.oneFactor });
    refresh.stamp(state, clock.now());
    writeFileSync(path, text.replace(/ {2}bob@example.com:\n.*\n.*\n/, '').concat('\n    email: bob@example.com\n'));
    expect(await backend.reload()).toMatchObject({ ok: true, changes: { removed: ['bob@example.com'] } });
    expect((await backend.find('bob@example.com'))?.username).toBe('bobby');
    expect(await refresh.check(state, clock.now())).toBe('ended');
    expect(state.groups).toEqual([]);
  });
});
