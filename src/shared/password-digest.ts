/**
 * The password digest formats Gatehouse can verify, recognised by their syntax alone (the
 * users file's `password`, an OIDC client's `client_secret`): pure, so that configuration can
 * be validated without loading the hashing code (auth/password/verify.ts checks passwords).
 */

/** One pattern per digest family; `pbkdf2` captures hash, iterations, salt, key and `scrypt` ln, r, p, salt, key. */
export const digestPatterns = {
  argon2: /^\$argon2(?:id|i|d)\$(?:v=\d+\$)?m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/,
  bcrypt: /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/,
  sha2crypt: /^\$[56]\$(?:rounds=\d{1,9}\$)?[^$:\n]{0,16}\$(?:[./0-9A-Za-z]{43}|[./0-9A-Za-z]{86})$/,
  pbkdf2: /^\$pbkdf2(?:-(sha1|sha224|sha256|sha384|sha512))?\$(\d+)\$([A-Za-z0-9./]+)\$([A-Za-z0-9./]+)$/,
  scrypt: /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/,
} as const;

/** Digest formats that {@link isSupportedDigest} accepts, as shown in messages. */
export const supportedDigestFormats = [
  '$argon2id$',
  '$argon2i$',
  '$argon2d$',
  '$scrypt$',
  '$pbkdf2$',
  '$pbkdf2-sha256$',
  '$pbkdf2-sha512$',
  '$6$',
  '$5$',
  '$2b$',
] as const;

/** Whether `digest` is in a format Gatehouse can verify (its syntax only, not its value). */
export function isSupportedDigest(digest: string): boolean {
  return Object.values(digestPatterns).some((p) => p.test(digest));
}
