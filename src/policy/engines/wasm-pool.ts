import { createRequire } from 'node:module';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { CONTROL, CONTROL_INTS, CPU_START_US, FAILURE, STATE, WORKER_PROGRAM } from './wasm-worker-program.js';

/**
 * Bounded evaluation of OPA wasm policies: each evaluation runs on a worker thread, under a
 * wall-clock deadline, in a wasm memory with a maximum, while the caller keeps a synchronous API.
 *
 * Why a thread: a wasm call cannot be interrupted on the thread that makes it, and a Rego policy
 * can loop for as long as the request lets it (`numbers.range(1, input.args.n)`, comprehensions
 * nested over request arrays). So the caller writes the input into a shared buffer, wakes the
 * worker and sleeps (`Atomics.wait`) until the answer or the deadline. At the deadline the
 * worker is terminated (V8 interrupts running wasm) and the call fails: the engine turns that
 * into a deny, never an allow.
 *
 * One pool per process, not per engine: decisions are synchronous, so a thread never has more
 * than one evaluation in flight, and one worker can hold every loaded policy. A second worker
 * waits warm as a standby, so that the call after a terminated one does not pay a worker's
 * start (tens of milliseconds, more on a loaded machine): it is promoted, and a new standby
 * starts in the background. Both are unref'd: they never keep the process alive.
 */

/**
 * A compiled `WebAssembly.Module`. Named here because the ES library this project builds against
 * does not declare the `WebAssembly` namespace; modules are only passed along (to opa-wasm, to
 * the workers, which share the compiled code instead of compiling again).
 */
export type CompiledWasm = object;

/** Compiles wasm bytes once (throws the engine's CompileError on invalid wasm). */
export function compileWasm(bytes: Uint8Array): CompiledWasm {
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => CompiledWasm } }).WebAssembly;
  return new wasm.Module(bytes);
}

/** A policy as the workers need it: compiled module (shared, not recompiled), entrypoint, data and memory bound. */
export interface PolicyRegistration {
  module: CompiledWasm;
  entrypoint: number;
  data: unknown;
  /** Maximum wasm memory, in 64 KiB pages. */
  maxPages: number;
}

/** What an evaluation gave: the result set's JSON text, or why there is none. */
export type WasmAnswer =
  | { ok: true; resultJson: string }
  | { ok: false; failure: 'timeout' | 'memory' | 'too_large' | 'error'; message: string };

/** Bytes of the buffer that carries the input to the worker and the result back (virtual: pages are touched only as used). */
export const IO_BUFFER_BYTES = 16 * 1024 * 1024;
/**
 * `timeout_ms` is the evaluation's own CPU time where the platform reports it (Linux), so that a
 * loaded machine does not turn a slow scheduler into a denied decision; but never more than this
 * many times `timeout_ms` on the wall clock. Elsewhere it is wall-clock time.
 */
export const HARD_STOP_FACTOR = 1.6;
/** How long the caller, and the worker after answering, watch for the other before sleeping (ms). */
export const SPIN_MS = 0.05;
/** How long the first worker of the process may take to start (waited for by the first decision only). */
const FIRST_START_MS = 10_000;
/**
 * How long an evaluation may wait, beyond its deadline, for the worker to finish loading a policy
 * registered just before (compiling and warming its wasm, tens of ms; more on a loaded machine).
 * Bounded, because a policy that never finishes its warm-up would otherwise hold every call.
 */
const LOADING_MS = 1_000;

const opaWasmPath = createRequire(import.meta.url).resolve('@open-policy-agent/opa-wasm');
const encoder = new TextEncoder();

/** One evaluation worker and the shared memory it is driven through. */
class EvaluationWorker {
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  readonly io = new Uint8Array(new SharedArrayBuffer(IO_BUFFER_BYTES));
  /** Set when the thread exited or crashed (seen once the event loop has run). */
  exited = false;
  private readonly port: MessagePort;
  private readonly worker: Worker;

