/** passlib's "adapted base64" used by `$pbkdf2-…$` digests: `.` for `+`, no padding. */
export function toAb64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
}

export function fromAb64(text: string): Buffer {
  return Buffer.from(text.replace(/\./g, '+'), 'base64');
}

/** Standard base64 without padding, as PHC strings use. */
export function toB64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
