/** Milliseconds since the Unix epoch. Injected where time matters so tests can steer it. */
export type Clock = () => number;

/** The wall clock. */
export const systemClock: Clock = () => Date.now();