  constructor(policies: ReadonlyMap<number, PolicyRegistration>) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_PROGRAM, {
      eval: true,
      // Not the parent's flags: `--input-type=module` (node -e) would make this CommonJS program a module.
      execArgv: [],
      workerData: { opaWasm: opaWasmPath, port: port2, control: this.control.buffer, io: this.io.buffer, spinMs: SPIN_MS },
      transferList: [port2],
      // Bounds the worker's JavaScript heap (opa-wasm's JS builtins); wasm memory is bounded per policy.
      resourceLimits: { maxOldGenerationSizeMb: 256, maxYoungGenerationSizeMb: 32 },
      stdout: false,
      stderr: false,
    });
    const gone = () => {
      this.exited = true;
    };
    this.worker.on('error', gone).on('exit', gone);
    this.worker.unref();
    this.port.unref();
    for (const [slot, registration] of policies) this.post(slot, registration);
  }

  /** Registers (or, with null, releases) a policy; the worker takes it before its next evaluation. */
  post(slot: number, registration: PolicyRegistration | null): void {
    this.port.postMessage(registration ? { slot, ...registration } : { slot, release: true });
    Atomics.add(this.control, CONTROL.mail, 1);
    Atomics.notify(this.control, CONTROL.state);
  }

  /** Waits until the worker can take commands or `until` (a performance.now() time) passes. */
  waitReady(until: number): boolean {
    for (;;) {
      const ready = Atomics.load(this.control, CONTROL.ready);
      if (ready === 1) return true;
      const left = until - performance.now();
      if (left <= 0 || ready === -1 || this.exited) return false;
      Atomics.wait(this.control, CONTROL.ready, 0, left);
    }
  }

  /**
   * CPU time the current evaluation has used, in ms: 0 while the worker has not started it, null
   * when the platform does not say (not Linux, or Node without `process.threadCpuUsage`).
   */
  /** True while the worker has a request but has not started evaluating it (it is loading a policy first); known only where CPU time is (Linux). */
  loading(): boolean {
    return (this.control[CONTROL.tid] ?? 0) > 0 && Atomics.load(this.control, CONTROL.running) !== 1;
  }

  evaluationCpuMs(): number | null {
    const tid = this.control[CONTROL.tid] ?? 0;
    if (tid <= 0) return null;
    if (Atomics.load(this.control, CONTROL.running) !== 1) return 0;
    try {
      // `schedstat` starts with the thread's time on CPU, in ns.
      const nowUs = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ', 1)[0]) / 1000;
      const startUs = new Float64Array(this.control.buffer)[CPU_START_US] ?? nowUs;
      return Number.isFinite(nowUs) ? Math.max(0, (nowUs - startUs) / 1000) : null;
    } catch {
      return null;
    }
  }

  stop(): void {
    this.exited = true;
    void this.worker.terminate();
    this.port.close();
  }
}

/** The process's evaluation workers and the policies they hold. */
export class EvaluationPool {
  private readonly policies = new Map<number, PolicyRegistration>();
  private nextSlot = 1;
  private active: EvaluationWorker | null = null;
  private standby: EvaluationWorker | null = null;
  /** Workers replaced after a timeout or crash; before the first, the first start may take FIRST_START_MS. */
  private replaced = 0;

  /** Makes a policy available to the workers; returns its slot. Starts the workers with the first. */
  register(registration: PolicyRegistration): number {
    const slot = this.nextSlot++;
    this.policies.set(slot, registration);
    this.active?.post(slot, registration);
    this.standby?.post(slot, registration);
    if (!this.active) {
      this.active = new EvaluationWorker(this.policies);
      // Started now, not waited for: they boot while loading goes on (lint never waits for them).
      this.standby = new EvaluationWorker(this.policies);
    }
    return slot;
  }

  /** Forgets a policy (its engine was collected). */
  release(slot: number): void {
    if (!this.policies.delete(slot)) return;
    this.active?.post(slot, null);
    this.standby?.post(slot, null);
  }

