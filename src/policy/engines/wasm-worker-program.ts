/**
 * The program an evaluation worker runs (see wasm-pool.ts), and the layout of the shared control
 * block the two threads talk through. The program is plain CommonJS text, started with
 * `new Worker(program, { eval: true })`, so that it runs the same from `src/` under the test
 * runner and from `dist/`: no file to locate, nothing compiled.
 *
 * What it does: announces READY, then forever waits for a command in the control block. Before
 * each command it drains its message port, where policies are registered (a compiled
 * `WebAssembly.Module`, its data, its memory bound) and released. An EVAL command names a policy
 * slot; the input is UTF-8 JSON in the shared I/O buffer, copied straight into the policy's wasm
 * memory and evaluated through the ABI 1.2 `opa_eval` fast path (one call, no JSON parse on the
 * JS side); the result set's JSON is copied back into the I/O buffer. The policy's instance is
 * created when it is registered, from the module (no recompile), with a `WebAssembly.Memory` whose
 * `maximum` is the policy's bound, and rebuilt after a failure (or after growing past
 * {@link RESET_BYTES}) once the answer is sent, so that the next call starts from a fresh
 * instance and fresh memory.
 */

/** Int32 indexes into the control block. */
export const CONTROL = {
  /** Set to 1 by the worker once it can take commands; -1 when it cannot start. */
  ready: 0,
  /** IDLE, EVAL (main → worker), DONE or FAILED (worker → main). */
  state: 1,
  /** The policy slot an EVAL is for. */
  slot: 2,
  /** EVAL: input bytes. DONE: result bytes. FAILED: message bytes. */
  length: 3,
  /** FAILED: one of FAILURE. */
  failure: 4,
  /** Bumped by the main thread after posting a registration: the worker takes it now, off any decision's clock. */
  mail: 5,
  /** The worker's OS thread id (Linux), 0 when unknown: the main thread reads its CPU time from /proc. */
  tid: 6,
  /** Set to 1 by the worker once `CPU_START_US` holds this evaluation's start (cleared by the main thread before EVAL). */
  running: 7,
} as const;

/** Int32 slots in the control block: CONTROL's, then one Float64 (CPU_START_US). */
export const CONTROL_INTS = 10;
/** Float64 index in the control block: the worker thread's CPU time (us) when the evaluation started. */
export const CPU_START_US = 4;

/** Values of `CONTROL.state`. */
export const STATE = { idle: 0, eval: 1, done: 2, failed: 3 } as const;

/** Values of `CONTROL.failure`. */
export const FAILURE = { error: 1, memory: 2, tooLarge: 3 } as const;

/**
 * Memory a policy instance may keep between evaluations. wasm memory never shrinks, so one large
 * request would otherwise leave its instance at that size for good: past this, the instance is
 * rebuilt after replying.
 */
export const RESET_BYTES = 16 * 1024 * 1024;

/** Pages of wasm memory a policy instance starts with (OPA's modules ask for 2; opa-wasm's default is 5). */
export const INITIAL_PAGES = 5;

