/**
 * How many times, in all, a transaction (or a statement run on its own) that the database chose
 * as a deadlock's victim is run. The database rolled it back whole, so running it again is safe;
 * the other side of the deadlock has its locks by then and goes on.
 */
export const conflictAttempts = 3;

/**
 * Runs `work`, and again while it fails with an error `isConflict` recognises (a deadlock's
 * victim, rolled back by the database), at most {@link conflictAttempts} times in all. The last
 * failure is thrown as it is: the provider's guard turns it into a 503.
 */
export async function retryConflicts<T>(isConflict: (error: unknown) => boolean, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= conflictAttempts || !isConflict(error)) throw error;
    }
  }
}
