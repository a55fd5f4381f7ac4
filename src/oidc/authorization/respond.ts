/**
 * Issues the authorization code (RFC 6749 §4.1.2): 256 random bits, stored only as an HMAC,
 * single use, valid for `lifespans.authorize_code` (1 minute by default), bound to the client,
 * the redirect URI, the PKCE challenge, the nonce and the user's authentication (time, methods).
 */
import { AuthLevel } from '../../rules/policy.js';
import { lifespanOf } from '../lifespans.js';
import { newOpaqueToken, newUuid } from '../tokens.js';
import type { AuthorizationContext } from './context.js';
import { param } from './context.js';
import { subjectOf } from './interactions.js';

/** The success parameters (`code`); the handler adds `state` and `iss`. */
export async function issueCode(ctx: AuthorizationContext): Promise<Record<string, string>> {
  const { deps, now } = ctx;
  const client = ctx.client!;
  const state = ctx.session!.state;
  const code = newOpaqueToken(deps.random);
  const grantId = newUuid(deps.random);
  // `mfa` when the session holds two factors (a passkey alone carries `swk` and `user`: one factor).
  const amr = [...state.amr];
  if (state.level >= AuthLevel.twoFactor && !amr.includes('mfa')) amr.push('mfa');
  await deps.repository.saveCode({
    codeHash: deps.hasher.hash('code', code),
    grantId,
    clientId: client.id,
    username: state.username,
    data: {
      subject: await subjectOf(ctx, state.username),
      redirectUri: ctx.redirectUri!,
      scopes: ctx.scopes,
      nonce: param(ctx, 'nonce'),
      codeChallenge: ctx.codeChallenge,
      codeChallengeMethod: ctx.codeChallengeMethod,
      authTime: state.firstFactorAt ?? now,
      amr,
      issuer: ctx.issuer,
      claimsRequest: ctx.claimsRequest,
      sid: state.sid,
    },
    issuedAt: now,
    expiresAt: now + lifespanOf(deps.config, client, 'authorize_code', 'authorizeCode'),
  });
  if (ctx.flowId) await deps.repository.deletePending(deps.hasher.hash('flow', ctx.flowId));
  await deps.repository.audit({ time: now, event: 'code', clientId: client.id, username: state.username, grantId, detail: ctx.scopes.join(' ') });
  return { code };
}
