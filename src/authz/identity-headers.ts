import type { Identity } from '../auth/users/user.js';

/** The identity headers, lower-case, in the order they are set. */
export const identityHeaderNames = ['remote-user', 'remote-groups', 'remote-name', 'remote-email'] as const;

/**
 * `Remote-User`, `Remote-Groups` (comma-joined), `Remote-Name`, `Remote-Email` (first address or
 * empty) for an identity. Values are sent as their UTF-8 bytes (what Authelia sends), with
 * control characters removed so a value can never split a header.
 */
export function identityHeaders(identity: Identity): Record<(typeof identityHeaderNames)[number], string> {
  return {
    'remote-user': headerValue(identity.username),
    'remote-groups': headerValue(identity.groups.join(',')),
    'remote-name': headerValue(identity.displayName),
    'remote-email': headerValue(identity.emails[0] ?? ''),
  };
}

function headerValue(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '');
  return /^[\u0020-\u007e]*$/.test(clean) ? clean : Buffer.from(clean, 'utf8').toString('latin1');
}
