export type { Identity, User, UserBackend, UserProfile } from './user.js';
export { FileUserBackend, type FileUserBackendOptions, type BackendLogger } from './file-backend.js';
export { parseUsersFile, type UsersDatabase, type UserSearch } from './users-file.js';
export { diffUsers, type UsersDiff } from './users-diff.js';
export type { Account, ReloadOutcome, UserDirectory } from './user-directory.js';
export { UserSessionRefresh, type SessionRefreshOptions, type RefreshLogger } from './session-refresh.js';
