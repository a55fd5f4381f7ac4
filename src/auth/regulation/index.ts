export { Regulator, authTypes, type Attempt, type AttemptKind, type BanStatus, type RegulatorOptions } from './regulator.js';
export { AttemptLimiter, type AttemptLimiterOptions } from './attempt-limiter.js';
