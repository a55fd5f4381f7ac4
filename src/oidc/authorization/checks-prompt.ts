/**
 * Checks that decide whether the user must authenticate again (OIDC Core §3.1.2.1):
 * - `prompt`: `none`, `login`, `consent`, `select_account`; `none` with another value is
 *   `invalid_request`; `login` requires a login newer than the current one;
 * - `max_age`: a whole number of seconds; an older login must be redone (and `auth_time` is in
 *   every ID token anyway);
 * - `id_token_hint`: an ID token we issued (signature checked, expiry not); a different user
 *   signed in means a new login (`login_required` with `prompt=none`).
 * On a resumed request (`flow_id`) the decision stored with it is kept instead.
 */
import { compactVerify, createLocalJWKSet } from 'jose';
import { InvalidRequest } from '../errors.js';
import { type Check, param } from './context.js';

const knownPrompts = new Set(['none', 'login', 'consent', 'select_account']);

export const checkPrompt: Check = (ctx) => {
  const prompts = new Set((param(ctx, 'prompt') ?? '').split(' ').filter((p) => p !== ''));
  for (const p of prompts) if (!knownPrompts.has(p)) throw new InvalidRequest(`The prompt value '${p}' is not supported.`);
  if (prompts.has('none') && prompts.size > 1) throw new InvalidRequest('prompt=none must not be combined with other values.');
  ctx.prompts = prompts;
  if (ctx.pending || !prompts.has('login')) return;
  const state = ctx.session?.state;
  if (state?.username) ctx.loginAfter = Math.max(ctx.loginAfter ?? 0, state.firstFactorAt ?? 0);
};

export const checkMaxAge: Check = (ctx) => {
  const text = param(ctx, 'max_age');
  if (text === undefined) return;
  if (!/^\d{1,10}$/.test(text)) throw new InvalidRequest('max_age must be a whole number of seconds.');
  const state = ctx.session?.state;
  if (ctx.pending || !state?.username) return;
  const authTime = state.firstFactorAt ?? 0;
  if (ctx.now - authTime > Number(text) * 1000) ctx.loginAfter = Math.max(ctx.loginAfter ?? 0, authTime);
};

export const checkIdTokenHint: Check = async (ctx) => {
  const hint = param(ctx, 'id_token_hint');
  if (hint === undefined) return;
  try {
    const { payload } = await compactVerify(hint, createLocalJWKSet(ctx.deps.keys.jwks()));
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (!isRecord(claims) || claims.iss !== ctx.issuer || typeof claims.sub !== 'string') throw new Error('not ours');
    ctx.hintSubject = claims.sub;
  } catch {
    throw new InvalidRequest('id_token_hint is not an ID token issued by this provider.');
  }
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
