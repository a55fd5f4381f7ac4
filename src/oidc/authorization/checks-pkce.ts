/**
 * PKCE at the authorization endpoint (RFC 7636 §4.3, RFC 9700 §2.1.1):
 * - `S256` always; `plain` only with `enable_pkce_plain_challenge` (and a missing method means
 *   `plain`, RFC 7636 §4.3); a client's `pkce_challenge_method` is the only method it may use;
 * - required by `enforce_pkce` (`always`, or `public_clients_only` for public clients) and by the
 *   client's `require_pkce`;
 * - the challenge must be 43–128 characters of the unreserved set.
 */
import { InvalidRequest } from '../errors.js';
import { pkceValuePattern } from '../pkce.js';
import { type Check, param } from './context.js';

export const checkPkce: Check = (ctx) => {
  const { config } = ctx.deps;
  const client = ctx.client!;
  const challenge = param(ctx, 'code_challenge');
  const method = param(ctx, 'code_challenge_method');
  const required = config.enforcePkce === 'always' || (config.enforcePkce === 'public_clients_only' && client.public) || client.requirePkce;
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method was sent without code_challenge.');
    if (required) throw new InvalidRequest('This client must use PKCE: code_challenge (S256) is required.');
    return;
  }
  const chosen = method ?? 'plain';
  if (chosen !== 'S256' && chosen !== 'plain') throw new InvalidRequest(`The code_challenge_method '${chosen}' is not supported; use 'S256'.`);
  if (chosen === 'plain' && !config.enablePkcePlainChallenge) throw new InvalidRequest("The code_challenge_method 'plain' is not allowed; use 'S256'.");
  if (client.pkceChallengeMethod !== undefined && client.pkceChallengeMethod !== chosen) {
    throw new InvalidRequest(`This client must use the code_challenge_method '${client.pkceChallengeMethod}'.`);
  }
  if (!pkceValuePattern.test(challenge)) throw new InvalidRequest('code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~].');
  ctx.codeChallenge = challenge;
  ctx.codeChallengeMethod = chosen;
};
