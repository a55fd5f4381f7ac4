import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A software WebAuthn authenticator (ES256, "none" attestation) for tests of the server's
 * ceremonies without a browser: it builds the same byte structures a security key does
 * (authenticator data, attestation object in CBOR, DER ECDSA signatures over
 * authData ‖ SHA-256(clientDataJSON)). Browser tests use Chromium's virtual authenticator instead.
 */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly #key: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  /** The signature counter; tests may set it (a clone replays an old value). */
  counter = 0;
  /** The user handle given at registration (a passkey returns it when signing in). */
  userHandle: string | undefined;

  constructor(
    readonly options: {
      readonly aaguid?: string;
      readonly userVerified?: boolean;
      readonly backupEligible?: boolean;
      readonly discoverable?: boolean;
      /** What the browser reports as `authenticatorAttachment` (absent by default, as some browsers do). */
      readonly attachment?: 'platform' | 'cross-platform';
    } = {},
  ) {}

  /** Answers `navigator.credentials.create(options)` on `origin`. */
  create(options: { challenge: string; rp: { id?: string }; user: { id: string } }, origin: string) {
    this.userHandle = options.user.id;
    const rpId = options.rp.id as string;
    const jwk = this.#key.publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
    const aaguid = Buffer.from((this.options.aaguid ?? '00000000-0000-0000-0000-000000000000').replace(/-/g, ''), 'hex');
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([this.#head(rpId, 0x40), aaguid, idLength, this.credentialId, cose]);
    const attestationObject = cbor(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
    const id = this.credentialId.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['usb' as const],
      },
      clientExtensionResults: { credProps: { rk: this.options.discoverable ?? false } },
      ...(this.options.attachment ? { authenticatorAttachment: this.options.attachment } : {}),
    };
  }

  /** Answers `navigator.credentials.get(options)` on `origin`; the counter rises by one unless `counter` is given. */
  get(options: { challenge: string; rpId?: string }, origin: string, override: { counter?: number; challenge?: string } = {}) {
    this.counter = override.counter ?? this.counter + 1;
    const authData = this.#head(options.rpId as string, 0);
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: override.challenge ?? options.challenge, origin, crossOrigin: false }),
    );
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]), this.#key.privateKey);
    const id = this.credentialId.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key' as const,
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(this.userHandle === undefined ? {} : { userHandle: this.userHandle }),
      },
      clientExtensionResults: {},
      ...(this.options.attachment ? { authenticatorAttachment: this.options.attachment } : {}),
    };
  }

  /** rpIdHash ‖ flags ‖ counter; UP always, UV when configured, BE/BS for a backup-eligible one, `extra` (AT) when given. */
  #head(rpId: string, extra: number): Buffer {
    const flags = 0x01 | (this.options.userVerified ? 0x04 : 0) | (this.options.backupEligible ? 0x08 | 0x10 : 0) | extra;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), counter]);
  }
}

/** A minimal CBOR encoder (RFC 8949): maps, byte and text strings, small integers. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(n, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  throw new Error(`cbor: cannot encode ${typeof value}`);
}
