import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';

/** A task for the crypt worker (`crypt-worker.js`). */
export type CryptTask =
  | { readonly op: 'sha2crypt-verify' | 'bcrypt-verify'; readonly password: string; readonly digest: string }
  | { readonly op: 'sha2crypt-hash'; readonly password: string; readonly salt: string }
  | { readonly op: 'bcrypt-hash'; readonly password: string; readonly cost: number };

type Result<T extends CryptTask> = T['op'] extends `${string}-verify` ? boolean : string;

const workerUrl = new URL('./crypt-worker.js', import.meta.url);
let pool: Piscina | undefined;

/**
 * Runs a synchronous password algorithm in a worker thread, so the event loop keeps serving
 * requests meanwhile. The pool is shared by the process like libuv's thread pool: it starts on
 * first use, and idle workers are unreferenced, so they never keep the process alive.
 */
export async function runCryptTask<T extends CryptTask>(task: T): Promise<Result<T>> {
  if (!pool) {
    // piscina is loaded at the first sha2crypt or bcrypt digest (argon2, scrypt and pbkdf2 never need it).
    const { Piscina } = await import('piscina');
    pool ??= new Piscina({
      filename: workerUrl.href,
      minThreads: 0,
      maxThreads: Math.max(2, Math.min(4, availableParallelism() - 1)),
      idleTimeout: 30_000,
    });
  }
  return pool.run(task) as Promise<Result<T>>;
}

/** Stops the workers (graceful shutdown); a later task starts a new pool. */
export async function closeCryptPool(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.destroy();
}
