import { StoreUnavailableError } from '../shared/store-unavailable.js';

/**
 * The storage (`storage.postgres`) cannot answer while running: the server is unreachable, the
 * connection was lost, it shuts down or does not answer within `storage.postgres.timeout`.
 * Raised by the provider for every repository call it could not complete; answered with 503.
 */
export class StorageUnavailableError extends StoreUnavailableError {
  constructor(store: string, reason: string, cause: unknown) {
    super('GH_STORAGE_UNAVAILABLE', 'The request cannot be completed right now (the storage is unavailable); try again shortly.', { store, reason, cause });
  }
}
