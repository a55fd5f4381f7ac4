import { StoreUnavailableError } from '../shared/store-unavailable.js';

/**
 * The session store cannot answer (Redis lost, timed out or failing). Whatever needed the
 * session is refused with 503 and this short message — never treated as "no session", never
 * as allowed; `reason` says what failed in a few words, the cause stays in `cause` and the log.
 */
export class SessionStoreUnavailableError extends StoreUnavailableError {
  constructor(cause: unknown, reason: string, store = 'session.redis') {
    super('GH_SESSION_STORE_UNAVAILABLE', 'Sessions cannot be checked right now (the session store is unavailable); try again shortly.', {
      store,
      reason,
      cause,
    });
  }
}
