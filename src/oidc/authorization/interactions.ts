/**
 * The user steps of the authorization endpoint, sharing the portal's session:
 * - login: a signed-in user at the client's `authorization_policy` level passes; otherwise the
 *   request is saved (10 minutes) and the browser goes to the portal's login (`/`) or second
 *   factor (`/2fa`) page with `rd` = the resume URL. A forced re-authentication (`prompt=login`,
 *   `max_age`, another user's `id_token_hint`) sends a signed-in user to the login form with
 *   `prompt=login`; the session stays until the new login replaces it. With
 *   `prompt=none` these become `login_required` (OIDC Core §3.1.2.6).
 * - consent: `implicit` passes, `pre-configured` passes when the user remembered consent for this
 *   client and exactly these scopes, else the consent page (`consent_required` with `prompt=none`);
 *   `prompt=consent` always asks; a refusal is `access_denied`. `offline_access` is kept only
 *   when the user consents to it on the page or remembered consent to it (checks-offline.ts).
 */
import { pendingLifetime, endpoints } from '../deps.js';
import { AccessDenied, ConsentRequired, LoginRequired } from '../errors.js';
import { newOpaqueToken, newUuid } from '../tokens.js';
import { asksOfflineAccess, dropOfflineAccess } from './checks-offline.js';
import { sectorOf } from '../subjects.js';
import { type AuthorizationContext, type Check, type Interaction, plainParameters } from './context.js';

export const checkLogin: Check = async (ctx) => {
  const { session } = ctx;
  const state = session?.state.username ? session.state : undefined;
  const stale = state !== undefined && ctx.loginAfter !== undefined && (state.firstFactorAt ?? 0) <= ctx.loginAfter;
  const otherUser = state !== undefined && ctx.hintSubject !== undefined && (await subjectOf(ctx, state.username)) !== ctx.hintSubject;
  if (!state || stale || otherUser) {
    if (ctx.prompts.has('none')) throw new LoginRequired(state ? 'The user must sign in again.' : 'The user is not signed in.');
    // The current session stays until the new login replaces it: a link must not sign anyone out.
    if (otherUser) ctx.loginAfter = Math.max(ctx.loginAfter ?? 0, state?.firstFactorAt ?? 0);
    return interact(ctx, '/', state !== undefined);
  }
  const required = ctx.client!.authorizationPolicy === 'two_factor' ? 2 : 1;
  if (state.level < required) {
    if (ctx.prompts.has('none')) throw new LoginRequired('The client requires two factors; the user signed in with one.');
    return interact(ctx, '/2fa');
  }
  return undefined;
};

export const checkConsent: Check = async (ctx) => {
  const client = ctx.client!;
  const username = ctx.session!.state.username;
  const given = ctx.pending?.consent;
  if (given && given.username === username) {
    if (!given.granted) throw new AccessDenied('The user refused to share their information with the application.');
    return undefined;
  }
  const forced = ctx.prompts.has('consent');
  if (!forced && client.consentMode === 'implicit') {
    // No consent is asked, so none is given to a refresh token (OIDC Core §11): checks-offline.ts.
    dropOfflineAccess(ctx);
    return undefined;
  }
  if (!forced && client.consentMode === 'pre-configured') {
    const remembered = (scopes: readonly string[]) => ctx.deps.repository.hasConsent(username, client.id, scopes, ctx.now);
    if (await remembered(ctx.scopes)) return undefined;
    // prompt=none cannot ask for offline access: without it, a remembered consent may still answer.
    if (ctx.prompts.has('none') && asksOfflineAccess(ctx)) {
      dropOfflineAccess(ctx);
      if (await remembered(ctx.scopes)) return undefined;
    }
  }
  if (ctx.prompts.has('none')) throw new ConsentRequired('The user has not consented to this client and these scopes.');
  return interact(ctx, 'consent');
};

/** Saves the request and sends the browser to the portal page (or the consent page) that resumes it. */
async function interact(ctx: AuthorizationContext, page: '/' | '/2fa' | 'consent', forceLogin = false): Promise<Interaction> {
  const { deps } = ctx;
  const flowId = ctx.flowId ?? newOpaqueToken(deps.random);
  await deps.repository.savePending({
    idHash: deps.hasher.hash('flow', flowId),
    clientId: ctx.client!.id,
    parameters: plainParameters(ctx),
    loginAfter: ctx.loginAfter,
    consent: ctx.pending?.consent,
    createdAt: ctx.pending?.createdAt ?? ctx.now,
    expiresAt: ctx.now + pendingLifetime,
  });
  if (page === 'consent') return { redirect: `${ctx.issuer}${endpoints.consent}?flow_id=${flowId}` };
  const resume = `${ctx.issuer}${endpoints.authorization}?flow_id=${flowId}`;
  // The issuer ends with server.path (`https://example.com/auth`): the page is under it.
  const target = new URL(`${ctx.issuer}${page}`);
  target.searchParams.set('rd', resume);
  if (forceLogin) target.searchParams.set('prompt', 'login');
  return { redirect: target.href };
}

/** The user's public subject identifier (a stored random UUID). */
export function subjectOf(ctx: Pick<AuthorizationContext, 'deps' | 'now' | 'client'>, username: string): Promise<string> {
  const { deps } = ctx;
  const sector = ctx.client ? sectorOf(ctx.client) : '';
  return deps.repository.subjectFor(username, sector, () => newUuid(deps.random), ctx.now);
}
