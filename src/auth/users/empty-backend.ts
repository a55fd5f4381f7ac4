import type { User, UserBackend } from './user.js';

/** The backend when no `authentication_backend` is configured: nobody exists, nobody can log in. */
export class EmptyUserBackend implements UserBackend {
  async find(): Promise<User | undefined> {
    return undefined;
  }

  async get(): Promise<User | undefined> {
    return undefined;
  }

  async checkPassword(): Promise<User | undefined> {
    return undefined;
  }
}
