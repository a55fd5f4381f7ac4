// Worker thread for the password algorithms whose npm implementations are synchronous
// JavaScript (sha2crypt via unixcrypt, bcrypt via bcryptjs), so that they never run on the
// event loop. Plain JavaScript on purpose: it is loaded as is from src/ (tests) and from dist/
// (the build copies .js assets), and Node 20 cannot load a .ts file in a worker.
import bcrypt from 'bcryptjs';
import { encrypt, verify } from 'unixcrypt';

/**
 * @param {{op: 'sha2crypt-verify' | 'bcrypt-verify', password: string, digest: string}
 *   | {op: 'sha2crypt-hash', password: string, salt: string}
 *   | {op: 'bcrypt-hash', password: string, cost: number}} task
 * @returns {boolean | string}
 */
export default function run(task) {
  switch (task.op) {
    case 'sha2crypt-verify':
      try {
        return verify(task.password, task.digest);
      } catch {
        // unixcrypt's comparison throws when the lengths differ: that is a mismatch.
        return false;
      }
    case 'sha2crypt-hash':
      return encrypt(task.password, task.salt);
    case 'bcrypt-verify':
      return bcrypt.compareSync(task.password, task.digest);
    case 'bcrypt-hash':
      return bcrypt.hashSync(task.password, task.cost);
    default:
      throw new Error(`unknown crypt task '${String(task?.op)}'`);
  }
}
