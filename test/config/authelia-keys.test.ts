import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { autheliaOptionPaths } from '../../src/config/authelia-options.js';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { minimalRaw, tempDir } from '../helpers/config.js';

const keys = readFileSync(new URL('../fixtures/authelia/keys.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '' && !line.startsWith('#'));

/** `a.b[].c.*.d` with `value` at the end: a list holds one entry, `*` is the name `x`. */
function documentWith(key: string, value: unknown): Record<string, unknown> {
  const parts = key.split('.').flatMap((part) => (part.endsWith('[]') ? [part.slice(0, -2), '[]'] : [part]));
  let node: unknown = value;
  for (const part of parts.reverse()) node = part === '[]' ? [node] : { [part === '*' ? 'x' : part]: node };
  return node as Record<string, unknown>;
}

/** Deep merge of plain mappings (the second wins on scalars). */
function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const left = out[k];
    out[k] =
      left && typeof left === 'object' && !Array.isArray(left) && v && typeof v === 'object' && !Array.isArray(v)
        ? merge(left as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function problems(raw: unknown): { errors: readonly string[]; warnings: readonly string[] } {
  try {
    return { errors: [], warnings: parseConfig(raw, { env: {}, baseDir: '/tmp' }).warnings };
  } catch (error) {
    if (error instanceof ConfigError) return { errors: error.problems, warnings: [] };
    throw error;
  }
}

const grammar = /: is an Authelia option that Gatehouse does not support yet \([^)]+\)/;

describe('every Authelia key is read or refused in one grammar', () => {
  it.each(keys)('%s', (key) => {
    const shown = key.replaceAll('[]', '[0]').replaceAll('*', 'x');
    const { errors, warnings } = problems(merge(minimalRaw(tempDir()), documentWith(key, null)));
    expect(errors.filter((e) => e.includes('is not a known key'))).toEqual([]);
    for (const line of [...errors, ...warnings].filter((e) => e.includes('Authelia option'))) expect(line).toMatch(grammar);
    // A message about the key itself is about its value (absent here), never a suggestion of another key.
    expect(errors.filter((e) => e.startsWith(shown) && e.includes('did you mean'))).toEqual([]);
  });

  it('names only keys Authelia has', () => {
    for (const path of autheliaOptionPaths)
      expect(
        keys.some((key) => key === path || key.startsWith(`${path}.`)),
        path,
      ).toBe(true);
  });
});

describe('honest messages for what Gatehouse lacks', () => {
  it('refuses an Authelia feature by name and says what it is for', () => {
    const { errors } = problems(merge(minimalRaw(tempDir()), { duo_api: { hostname: 'api-123.duosecurity.com', integration_key: 'K', secret_key: 'S' } }));
    expect(errors).toContain('duo_api: is an Authelia option that Gatehouse does not support yet (Duo push)');
  });

  it('accepts a value that asks for nothing, with a warning', () => {
    const raw = merge(minimalRaw(tempDir()), { duo_api: { disable: true }, privacy_policy: { enabled: false } });
    const { errors, warnings } = problems(raw);
    expect(errors).toEqual([]);
    expect(warnings).toContain(
      'duo_api: is an Authelia option that Gatehouse does not support yet (Duo push); its value here asks for nothing, so it is ignored',
    );
    expect(warnings.some((w) => w.startsWith('privacy_policy: is an Authelia option'))).toBe(true);
  });

  it('still suggests the closest key for a typo that is not an Authelia key', () => {
    const { errors } = problems(merge(minimalRaw(tempDir()), { session: { expiraton: '1h' } }));
    expect(errors).toContain("session.expiraton: is not a known key, did you mean 'expiration'?");
  });
});

describe("Authelia's former key names", () => {
  it('reads a renamed key under its current name, with a warning saying what to write', () => {
    const { log: _log, ...raw } = minimalRaw(tempDir());
    const { errors, warnings } = problems(merge(raw, { log_level: 'debug', session: { remember_me_duration: '2 weeks' } }));
    expect(errors).toEqual([]);
    expect(warnings).toContain("log_level: is Authelia's former name for 'log.level' and is read as it; write 'log.level' instead");
    expect(warnings).toContain(
      "session.remember_me_duration: is Authelia's former name for 'session.remember_me' and is read as it; write 'session.remember_me' instead",
    );
  });

  it('the old and the new name both set is an error naming both', () => {
    const { errors } = problems(merge(minimalRaw(tempDir()), { log_level: 'debug', log: { level: 'info' } }));
    expect(errors).toContain("log_level: is Authelia's former name for 'log.level'; set only one of them");
  });

  it('renames inside every list entry', () => {
    const raw = merge(minimalRaw(tempDir()), {
      identity_providers: {
        oidc: {
          hmac_secret: 'a-very-long-hmac-secret-for-the-tests',
          clients: [
            {
              client_id: 'one',
              public: true,
              redirect_uris: ['https://one.example.com/cb'],
              authorization_policy: 'one_factor',
              sector_identifier: 'https://one.example.com/sector.json',
            },
          ],
        },
      },
    });
    const { warnings, errors } = problems(raw);
    const all = [...errors, ...warnings].join('\n');
    expect(all).toContain(
      "identity_providers.oidc.clients[0].sector_identifier: is Authelia's former name for 'identity_providers.oidc.clients[0].sector_identifier_uri'",
    );
  });

  it('folds server.host and server.port into server.address', () => {
    const raw = minimalRaw(tempDir());
    const { warnings, errors } = problems({ ...raw, server: { host: '127.0.0.1', port: 9999 } });
    expect(errors).toEqual([]);
    expect(warnings).toContain(
      "server.host: server.host, server.port are Authelia's former way to write server.address and are read as 'tcp://127.0.0.1:9999'; write that instead",
    );
  });
});

describe("Authelia's top-level default_redirection_url", () => {
  it('becomes the default of each cookie domain without its own', () => {
    const raw = merge(minimalRaw(tempDir()), {
      default_redirection_url: 'https://home.example.com',
      session: {
        cookies: [
          { domain: 'example.com', portal_url: 'https://auth.example.com' },
          { domain: 'example.org', portal_url: 'https://auth.example.org', default_redirection_url: 'https://www.example.org' },
        ],
      },
    });
    const { config, warnings } = parseConfig(raw, { env: {}, baseDir: '/tmp' });
    expect(config.session.cookies.map((c) => c.defaultRedirectionUrl?.href)).toEqual(['https://home.example.com/', 'https://www.example.org/']);
    expect(warnings[0]).toMatch(/^default_redirection_url: is Authelia's former place for session.cookies\[\].default_redirection_url/);
  });
});

describe('docs/migrating-from-authelia.md', () => {
  it('lists every Authelia option Gatehouse does not support yet', () => {
    const doc = readFileSync(new URL('../../docs/migrating-from-authelia.md', import.meta.url), 'utf8');
    for (const path of autheliaOptionPaths) expect(doc, path).toContain(`\`${path}\``);
  });
});
