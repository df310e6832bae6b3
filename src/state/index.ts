/** Shared state behind small interfaces: in memory now; SQLite and Redis stores plug in later. */
export { MemorySlidingWindowStore } from './sliding-window.js';
export type { SlidingWindowStore, WindowState, ConsumeResult } from './sliding-window.js';
