export type { User, UserBackend, UserProfile } from './user.js';
export { FileUserBackend, type FileUserBackendOptions, type ReloadOutcome, type BackendLogger } from './file-backend.js';
export { parseUsersFile, type UsersDatabase, type UserSearch } from './users-file.js';