  /** Evaluates `input` with the policy in `slot`; answers within about `timeoutMs`, whatever the policy does. */
  evaluate(slot: number, input: unknown, timeoutMs: number): WasmAnswer {
    const firstStart = this.replaced === 0;
    let deadline = performance.now() + timeoutMs;
    const worker = this.readyWorker(firstStart ? deadline + FIRST_START_MS : deadline);
    if (!worker) return { ok: false, failure: 'timeout', message: firstStart ? 'the evaluation worker did not start' : 'the evaluation worker was restarting after a stopped evaluation' };
    if (firstStart) {
      // The process's first workers may still have been starting: that wait is not the policy's
      // time. The standby too, so that a first evaluation stopped is followed by a ready worker.
      this.standby?.waitReady(deadline + FIRST_START_MS);
      deadline = Math.max(deadline, performance.now() + timeoutMs);
    }
    const { control, io } = worker;
    const json = JSON.stringify(input);
    const { read, written } = encoder.encodeInto(json, io);
    if (read < json.length) return { ok: false, failure: 'too_large', message: `the input is larger than the ${IO_BUFFER_BYTES} byte evaluation buffer` };
    control[CONTROL.slot] = slot;
    control[CONTROL.length] = written;
    control[CONTROL.running] = 0;
    Atomics.store(control, CONTROL.state, STATE.eval);
    Atomics.notify(control, CONTROL.state);
    let hardStop = deadline + timeoutMs * (HARD_STOP_FACTOR - 1);
    // A worker still loading a newly registered policy (compiling its wasm) before it starts this
    // evaluation is not spending the policy's time: the clocks start when the evaluation does.
    const loadingUntil = performance.now() + LOADING_MS;
    // Most evaluations take microseconds: watch for the answer a moment before sleeping. Waking a
    // sleeping thread costs tens of microseconds on an idle machine (its core has powered down).
    const spinUntil = performance.now() + SPIN_MS;
    while (Atomics.load(control, CONTROL.state) === STATE.eval && performance.now() < spinUntil);
    for (;;) {
      if (Atomics.load(control, CONTROL.state) !== STATE.eval) break;
      const now = performance.now();
      if (now >= deadline && worker.loading() && now < loadingUntil) {
        deadline = now + timeoutMs;
        hardStop = deadline + timeoutMs * (HARD_STOP_FACTOR - 1);
      } else if (now >= deadline) {
        // Past the deadline on the wall clock: stop it, unless the machine, not the policy, took the time.
        const cpuMs = worker.evaluationCpuMs();
        if (cpuMs === null || cpuMs >= timeoutMs || now >= hardStop) {
          this.replaceActive();
          return { ok: false, failure: 'timeout', message: cpuMs === null || cpuMs >= timeoutMs ? 'stopped at the deadline' : 'stopped at the hard deadline: the machine gave it too little CPU' };
        }
        deadline = Math.min(hardStop, now + Math.max(1, timeoutMs - cpuMs));
      }
      Atomics.wait(control, CONTROL.state, STATE.eval, deadline - now);
    }
    const state = Atomics.load(control, CONTROL.state);
    const text = Buffer.from(io.buffer, io.byteOffset, control[CONTROL.length]).toString('utf8');
    const failure = control[CONTROL.failure];
    Atomics.store(control, CONTROL.state, STATE.idle);
    if (state === STATE.done) return { ok: true, resultJson: text };
    return { ok: false, failure: failure === FAILURE.memory ? 'memory' : failure === FAILURE.tooLarge ? 'too_large' : 'error', message: text };
  }

  /** Whether both workers have started (or none was needed yet): the next evaluation runs at once, and one stopped is followed by a ready worker. */
  settled(): boolean {
    return [this.active, this.standby].every((worker) => worker === null || Atomics.load(worker.control, CONTROL.ready) === 1);
  }

  /** The active worker once ready; null when none became ready in time. */
  private readyWorker(until: number): EvaluationWorker | null {
    if (!this.active || this.active.exited) this.replaceActive();
    const worker = this.active as EvaluationWorker;
    return worker.waitReady(until) ? worker : null;
  }

  /** Drops the active worker (stuck or gone); the warm standby takes over and a new standby starts. */
  private replaceActive(): void {
    this.active?.stop();
    this.active = this.standby && !this.standby.exited ? this.standby : new EvaluationWorker(this.policies);
    this.standby = new EvaluationWorker(this.policies);
    this.replaced++;
  }
}

let pool: EvaluationPool | undefined;

/** The process-wide pool (created, with its workers, when the first wasm policy loads). */
export function evaluationPool(): EvaluationPool {
  pool ??= new EvaluationPool();
  return pool;
}
