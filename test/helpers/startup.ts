import { StartupError } from '../../src/shared/errors.js';

/** The StartupError `promise` rejects with; anything else (resolving, another error) fails the test. */
export async function startupFailure(promise: Promise<unknown>): Promise<StartupError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof StartupError)) throw new Error(`expected a StartupError, got ${String(error)}`);
  return error;
}
