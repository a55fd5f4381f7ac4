export type { User, UserBackend, UserProfile } from './user.js';
export { FileUserBackend, type FileUserBackendOptions, type ReloadOutcome, type BackendLogger } from './file-backend.js';
export { parseUsersFile, type UsersDatabase, type UserSearch } from './users-file.js';
export { diffUsers, type UsersDiff } from './users-diff.js';
export type { Account, UserDirectory } from './user-directory.js';
export { UserSessionRefresh, type SessionRefreshOptions, type RefreshLogger } from './session-refresh.js';
