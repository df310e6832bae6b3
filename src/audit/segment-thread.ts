import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SegmentOutcome, SegmentRange } from './store-segment.js';

/**
 * Runs {@link verifySegment} for one segment of a stored log on a helper thread, so that reading
 * and hashing a long log uses both cores. The caller keeps `verify()` synchronous: it checks its
 * own segment meanwhile, then blocks on shared memory until the thread reports. A thread that
 * does not start, or stops making progress, is given up on and its segment checked here.
 */

/** Words of the shared control block. */
export const CONTROL = { state: 0, checked: 1, badIndex: 2, reasonBytes: 3 } as const;
export const STARTED = 1;
export const DONE = 2;
const REASON_BYTES = 4096;
const START_TIMEOUT_MS = 10_000;
const STALL_TIMEOUT_MS = 30_000;

/** What the helper thread is given. */
export interface SegmentWorkerData {
  path: string;
  range: SegmentRange;
  leaves: SharedArrayBuffer;
  control: SharedArrayBuffer;
  reason: SharedArrayBuffer;
}

/** Writes a segment's outcome into the shared block (the thread's side). */
export function reportOutcome(data: SegmentWorkerData, outcome: SegmentOutcome): void {
  const control = new Int32Array(data.control);
  if (!outcome.bad) {
    Atomics.store(control, CONTROL.badIndex, -1);
    return;
  }
  const written = Buffer.from(data.reason).write(outcome.bad.reason.slice(0, REASON_BYTES / 4), 'utf8');
  Atomics.store(control, CONTROL.reasonBytes, written);
  Atomics.store(control, CONTROL.badIndex, outcome.bad.index);
}

/** A segment being checked on a helper thread. */
export class SegmentThread {
  private readonly control: Int32Array;
  private readonly worker: Worker;

  private constructor(private readonly data: SegmentWorkerData) {
    this.control = new Int32Array(data.control);
    const module = workerModule();
    this.worker = new Worker(module.source, { workerData: data, eval: module.eval });
    // Errors surface as a thread that never reports; the caller then checks the segment itself.
    this.worker.on('error', () => {});
    this.worker.unref();
  }

  /** Starts checking `range` of the store at `path`, writing leaves into `leaves`. */
  static start(path: string, range: SegmentRange, leaves: SharedArrayBuffer): SegmentThread {
    return new SegmentThread({
      path,
      range,
      leaves,
      control: new SharedArrayBuffer(4 * 4),
      reason: new SharedArrayBuffer(REASON_BYTES),
    });
  }

  /** Entries of the segment checked so far. */
  get checked(): number {
    return Atomics.load(this.control, CONTROL.checked);
  }

  /** Stops the thread (its answer is no longer needed). */
  stop(): void {
    void this.worker.terminate();
  }

  /**
   * Blocks until the thread reports; null if it did not start or stalled (then it is stopped,
   * and the caller checks the segment itself).
   */
  wait(onProgress?: (checked: number) => void): SegmentOutcome | null {
    let lastChecked = -1;
    let lastChange = Date.now();
    const started = Date.now();
    for (;;) {
      const state = Atomics.load(this.control, CONTROL.state);
      if (state === DONE) break;
      Atomics.wait(this.control, CONTROL.state, state, 100);
      const checked = this.checked;
      if (checked !== lastChecked) {
        lastChecked = checked;
        lastChange = Date.now();
        onProgress?.(checked);
      }
      const now = Date.now();
      if ((state === 0 && now - started > START_TIMEOUT_MS) || (state === STARTED && now - lastChange > STALL_TIMEOUT_MS)) {
        void this.worker.terminate();
        return null;
      }
    }
    void this.worker.terminate();
    const badIndex = Atomics.load(this.control, CONTROL.badIndex);
    if (badIndex < 0) return { bad: null };
    const reason = Buffer.from(this.data.reason).toString('utf8', 0, Atomics.load(this.control, CONTROL.reasonBytes));
    return { bad: { index: badIndex, reason } };
  }
}

/**
 * The thread's module: the compiled file beside this one. When this one is TypeScript source (the
 * test suite runs from source), a small bootstrap registers tsx in the thread and imports the .ts
 * file (a loader flag in a worker's execArgv does not reach its entry module on Node 20).
 */
function workerModule(): { source: URL | string; eval: boolean } {
  const compiled = new URL('./segment-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return { source: compiled, eval: false };
  // tsx's ESM entry (require.resolve would give its CommonJS one, which cannot register hooks here).
  const tsx = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  const entry = new URL('./segment-worker.ts', import.meta.url).href;
  return { source: `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
}
