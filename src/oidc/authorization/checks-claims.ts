import { parseClaimsRequest } from '../claims.js';
import type { Check } from './context.js';
import { param } from './context.js';

/**
 * `claims` (OIDC Core §5.5): a malformed value is `invalid_request` (redirected: the redirect
 * URI is known by now); a valid one is kept with the code and its grant, and places released
 * claims in the ID token (see claims.ts `idTokenClaims`).
 */
export const checkClaimsParameter: Check = (ctx) => {
  const text = param(ctx, 'claims');
  if (text === undefined || text === '') return;
  parseClaimsRequest(text);
  ctx.claimsRequest = text;
};
