export { type Session, type SessionFlows, type SessionState, anonymousState } from './session.js';
export { newSessionId, hashSessionId, isSessionIdShape, sessionIdBytes } from './session-id.js';
export { type SessionStore, StorageSessionStore } from './store.js';
export { SessionManager, type SessionManagerOptions } from './manager.js';
