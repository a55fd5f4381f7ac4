import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { WebAuthnCeremonies } from '../../../src/auth/webauthn/ceremonies.js';
import { Problems } from '../../../src/config/problems.js';
import { readWebAuthn } from '../../../src/config/webauthn.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { systemRandom } from '../../../src/shared/random.js';
import { openStorage } from '../../../src/storage/open.js';
import { tempDir } from '../../helpers/config.js';
import { SoftAuthenticator } from '../../helpers/soft-authenticator.js';

const rp = { id: 'example.com', origin: 'https://auth.example.com' };
const john = { username: 'john', displayName: 'John Doe' };

async function world(webauthn: Record<string, unknown> = {}) {
  const storage = await openStorage(
    { kind: 'local', encryptionKey: 'a-very-long-test-encryption-key', local: { path: join(tempDir(), 'db.sqlite3') } } as never,
    { clock: new ManualClock(1_000), appVersion: 'test' },
  );
  onTestFinished(() => storage.close());
  const problems = new Problems();
  const config = readWebAuthn({ problems, env: {}, baseDir: '/' }, webauthn);
  expect(problems.errors).toEqual([]);
  const ceremonies = new WebAuthnCeremonies({ config, credentials: storage.webauthn, clock: new ManualClock(5_000), random: systemRandom });
  const register = async (key: SoftAuthenticator, user = john, at = rp) => {
    const { options, challenge } = await ceremonies.registrationOptions(user, at);
    return ceremonies.register(user, at, key.create(options as never, at.origin) as never, challenge, 'My key');
  };
  return { storage, ceremonies, register };
}

describe('WebAuthn ceremonies (issue 15) with a software authenticator and real storage', () => {
  it('registers a key, then signs in with it as a second factor; the counter is stored', async () => {
    const { ceremonies, register, storage } = await world();
    const key = new SoftAuthenticator();
    const registered = await register(key);
    expect(registered).toMatchObject({ ok: true, credential: { username: 'john', rpId: 'example.com', description: 'My key', transports: ['usb'] } });
    const { options, challenge } = await ceremonies.authenticationOptions(rp, 'john');
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([key.credentialId.toString('base64url')]);
    const signedIn = await ceremonies.authenticate(rp, key.get(options as never, rp.origin) as never, challenge, 'john');
    expect(signedIn).toMatchObject({ ok: true, username: 'john', userVerified: false });
    expect((await storage.webauthn.find(key.credentialId.toString('base64url')))?.signCount).toBe(1);
  });

  it('refuses a replayed assertion, a counter going back, a wrong challenge, origin or relying party', async () => {
    const { ceremonies, register } = await world();
    const key = new SoftAuthenticator();
    await register(key);
    const { options, challenge } = await ceremonies.authenticationOptions(rp, 'john');
    const answer = key.get(options as never, rp.origin);
    expect((await ceremonies.authenticate(rp, answer as never, challenge, 'john')).ok).toBe(true);
    expect(await ceremonies.authenticate(rp, answer as never, challenge, 'john')).toMatchObject({ ok: false, reason: expect.stringMatching(/counter|lower/) });
    const again = await ceremonies.authenticationOptions(rp, 'john');
    const cloned = key.get(again.options as never, rp.origin, { counter: 0 });
    expect((await ceremonies.authenticate(rp, cloned as never, again.challenge, 'john')).ok).toBe(false);
    const third = await ceremonies.authenticationOptions(rp, 'john');
    expect((await ceremonies.authenticate(rp, key.get(third.options as never, rp.origin, { challenge: 'b3RoZXI' }) as never, third.challenge, 'john')).ok).toBe(
      false,
    );
    expect((await ceremonies.authenticate(rp, key.get(third.options as never, 'https://evil.example.net') as never, third.challenge, 'john')).ok).toBe(false);
    expect(
      await ceremonies.authenticate({ ...rp, id: 'other.org' }, key.get(third.options as never, rp.origin) as never, third.challenge, 'john'),
    ).toMatchObject({
      ok: false,
      reason: 'the credential was registered for example.com, not other.org',
    });
  });

  it('refuses a credential registered twice, or presented for another user', async () => {
    const { ceremonies, register } = await world();
    const key = new SoftAuthenticator();
    await register(key);
    expect(await register(key, { username: 'bob', displayName: 'Bob' })).toMatchObject({ ok: false, reason: 'this authenticator is already registered' });
    const { options, challenge } = await ceremonies.authenticationOptions(rp, 'bob');
    expect(await ceremonies.authenticate(rp, key.get(options as never, rp.origin) as never, challenge, 'bob')).toMatchObject({
      ok: false,
      reason: "the credential is another user's",
    });
  });

  it('signs in with a passkey by its user handle, and refuses a handle that is not its user’s', async () => {
    const { ceremonies, register } = await world({ enable_passkey_login: true });
    const key = new SoftAuthenticator({ discoverable: true, userVerified: true });
    expect(await register(key)).toMatchObject({ ok: true, credential: { discoverable: true } });
    const { options, challenge } = await ceremonies.authenticationOptions(rp);
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(await ceremonies.authenticate(rp, key.get(options as never, rp.origin) as never, challenge)).toMatchObject({
      ok: true,
      username: 'john',
      userVerified: true,
    });
    const other = new SoftAuthenticator({ discoverable: true });
    await register(other, { username: 'bob', displayName: 'Bob' });
    const next = await ceremonies.authenticationOptions(rp);
    const forged = key.get(next.options as never, rp.origin) as { response: { userHandle?: string } };
    forged.response.userHandle = other.userHandle as string;
    expect(await ceremonies.authenticate(rp, forged as never, next.challenge)).toMatchObject({
      ok: false,
      reason: "the passkey's user handle does not name the credential's user",
    });
  });

  it('applies webauthn.filtering at registration', async () => {
    const model = 'ee882879-721c-4913-9775-3dfcce97072a';
    const permitted = await world({ attestation_conveyance_preference: 'none', filtering: { permitted_aaguids: [model] } });
    expect(await permitted.register(new SoftAuthenticator())).toMatchObject({ ok: false, reason: expect.stringContaining('is not permitted') });
    const prohibited = await world({ filtering: { prohibit_backup_eligibility: true } });
    expect(await prohibited.register(new SoftAuthenticator({ backupEligible: true }))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('backed up'),
    });
    expect((await prohibited.register(new SoftAuthenticator())).ok).toBe(true);
  });

  it('requires user verification when selection_criteria.user_verification is required', async () => {
    const { register } = await world({ selection_criteria: { user_verification: 'required' } });
    expect((await register(new SoftAuthenticator())).ok).toBe(false);
    expect((await register(new SoftAuthenticator({ userVerified: true }))).ok).toBe(true);
  });
});
