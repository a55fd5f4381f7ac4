/**
 * `minimum_parameter_entropy` (Authelia's key): a `state` or `nonce` that is sent must have at
 * least that many characters (default 8), else `invalid_request` (RFC 6749 §4.1.2.1) — an
 * unguessable `state` is what makes it a CSRF defence (RFC 6749 §10.12), a `nonce` what binds an
 * ID token to the request (OIDC Core §15.5.2). Neither is required when absent: RFC 6749 §4.1.1
 * makes `state` RECOMMENDED and RFC 9700 §2.1 lets PKCE carry the CSRF defence (Authelia, through
 * fosite, also refuses a missing `state`). `-1` in the configuration (0 here) turns the check off.
 */
import { InvalidRequest } from '../errors.js';
import { type Check, param } from './context.js';

export const checkParameterEntropy: Check = (ctx) => {
  const minimum = ctx.deps.config.minimumParameterEntropy;
  if (minimum <= 0) return;
  for (const name of ['state', 'nonce'] as const) {
    const value = param(ctx, name);
    if (value !== undefined && value.length < minimum) {
      throw new InvalidRequest(`The ${name} must be at least ${minimum} characters long (it is ${value.length}), so that it cannot be guessed.`);
    }
  }
};
