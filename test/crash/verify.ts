/**
 * After the restart: everything a client received before the kill still works, each used once.
 * - a session cookie: forward-auth 200 with its user in `Remote-User`;
 * - an access token: introspection `active` with its user, and userinfo answers with its e-mail;
 * - a grant's newest refresh token: one refresh, answered with a new pair. That includes a token
 *   whose refresh was in flight at the kill: if the gateway rotated it but the answer was lost,
 *   the reuse grace (a minute in this configuration) hands out another pair;
 * - a code received and never sent: redeemed. A code whose exchange was in flight may have been
 *   redeemed already: then `invalid_grant` (a replay) is the right answer, and anything else a loss.
 */
import * as client from 'openid-client';
import type { Ledger } from './ledger.js';
import { forwardAuth, redeem } from './load.js';

/** Runs `check` over `items`, `width` at a time; collects what each reports lost. */
async function pool<T>(items: readonly T[], width: number, check: (item: T) => Promise<string | undefined>): Promise<string[]> {
  const lost: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const problem = await check(items[next++]!);
        if (problem) lost.push(problem);
      }
    }),
  );
  return lost;
}

/** The OAuth error of a refused request, or rethrows. */
function oauthError(error: unknown): string {
  if (error instanceof client.ResponseBodyError) return error.error;
  throw error;
}

export interface Survival {
  readonly lost: string[];
  /** In-flight codes found redeemed before the kill (answered `invalid_grant`), and redeemed now. */
  readonly inFlightCodes: { readonly spent: number; readonly redeemed: number };
}

export async function checkSurvival(target: URL, rp: client.Configuration, ledger: Ledger): Promise<Survival> {
  const sessions = await pool([...ledger.sessions], 8, async ([cookie, user]) => {
    const answer = await forwardAuth(target, cookie);
    const who = answer.headers.get('remote-user');
    return answer.status === 200 && who === user ? undefined : `session of ${user}: forward-auth ${answer.status} Remote-User ${who}`;
  });
  const access = await pool(ledger.accessTokens, 8, async ({ token, user }) => {
    const introspected = await client.tokenIntrospection(rp, token);
    if (introspected.active !== true || introspected.username !== user) return `access token of ${user}: introspection ${JSON.stringify(introspected)}`;
    const info = await client.fetchUserInfo(rp, token, client.skipSubjectCheck);
    return info.email === `${user}@gatehouse.localhost` ? undefined : `access token of ${user}: userinfo ${JSON.stringify(info)}`;
  });
  const refresh = await pool(ledger.chains, 8, async (chain) => {
    try {
      const next = await client.refreshTokenGrant(rp, chain.current);
      return next.refresh_token && next.access_token ? undefined : `refresh token of ${chain.user}: answered without a new pair`;
    } catch (error) {
      return `refresh token of ${chain.user}${chain.inFlight ? ' (its refresh in flight at the kill)' : ''}: ${oauthError(error)}`;
    }
  });
  const inFlightCodes = { spent: 0, redeemed: 0 };
  const codes = await pool([...ledger.codes], 8, async (held) => {
    try {
      await redeem(rp, held);
      if (held.inFlight) inFlightCodes.redeemed++;
      return undefined;
    } catch (error) {
      const code = oauthError(error);
      if (held.inFlight && code === 'invalid_grant') {
        inFlightCodes.spent++;
        return undefined;
      }
      return `code of ${held.user}${held.inFlight ? ' (its exchange in flight at the kill)' : ''}: ${code}`;
    }
  });
  return { lost: [...sessions, ...access, ...refresh, ...codes], inFlightCodes };
}
