/**
 * WebAuthn registration and authentication ceremonies (W3C WebAuthn Level 3), over
 * `@simplewebauthn/server`, for security keys as a second factor and passkeys as a sign-in.
 *
 * Enforces:
 * - the relying party ID is the cookie domain of the portal the request came to, and the origin
 *   the portal's own (both given by the caller from the one parsed request view);
 * - a challenge is used once: the caller takes it out of the session before verifying;
 * - a credential ID is registered once, to one user (the storage refuses a second);
 * - an assertion is accepted only for a credential of the expected user and relying party, and
 *   for a passkey only when its user handle is that user's; its signature counter must rise
 *   (or stay 0 on an authenticator without one), checked and stored in one statement, so a cloned
 *   authenticator or a replay racing the genuine assertion is refused;
 * - `webauthn.filtering`: permitted / prohibited AAGUIDs and backup eligibility at registration;
 * - `selection_criteria.user_verification: required` makes user verification mandatory.
 * Failures are results (`{ ok: false, reason }`), worded for the log; the page says less.
 */
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { WebAuthnConfig } from '../../config/webauthn.js';
import type { Clock } from '../../shared/clock.js';
import type { Random } from '../../shared/random.js';
import type { WebAuthnCredential, WebAuthnRepository } from '../../storage/auth-repositories.js';

/** The relying party a ceremony is for: its ID (the cookie domain) and the portal's origin. */
export interface RelyingParty {
  readonly id: string;
  readonly origin: string;
}

/** What a ceremony hands the browser, and the challenge the caller keeps (in the session) to verify its answer. */
export interface Ceremony<O> {
  readonly options: O;
  readonly challenge: string;
}

export type Outcome<T> = ({ readonly ok: true } & T) | { readonly ok: false; readonly reason: string };

/** The AAGUID of authenticators that do not tell their model. */
const unknownModel = '00000000-0000-0000-0000-000000000000';

export class WebAuthnCeremonies {
  constructor(
    private readonly deps: {
      readonly config: WebAuthnConfig;
      readonly credentials: WebAuthnRepository;
      readonly clock: Clock;
      readonly random: Random;
    },
  ) {}

  /** Options to register a new authenticator for `user`; the user's existing ones are excluded. */
  async registrationOptions(
    user: { readonly username: string; readonly displayName: string },
    rp: RelyingParty,
  ): Promise<Ceremony<PublicKeyCredentialCreationOptionsJSON>> {
    const { config, credentials, clock, random } = this.deps;
    const handle = await credentials.userHandle(user.username, rp.id, () => random.bytes(32).toString('base64url'), clock.now());
    const existing = await credentials.list(user.username, rp.id);
    const criteria = config.selectionCriteria;
    const options = await generateRegistrationOptions({
      rpName: config.displayName,
      rpID: rp.id,
      userName: user.username,
      userID: Buffer.from(handle, 'base64url'),
      userDisplayName: user.displayName,
      challenge: random.bytes(32).toString('base64url'),
      timeout: config.timeout,
      // The library knows none/direct/enterprise; Authelia's default `indirect` is asked as `direct`
      // (the client may still anonymise it, which is what `indirect` allows).
      attestationType: config.attestationConveyancePreference === 'none' ? 'none' : 'direct',
      excludeCredentials: existing.map((c) => ({ id: c.credentialId, transports: [...c.transports] })),
      authenticatorSelection: {
        ...(criteria.attachment === '' ? {} : { authenticatorAttachment: criteria.attachment }),
        residentKey: criteria.discoverability,
        requireResidentKey: criteria.discoverability === 'required',
        userVerification: criteria.userVerification,
      },
      extensions: { credProps: true },
    });
    return { options, challenge: options.challenge };
  }

