import type { Decision } from './decide.js';
import { AuthLevel, type Outcome } from './policy.js';

/**
 * What a request gets for a decision, given how far its subject has authenticated
 * (Authelia's `isAuthzResult`): `bypass` → allow; `deny` → forbidden when the subject is
 * authenticated or the rule has no subject criteria, else login (identity is needed to
 * decide); `one_factor` / `two_factor` → allow when the level suffices, else login.
 */
export function outcome(decision: Pick<Decision, 'policy' | 'ruleHasSubject'>, level: AuthLevel, isAnonymous: boolean): Outcome {
  switch (decision.policy) {
    case 'bypass':
      return 'allow';
    case 'deny':
      return level > AuthLevel.none || !isAnonymous || !decision.ruleHasSubject ? 'forbidden' : 'login';
    case 'one_factor':
      return level >= AuthLevel.oneFactor ? 'allow' : 'login';
    case 'two_factor':
      return level >= AuthLevel.twoFactor ? 'allow' : 'login';
  }
}
