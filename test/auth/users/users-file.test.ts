import { describe, expect, it } from 'vitest';
import { parseUsersFile } from '../../../src/auth/users/users-file.js';
import { vectors } from '../../fixtures/users/vectors.js';

const digest = vectors.pbkdf2Sha256;
const caseSensitive = { email: false, caseInsensitive: false };

function problems(text: string, search = caseSensitive): readonly string[] {
  const outcome = parseUsersFile(text, search);
  if (outcome.ok) throw new Error('expected the users file to be refused');
  return outcome.problems;
}

describe('parseUsersFile', () => {
  it("reads Authelia's format with profile fields", () => {
    const outcome = parseUsersFile(
      [
        'users:',
        '  john:',
        '    displayname: John Doe',
        `    password: '${digest}'`,
        '    email: john@example.com',
        '    groups: [admins, dev]',
        '    given_name: John',
        '    phone_number: "+1 555"',
        '    address: {locality: Springfield}',
        '    extra: {team: blue}',
        '  harry:',
        '    displayname: Harry',
        `    password: '${digest}'`,
        '    disabled: true',
      ].join('\n'),
      caseSensitive,
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.database.users.get('john')).toEqual({
      username: 'john',
      displayName: 'John Doe',
      emails: ['john@example.com'],
      groups: ['admins', 'dev'],
      profile: { givenName: 'John', phoneNumber: '+1 555', address: { locality: 'Springfield' }, extra: { team: 'blue' } },
      digest,
      disabled: false,
    });
    expect(outcome.database.users.get('harry')).toMatchObject({ emails: [], groups: [], disabled: true });
  });

  it.each<[string, string, string[]]>([
    ['YAML syntax', 'users:\n  john: [\n', ['line 3, column 1: YAML syntax error: unexpected end of the stream within a flow collection']],
    ['no users key', 'people: {}\n', ['people: is not a known key', 'users: must be set but is absent']],
    ['users not a mapping', 'users: [john]\n', ['users: must be a mapping but is a list']],
    [
      'missing displayname and password',
      'users:\n  john: {email: john@example.com}\n',
      ['users.john.displayname: must be set but is absent', 'users.john.password: must be set but is absent'],
    ],
    [
      'plain-text password',
      'users:\n  john: {displayname: John, password: hunter2}\n',
      ["users.john.password: must be a password digest such as '$argon2id$…', '$6$…' or '$2b$…' (see gatehouse hash-password) but is not one"],
    ],
    [
      'unknown key',
      `users:\n  john: {displayname: John, password: '${digest}', group: [a]}\n`,
      ["users.john.group: is not a known key, did you mean 'groups'?"],
    ],
    ['bad email', `users:\n  john: {displayname: John, password: '${digest}', email: john}\n`, ["users.john.email: must be an email address but is 'john'"]],
    [
      'groups not a list',
      `users:\n  john: {displayname: John, password: '${digest}', groups: admins}\n`,
      ["users.john.groups: must be a list but is 'admins'"],
    ],
    [
      'disabled not boolean',
      `users:\n  john: {displayname: John, password: '${digest}', disabled: 'no'}\n`,
      ["users.john.disabled: must be true or false but is 'no'"],
    ],
  ])('reports %s with its dotted path', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('refuses usernames that differ only in case when matching ignores case', () => {
    const text = `users:\n  john: {displayname: J, password: '${digest}'}\n  John: {displayname: J, password: '${digest}'}\n`;
    expect(parseUsersFile(text, caseSensitive).ok).toBe(true);
    expect(problems(text, { email: false, caseInsensitive: true })).toEqual([
      "users.John: must differ from 'john' ignoring case (search.case_insensitive is on) but does not",
    ]);
  });

  it('refuses an email shared by two users when logging in by email', () => {
    const text = [
      'users:',
      `  john: {displayname: J, password: '${digest}', email: same@example.com}`,
      `  bob: {displayname: B, password: '${digest}', email: Same@example.com}`,
    ].join('\n');
    expect(parseUsersFile(text, caseSensitive).ok).toBe(true);
    expect(problems(text, { email: true, caseInsensitive: false })).toEqual([
      "users.bob.email: must not be used by another user (search.email is on) but 'Same@example.com' is also used by 'john'",
    ]);
  });

  it.each(['__proto__', 'constructor'])('refuses the reserved name %s as a username, saying why', (name) => {
    const text = `users:\n  ${name}: {displayname: X, password: '${digest}'}\n  bob: {displayname: B, password: '${digest}'}\n`;
    expect(problems(text)).toEqual([`users.${name}: is a reserved name and is not allowed as a username`]);
  });

  it('accepts other names that objects also know, such as toString, as ordinary usernames', () => {
    const outcome = parseUsersFile(`users:\n  toString: {displayname: T, password: '${digest}'}\n`, caseSensitive);
    expect(outcome.ok && [...outcome.database.users.keys()]).toEqual(['toString']);
  });
});