  /** Verifies a registration answer against `challenge` and stores the credential as `description`. */
  async register(
    user: { readonly username: string },
    rp: RelyingParty,
    response: RegistrationResponseJSON,
    challenge: string,
    description: string,
  ): Promise<Outcome<{ readonly credential: WebAuthnCredential }>> {
    const { config, credentials, clock } = this.deps;
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        requireUserVerification: config.selectionCriteria.userVerification === 'required',
      });
    } catch (error) {
      return { ok: false, reason: `the registration does not verify: ${(error as Error).message}` };
    }
    const info = verified.registrationInfo;
    if (!verified.verified || info === undefined) return { ok: false, reason: 'the registration does not verify' };
    const aaguid = info.aaguid.toLowerCase();
    const { permittedAaguids, prohibitedAaguids, prohibitBackupEligibility } = config.filtering;
    if (permittedAaguids.length > 0 && !permittedAaguids.includes(aaguid)) return { ok: false, reason: `the authenticator model ${aaguid} is not permitted` };
    if (prohibitedAaguids.includes(aaguid)) return { ok: false, reason: `the authenticator model ${aaguid} is prohibited` };
    const backupEligible = info.credentialDeviceType === 'multiDevice';
    if (prohibitBackupEligibility && backupEligible) return { ok: false, reason: 'the credential can be backed up off the device, which is prohibited' };
    const credential: WebAuthnCredential = {
      username: user.username,
      rpId: rp.id,
      credentialId: info.credential.id,
      description,
      publicKey: Buffer.from(info.credential.publicKey),
      signCount: info.credential.counter,
      transports: info.credential.transports ?? response.response.transports ?? [],
      aaguid: aaguid === '' ? unknownModel : aaguid,
      discoverable: response.clientExtensionResults?.credProps?.rk ?? config.selectionCriteria.discoverability === 'required',
      backupEligible,
      backedUp: info.credentialBackedUp,
      createdAt: clock.now(),
      lastUsedAt: undefined,
    };
    if (!(await credentials.add(credential))) return { ok: false, reason: 'this authenticator is already registered' };
    return { ok: true, credential };
  }

  /**
   * Options to sign in: for `username`, with the user's credentials for this relying party (a
   * second factor); without, none listed (a passkey: the authenticator offers its own).
   */
  async authenticationOptions(rp: RelyingParty, username?: string): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    const { config, credentials, random } = this.deps;
    const allowed = username === undefined ? [] : await credentials.list(username, rp.id);
    const options = await generateAuthenticationOptions({
      rpID: rp.id,
      challenge: random.bytes(32).toString('base64url'),
      timeout: config.timeout,
      userVerification: username === undefined && config.passkeyUvTwoFactors ? 'required' : config.selectionCriteria.userVerification,
      allowCredentials: allowed.map((c) => ({ id: c.credentialId, transports: [...c.transports] })),
    });
    return { options, challenge: options.challenge };
  }

  /**
   * Verifies an assertion against `challenge`: for `username` (a second factor), or for whoever
   * the passkey's user handle names. Records the use; `userVerified` says whether the
   * authenticator verified the user (PIN, biometrics).
   */
  async authenticate(
    rp: RelyingParty,
    response: AuthenticationResponseJSON,
    challenge: string,
    username?: string,
  ): Promise<Outcome<{ readonly username: string; readonly credential: WebAuthnCredential; readonly userVerified: boolean }>> {
    const { config, credentials, clock } = this.deps;
    const credential = await credentials.find(response.id);
    if (credential === undefined) return { ok: false, reason: 'the credential is not registered' };
    if (credential.rpId !== rp.id) return { ok: false, reason: `the credential was registered for ${credential.rpId}, not ${rp.id}` };
    if (username !== undefined && credential.username !== username) return { ok: false, reason: "the credential is another user's" };
    if (username === undefined) {
      const handle = response.response.userHandle;
      const owner = handle === undefined ? undefined : await credentials.usernameOfHandle(rp.id, handle);
      if (owner !== credential.username) return { ok: false, reason: "the passkey's user handle does not name the credential's user" };
    }
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: {
          id: credential.credentialId,
          publicKey: new Uint8Array(credential.publicKey),
          counter: credential.signCount,
          transports: [...credential.transports] as never,
        },
        requireUserVerification: config.selectionCriteria.userVerification === 'required',
      });
    } catch (error) {
      return { ok: false, reason: `the assertion does not verify: ${(error as Error).message}` };
    }
    if (!verified.verified) return { ok: false, reason: 'the assertion does not verify' };
    const info = verified.authenticationInfo;
    if (!(await credentials.recordUse(credential.credentialId, info.newCounter, info.credentialBackedUp, clock.now()))) {
      return { ok: false, reason: `the signature counter did not rise (${credential.signCount} → ${info.newCounter}): a cloned authenticator or a replay` };
    }
    return { ok: true, username: credential.username, credential, userVerified: info.userVerified };
  }
}
