import { randomBytes } from 'node:crypto';

/** Source of cryptographically secure randomness. Domain code takes a Random instead of importing crypto. */
export interface Random {
  /** `n` bytes from a CSPRNG. */
  bytes(n: number): Buffer;
}

export const systemRandom: Random = { bytes: (n) => randomBytes(n) };
