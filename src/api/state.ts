/** `agent-governance-toolkit/state`: where shared state lives (rate-limit windows); in memory now, SQLite and Redis later. */
export { MemorySlidingWindowStore } from '../state/sliding-window.js';
export type { SlidingWindowStore, WindowState, ConsumeResult } from '../state/sliding-window.js';
export { MemoryReplayCache } from '../state/replay-cache.js';
export type { ReplayCache, ReplayVerdict, MemoryReplayCacheOptions } from '../state/replay-cache.js';
export { MemoryTrustScoreStore } from '../state/trust-score-store.js';
export type { TrustScoreStore, StoredTrust } from '../state/trust-score-store.js';
export { SqliteTrustScoreStore } from '../state/sqlite-trust-score-store.js';
export { SqliteReplayCache } from '../state/sqlite-replay-cache.js';
export type { SqliteReplayCacheOptions } from '../state/sqlite-replay-cache.js';
export { MemoryElevationGrantStore } from '../state/elevation-grant-store.js';
export type { ElevationGrant, ElevationGrantStore } from '../state/elevation-grant-store.js';
export { SqliteElevationGrantStore } from '../state/sqlite-elevation-grant-store.js';
export type { SqliteElevationGrantStoreOptions } from '../state/sqlite-elevation-grant-store.js';
export { MemoryLifecycleStore, BrokenLifecycleStore } from '../state/lifecycle-store.js';
export type { LifecycleStore, LifecycleSnapshot, LifecycleTransition, StandingRecord, TransitionNote } from '../state/lifecycle-store.js';
export { SqliteLifecycleStore, openLifecycleStore } from '../state/sqlite-lifecycle-store.js';