/** workerData: { opaWasm: path, port, control: SAB, io: SAB }. Messages on the port: { slot, module, entrypoint, data?, maxPages } or { slot, release: true }. */
export const WORKER_PROGRAM = String.raw`'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const ctl = new Int32Array(workerData.control);
const clock = new Float64Array(workerData.control);
let loadPolicySync;
try {
  ({ loadPolicySync } = require(workerData.opaWasm));
} catch (error) {
  // Say so at once, rather than let the first decision wait for a worker that will never be ready.
  Atomics.store(ctl, ${CONTROL.ready}, -1);
  Atomics.notify(ctl, ${CONTROL.ready});
  throw error;
}
const io = new Uint8Array(workerData.io);
const port = workerData.port;
const S = ${JSON.stringify(CONTROL)};
const ST = ${JSON.stringify(STATE)};
const F = ${JSON.stringify(FAILURE)};
const PAGE = 65536;
const encoder = new TextEncoder();
const policies = new Map();
// This thread's CPU time: how long an evaluation has really run, whatever else the machine is doing.
const cpuNow = typeof process.threadCpuUsage === 'function' ? () => { const u = process.threadCpuUsage(); return u.user + u.system; } : null;
try {
  ctl[S.tid] = cpuNow ? Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()) || 0 : 0;
} catch {
  ctl[S.tid] = 0; // not Linux: the deadline is wall-clock only
}

function drain() {
  for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
    const msg = m.message;
    if (msg.release) {
      policies.delete(msg.slot);
      continue;
    }
    const entry = { spec: msg, loaded: null };
    policies.set(msg.slot, entry);
    try {
      // Now, so that the first decision does not pay for it: the instance, and one evaluation of an
      // empty input, which compiles (lazily, in V8) the wasm functions every evaluation runs.
      const loaded = instance(entry);
      if (loaded.fast) {
        const heap = loaded.policy.dataHeapPtr;
        new Uint8Array(loaded.policy.mem.buffer).set([123, 125], heap);
        loaded.opaEval(0, loaded.entrypoint, loaded.policy.dataAddr, heap, 2, heap + 2, 0);
      }
    } catch {
      // reported by the evaluation that needs it
    }
  }
}

function instance(entry) {
  if (entry.loaded) return entry.loaded;
  const spec = entry.spec;
  const policy = loadPolicySync(spec.module, { initial: Math.min(${INITIAL_PAGES}, spec.maxPages), maximum: spec.maxPages });
  if (spec.data !== undefined) policy.setData(spec.data);
  const opaEval = policy.wasmInstance.exports.opa_eval;
  const fast = Number(policy.minorVersion) >= 2 && typeof opaEval === 'function';
  entry.loaded = { policy, opaEval, fast, entrypoint: spec.entrypoint };
  return entry.loaded;
}

/** Copies bytes into the I/O buffer; false when they do not fit. */
function reply(bytes) {
  if (bytes.length > io.length) return false;
  io.set(bytes, 0);
  ctl[S.length] = bytes.length;
  return true;
}

function evaluate(entry, length) {
  const loaded = instance(entry);
  const policy = loaded.policy;
  if (!loaded.fast) {
    const input = JSON.parse(Buffer.from(io.buffer, 0, length).toString('utf8'));
    return encoder.encode(JSON.stringify(policy.evaluate(input, loaded.entrypoint)));
  }
  const memory = policy.mem;
  // setData moves the data heap pointer: read it on every call, as LoadedPolicy.evaluate does.
  const inputAddr = policy.dataHeapPtr;
  const shortBy = inputAddr + length - memory.buffer.byteLength;
  if (shortBy > 0) memory.grow(Math.ceil(shortBy / PAGE));
  new Uint8Array(memory.buffer).set(io.subarray(0, length), inputAddr);
  const address = loaded.opaEval(0, loaded.entrypoint, policy.dataAddr, inputAddr, length, inputAddr + length, 0);
  const bytes = new Uint8Array(memory.buffer);
  const end = bytes.indexOf(0, address);
  return bytes.subarray(address, end === -1 ? bytes.length : end);
}

function fail(kind, message) {
  ctl[S.failure] = kind;
  if (!reply(encoder.encode(message.slice(0, 500)))) ctl[S.length] = 0;
  return ST.failed;
}

/** The policy whose instance to rebuild after replying: it failed, or grew past RESET_BYTES. */
let stale = null;

function run() {
  const entry = policies.get(ctl[S.slot]);
  if (!entry) return fail(F.error, 'the policy is not loaded in the evaluation worker');
  try {
    const result = evaluate(entry, ctl[S.length]);
    const answered = reply(result) ? ST.done : fail(F.tooLarge, 'the result set is larger than the evaluation buffer');
    if (entry.loaded.policy.mem.buffer.byteLength > ${RESET_BYTES}) stale = entry;
    return answered;
  } catch (error) {
    // A failed evaluation may leave the instance half-way (its heap, grown memory): the next starts from a fresh one.
    stale = entry;
    const message = error instanceof Error ? error.message : String(error);
    const memory = error instanceof RangeError || /opa_malloc|memory/i.test(message);
    return fail(memory ? F.memory : F.error, message);
  }
}

let mail = Atomics.load(ctl, S.mail);
let spinning = false;
drain();
Atomics.store(ctl, S.ready, 1);
Atomics.notify(ctl, S.ready);
for (;;) {
  if (Atomics.load(ctl, S.mail) !== mail) {
    mail = Atomics.load(ctl, S.mail);
    drain();
  }
  // Sleep on whatever the state is until it becomes EVAL or mail comes (the main thread notifies
  // only then); after an answer, watch a moment first: decisions come in bursts.
  let state = Atomics.load(ctl, S.state);
  if (state !== ST.eval && spinning) {
    const until = performance.now() + workerData.spinMs;
    while ((state = Atomics.load(ctl, S.state)) !== ST.eval && performance.now() < until);
    spinning = false;
  }
  if (state !== ST.eval) {
    Atomics.wait(ctl, S.state, state);
    continue;
  }
  drain();
  if (cpuNow) {
    clock[${CPU_START_US}] = cpuNow();
    Atomics.store(ctl, S.running, 1);
  }
  Atomics.store(ctl, S.state, run());
  Atomics.notify(ctl, S.state);
  spinning = true;
  if (stale) {
    // After the reply, off the caller's clock: a fresh instance and memory for the next call.
    stale.loaded = null;
    try {
      instance(stale);
    } catch {
      // the next evaluation reports it
    }
    stale = null;
  }
}
`;
