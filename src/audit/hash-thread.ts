import { Worker } from 'node:worker_threads';

/**
 * A helper thread that checks SHA-256 hashes of byte ranges in shared memory, so verifying a
 * long chain can use a second core. It is driven synchronously: the caller fills a slot,
 * submits it, and later blocks (Atomics.wait) until the thread has reported, which keeps
 * `verify()` a plain synchronous call.
 *
 * A slot holds `count` records: their contents back to back in `bytes` (record i at
 * `offsets[i]..offsets[i + 1]`), and the 64 hex characters each claims as its hash in `claims`.
 * The thread reports the index of the first record whose content does not hash to its claim,
 * or -1.
 */

/** Bytes of content a slot can hold; a chunk closes early when the next record would not fit. */
export const SLOT_BYTES = 4 * 1024 * 1024;
/** Records per slot at most. */
export const SLOT_RECORDS = 4096;

// control words, per slot
const STATE = 0; // IDLE, SUBMITTED, DONE
const COUNT = 1;
const RESULT = 2;
const WORDS_PER_SLOT = 4;
const IDLE = 0;
const SUBMITTED = 1;
const DONE = 2;
/** The thread's own word: 1 once it is running. */
const READY_WORD = 0;

const THREAD_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { hash } = require('node:crypto');
const { control, slots } = workerData;
const words = new Int32Array(control);
const views = slots.map((s) => ({ bytes: Buffer.from(s.bytes), offsets: new Int32Array(s.offsets), claims: Buffer.from(s.claims) }));
Atomics.store(words, ${READY_WORD}, 1);
Atomics.notify(words, ${READY_WORD});
let next = 0;
for (;;) {
  const base = ${WORDS_PER_SLOT} * (1 + next);
  for (let state = Atomics.load(words, base + ${STATE}); state !== ${SUBMITTED}; state = Atomics.load(words, base + ${STATE})) {
    Atomics.wait(words, base + ${STATE}, state, 1000);
  }
  const { bytes, offsets, claims } = views[next];
  const count = Atomics.load(words, base + ${COUNT});
  let bad = -1;
  for (let i = 0; i < count; i++) {
    const computed = hash('sha256', bytes.subarray(offsets[i], offsets[i + 1]), 'hex');
    if (computed !== claims.latin1Slice(64 * i, 64 * i + 64)) { bad = i; break; }
  }
  Atomics.store(words, base + ${RESULT}, bad);
  Atomics.store(words, base + ${STATE}, ${DONE});
  Atomics.notify(words, base + ${STATE});
  next = (next + 1) % views.length;
}
`;

/** One slot the caller fills and the thread checks. */
export interface HashSlot {
  readonly index: number;
  readonly bytes: Buffer;
  readonly offsets: Int32Array;
  /** 64 hex bytes per record: the hash each record claims. */
  readonly claims: Buffer;
}

/** The helper thread and its two shared-memory slots (see the module comment). */
export class HashThread {
  readonly slots: readonly HashSlot[];
  private readonly words: Int32Array;
  /** Slot the thread will look at next (it serves slots strictly in turn). */
  private nextToSubmit = 0;

  private constructor(private readonly worker: Worker, control: SharedArrayBuffer, slots: HashSlot[]) {
    this.words = new Int32Array(control);
    this.slots = slots;
  }

  private static shared: HashThread | null | undefined;

  /**
   * The process's helper thread, started on first use (about 20 ms) and kept, unreferenced, so
   * it never holds the process open. Null where threads cannot be started; callers then do the
   * work themselves.
   */
  static acquire(): HashThread | null {
    if (HashThread.shared !== undefined) return HashThread.shared;
    try {
      const control = new SharedArrayBuffer(4 * WORDS_PER_SLOT * 3);
      const slots = [0, 1].map((index) => ({
        index,
        bytes: new SharedArrayBuffer(SLOT_BYTES),
        offsets: new SharedArrayBuffer(4 * (SLOT_RECORDS + 1)),
        claims: new SharedArrayBuffer(64 * SLOT_RECORDS),
      }));
      const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { control, slots } });
      worker.unref();
      const thread = new HashThread(
        worker,
        control,
        slots.map((s) => ({ index: s.index, bytes: Buffer.from(s.bytes), offsets: new Int32Array(s.offsets), claims: Buffer.from(s.claims) })),
      );
      // A thread that dies can no longer be trusted with work: forget it, future calls start anew.
      worker.on('error', () => thread.retire());
      worker.on('exit', () => thread.retire());
      HashThread.shared = thread;
    } catch {
      HashThread.shared = null;
    }
    return HashThread.shared;
  }

  /** True once the thread runs (it starts in the background; until then the caller works alone). */
  get ready(): boolean {
    return Atomics.load(this.words, READY_WORD) === 1;
  }

  /** The slot to fill next. The caller must have collected its previous result. */
  nextSlot(): HashSlot {
    return this.slots[this.nextToSubmit] as HashSlot;
  }

  /** Hands a filled slot (records 0..count-1) to the thread. */
  submit(slot: HashSlot, count: number): void {
    const base = this.base(slot);
    Atomics.store(this.words, base + COUNT, count);
    Atomics.store(this.words, base + RESULT, -1);
    Atomics.store(this.words, base + STATE, SUBMITTED);
    Atomics.notify(this.words, base + STATE);
    this.nextToSubmit = (slot.index + 1) % this.slots.length;
  }

  /** True when the thread has finished `slot` (its result can be collected without waiting). */
  isDone(slot: HashSlot): boolean {
    return Atomics.load(this.words, this.base(slot) + STATE) === DONE;
  }

  /**
   * Blocks until the thread has checked `slot`; returns the first bad record or -1, and frees
   * the slot. Throws if the thread does not answer within `timeoutMs` (it died, or the machine
   * stalled): the caller must then not count the slot as checked.
   */
  collect(slot: HashSlot, timeoutMs = 60_000): number {
    const base = this.base(slot);
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.words, base + STATE) === SUBMITTED) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.retire();
        throw new Error('the hashing thread did not answer');
      }
      Atomics.wait(this.words, base + STATE, SUBMITTED, Math.min(left, 100));
    }
    Atomics.store(this.words, base + STATE, IDLE);
    return Atomics.load(this.words, base + RESULT);
  }

  private base(slot: HashSlot): number {
    return WORDS_PER_SLOT * (1 + slot.index);
  }

  private retire(): void {
    if (HashThread.shared === this) HashThread.shared = undefined;
    void this.worker.terminate().catch(() => undefined);
  }
}
