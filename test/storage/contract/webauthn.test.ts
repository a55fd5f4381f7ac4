import { describe, expect, it } from 'vitest';
import type { WebAuthnCredential } from '../../../src/storage/auth-repositories.js';
import { storageBackends, useBackend } from './backends.js';

const key = (over: Partial<WebAuthnCredential> = {}): WebAuthnCredential => ({
  username: 'john',
  rpId: 'example.com',
  credentialId: 'cred-1',
  description: 'YubiKey',
  publicKey: Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26]),
  signCount: 5,
  transports: ['usb', 'nfc'],
  aaguid: 'ee882879-721c-4913-9775-3dfcce97072a',
  discoverable: false,
  backupEligible: false,
  backedUp: false,
  createdAt: 1000,
  lastUsedAt: undefined,
  ...over,
});

describe.each(storageBackends)('WebAuthn credentials and user preferences ($name)', (backend) => {
  const db = useBackend(backend);

  it('stores, lists, finds, renames and deletes credentials; a credential ID is registered once, to anyone', async () => {
    const { webauthn } = await db.open();
    expect(await webauthn.add(key())).toBe(true);
    expect(await webauthn.add(key({ credentialId: 'cred-2', rpId: 'other.org', discoverable: true, transports: [] }))).toBe(true);
    // The same credential ID for another user (or again for john) is refused, nothing replaced.
    expect(await webauthn.add(key({ username: 'bob', description: 'stolen' }))).toBe(false);
    expect(await webauthn.find('cred-1')).toEqual(key());
    expect((await webauthn.list('john')).map((c) => c.credentialId)).toEqual(['cred-1', 'cred-2']);
    expect((await webauthn.list('john', 'other.org')).map((c) => [c.credentialId, c.discoverable, c.transports])).toEqual([['cred-2', true, []]]);
    expect(await webauthn.list('bob')).toEqual([]);
    expect(await webauthn.rename('bob', 'cred-1', 'mine')).toBe(false);
    expect(await webauthn.rename('john', 'cred-1', 'Blue key')).toBe(true);
    expect((await webauthn.find('cred-1'))?.description).toBe('Blue key');
    expect(await webauthn.delete('bob', 'cred-1')).toBe(false);
    expect(await webauthn.delete('john', 'cred-1')).toBe(true);
    expect(await webauthn.find('cred-1')).toBeUndefined();
    expect(await webauthn.delete('john', 'cred-1')).toBe(false);
  });

  it('records a use only when the counter rises (or stays 0 without a counter); a counter going back is refused', async () => {
    const { webauthn } = await db.open();
    await webauthn.add(key({ signCount: 5 }));
    expect(await webauthn.recordUse('cred-1', 6, true, 2000)).toBe(true);
    expect(await webauthn.find('cred-1')).toMatchObject({ signCount: 6, backedUp: true, lastUsedAt: 2000 });
    expect(await webauthn.recordUse('cred-1', 6, false, 3000)).toBe(false); // a replay of the same count
    expect(await webauthn.recordUse('cred-1', 2, false, 3000)).toBe(false); // a cloned authenticator
    expect(await webauthn.find('cred-1')).toMatchObject({ signCount: 6, lastUsedAt: 2000 });
    await webauthn.add(key({ credentialId: 'no-counter', signCount: 0 }));
    expect(await webauthn.recordUse('no-counter', 0, false, 4000)).toBe(true);
    expect(await webauthn.recordUse('no-counter', 0, false, 5000)).toBe(true);
    expect(await webauthn.recordUse('unknown', 9, false, 5000)).toBe(false);
  });

  it('gives each user one random handle per relying party, the same to racing registrations, and finds the user by it', async () => {
    const store = await db.store();
    const [a, b] = [await store.open(), await store.open()];
    let n = 0;
    const fresh = () => `handle-${++n}`;
    const handles = await Promise.all([a.webauthn.userHandle('john', 'example.com', fresh, 1), b.webauthn.userHandle('john', 'example.com', fresh, 1)]);
    expect(handles[0]).toBe(handles[1]);
    expect(await a.webauthn.userHandle('john', 'example.com', fresh, 2)).toBe(handles[0]);
    const other = await a.webauthn.userHandle('john', 'other.org', fresh, 3);
    expect(other).not.toBe(handles[0]);
    expect(await b.webauthn.usernameOfHandle('example.com', handles[0]!)).toBe('john');
    expect(await b.webauthn.usernameOfHandle('other.org', handles[0]!)).toBeUndefined();
  });

  it('keeps each user’s preferred second factor', async () => {
    const { preferences } = await db.open();
    expect(await preferences.secondFactorMethod('john')).toBeUndefined();
    await preferences.setSecondFactorMethod('john', 'webauthn', 1);
    await preferences.setSecondFactorMethod('john', 'totp', 2);
    expect(await preferences.secondFactorMethod('john')).toBe('totp');
    expect(await preferences.secondFactorMethod('bob')).toBeUndefined();
  });
});
