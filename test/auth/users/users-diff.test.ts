import { describe, expect, it } from 'vitest';
import { diffUsers, endedUsers } from '../../../src/auth/users/users-diff.js';
import type { StoredUser } from '../../../src/auth/users/users-file.js';

function user(username: string, fields: Partial<StoredUser> = {}): StoredUser {
  return { username, displayName: username, emails: [], groups: [], profile: {}, digest: `$digest-of-${username}`, disabled: false, ...fields };
}

const usersOf = (...list: StoredUser[]) => new Map(list.map((u) => [u.username, u]));

describe('diffUsers', () => {
  it('sorts every kind of change into one list per user', () => {
    const before = usersOf(
      user('bob'),
      user('harry'),
      user('john'),
      user('ann', { groups: ['dev'] }),
      user('eve', { emails: ['eve@example.com'] }),
      user('max'),
      user('sam', { disabled: true }),
      user('zoe'),
    );
    const after = usersOf(
      user('bob', { disabled: true }),
      user('john', { digest: '$another' }),
      user('ann', { groups: ['dev', 'admins'] }),
      user('eve', { emails: ['eve@example.org'] }),
      user('max', { displayName: 'Max M.' }),
      user('sam'),
      user('zoe', { profile: { locale: 'de' } }),
      user('new'),
    );
    expect(diffUsers(before, after)).toEqual({
      removed: ['harry'],
      disabled: ['bob'],
      passwordChanged: ['john'],
      detailsChanged: ['ann', 'eve', 'max'],
    });
  });

  it('lists a user once, under the first reason that applies', () => {
    const before = usersOf(user('bob', { groups: ['dev'] }), user('john', { groups: ['dev'] }));
    const after = usersOf(user('bob', { disabled: true, digest: '$x', groups: [] }), user('john', { digest: '$x', groups: [] }));
    expect(diffUsers(before, after)).toEqual({ removed: [], disabled: ['bob'], passwordChanged: ['john'], detailsChanged: [] });
  });

  it('finds nothing in an unchanged file, and treats a reordered group list as a change', () => {
    const same = () => usersOf(user('bob', { groups: ['a', 'b'] }));
    expect(diffUsers(same(), same())).toEqual({ removed: [], disabled: [], passwordChanged: [], detailsChanged: [] });
    expect(diffUsers(same(), usersOf(user('bob', { groups: ['b', 'a'] }))).detailsChanged).toEqual(['bob']);
  });

  it('matches usernames exactly: a case change is a removal', () => {
    expect(diffUsers(usersOf(user('John')), usersOf(user('john'))).removed).toEqual(['John']);
  });

  it('endedUsers gives the users whose sessions end at once, with the reason', () => {
    expect(endedUsers({ removed: ['harry'], disabled: ['bob'], passwordChanged: ['john'], detailsChanged: ['ann'] })).toEqual([
      { username: 'harry', reason: 'removed' },
      { username: 'bob', reason: 'disabled' },
      { username: 'john', reason: 'password changed' },
    ]);
  });
});
