import { GovernanceConfigError } from '../../core/errors.js';
import type { AgentRef } from '../../core/types.js';
import type { Kernel } from '../../kernel/kernel.js';

/** The parts of a {@link Kernel} a saga uses: steps go through `handle`, its own entries through `record`. */
export type SagaKernel = Pick<Kernel, 'handle' | 'record' | 'confirm' | 'evaluator'>;

/** What a step's `run` receives besides the kernel's checked copy of its arguments. */
export interface StepContext {
  /** Aborted when the saga is compensated (its signal, a kill, a failure elsewhere) while the step runs. */
  readonly signal: AbortSignal;
  readonly saga: string;
  readonly sagaId: string;
  readonly step: string;
}

/** What a compensation receives besides what its step's `run` returned. */
export interface CompensationContext extends StepContext {
  /** Aborted when this attempt times out: stop, the saga has moved on. */
  readonly signal: AbortSignal;
  /** The step's arguments, as the kernel checked them and the step ran with them. */
  readonly args: Readonly<Record<string, unknown>>;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Why the saga is being compensated. */
  readonly reason: string;
}

/** One step of a saga: a governed tool call, and how to undo it. */
export interface SagaStep<Result = unknown> {
  /** The tool the kernel decides (`tools:` requirements and rules match on it). */
  tool: string;
  /** The call's arguments: a JSON object. The kernel copies and checks them; `run` gets the copy. */
  args?: Record<string, unknown>;
  /** Does the step. Its return value goes (unredacted) to `compensate`; what the policy lets through is what `step()` returns. */
  run: (args: Readonly<Record<string, unknown>>, context: StepContext) => Result | Promise<Result>;
  /** Undoes the step. Omit it only for a step with nothing to undo (a read). Must be idempotent: it may be retried. */
  compensate?: ((result: Result, context: CompensationContext) => unknown) | undefined;
  /** This step's identity proof, when the saga's `proof` cannot be reused (a signed envelope is spent once). */
  proof?: unknown;
}

/**
 * Where a saga registers itself to be compensated when its agent is killed: the kill switch's
 * compensation registry (`register(agentId, name, compensate) → unregister`), typed by shape so
 * the saga does not depend on the kill switch.
 */
export interface CompensationRegistry {
  register(agentId: string, name: string, compensate: (signal: AbortSignal) => Promise<void>): () => void;
}

/** What a per-step proof function (`SagaOptions.proof` as a function) is given: the call to prove. */
export interface StepToProve {
  readonly saga: string;
  readonly sagaId: string;
  readonly step: string;
  readonly tool: string;
  readonly args: Record<string, unknown>;
}

/** How a {@link Saga} is made. */
export interface SagaOptions {
  /** The kernel every step goes through and every saga entry is recorded in. */
  kernel: SagaKernel;
  /** Names the saga in audit entries (`saga.<name>.step.<step>`): letters, digits, `_` and `-`, at most 64. */
  name: string;
  /** The agent the steps are taken for, when not the kernel's own; it also names the saga's own entries. */
  agent?: AgentRef | string;
  /**
   * The identity proof each step presents (with the kernel's `identity`): a value reused by every
   * step (a JWT, a session), or a function that makes one per step (a signed envelope binds one
   * call and is spent once). A step's own `proof` wins.
   */
  proof?: unknown;
  /** Retries of a compensation that throws, after its first attempt (0–10, default 3), with exponential backoff. */
  retries?: number;
  /** Delay before the first retry; it doubles each time, up to 30 seconds (0–30,000 ms, default 100). */
  retryDelayMs?: number;
  /** How long one attempt of a compensation (and a running step, once the saga is compensated) may take (1 ms–10 minutes, default 30 s). */
  compensationTimeoutMs?: number;
  /** When it aborts, no further step starts, the running one is aborted, and the completed steps are compensated. */
  signal?: AbortSignal;
  /**
   * The kill switch's registry: the saga registers its {@link Saga.compensate} for `agent` while
   * it runs (and unregisters when it ends), so killing the agent undoes its completed steps.
   * Default: the kernel's own kill switch (`kernel.killSwitch.compensations`) when `agent` is
   * given; false: none (a kill then aborts the running step but undoes nothing).
   */
  compensations?: CompensationRegistry | false;
}

/** A saga's options, checked and with defaults applied. */
export interface SagaSettings {
  kernel: SagaKernel;
  name: string;
  agent: AgentRef | string | undefined;
  agentId: string | undefined;
  proof: unknown;
  retries: number;
  retryDelayMs: number;
  compensationTimeoutMs: number;
  signal: AbortSignal | undefined;
  compensations: CompensationRegistry | undefined;
}

/**
 * A saga or step name: ASCII letters, digits, `_` and `-`. No dots, so `saga.<name>.step.<step>`
 * reads back unambiguously; ASCII only, so a look-alike (Cyrillic `а`, a zero-width space) cannot
 * pass for another step in the audit log.
 */
export const SAGA_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Retries of a failing compensation after its first attempt, unless `retries` says otherwise. */
export const DEFAULT_SAGA_RETRIES = 3;
/** Delay before a compensation's first retry (it doubles each time), unless `retryDelayMs` says otherwise. */
export const DEFAULT_SAGA_RETRY_DELAY_MS = 100;
/** The longest wait between two attempts of a compensation, however many retries. */
export const MAX_RETRY_DELAY_MS = 30_000;
/** How long one attempt of a compensation may take, unless `compensationTimeoutMs` says otherwise. */
export const DEFAULT_SAGA_COMPENSATION_TIMEOUT_MS = 30_000;
const MAX_RETRIES = 10;
const MAX_COMPENSATION_TIMEOUT_MS = 600_000;

/** Checks {@link SagaOptions} once, at construction: every problem is a GovernanceConfigError naming the field and the fix. */
export function sagaSettings(options: SagaOptions): SagaSettings {
  if (options === null || typeof options !== 'object') throw new GovernanceConfigError('new Saga(options) needs an object: { kernel, name }');
  const kernel = options.kernel as Partial<SagaKernel> | null | undefined;
  if (!kernel || typeof kernel.handle !== 'function' || typeof kernel.record !== 'function' || typeof kernel.confirm !== 'function') {
    throw new GovernanceConfigError('Saga options.kernel must be a Kernel (new Kernel({ policy, audit })): every step is a governed call through it');
  }
  const name = checkName(options.name, 'Saga options.name');
  const agent = options.agent;
  let agentId: string | undefined;
  if (agent !== undefined) {
    agentId = typeof agent === 'string' ? agent : typeof agent?.id === 'string' ? agent.id : undefined;
    if (agentId === undefined) throw new GovernanceConfigError("Saga options.agent must be an agent id or an AgentRef with a string id, e.g. 'billing-bot'");
  }
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new GovernanceConfigError('Saga options.signal must be an AbortSignal (e.g. new AbortController().signal)');
  const compensations = options.compensations === false ? undefined : (options.compensations ?? (agentId === undefined ? undefined : killSwitchOf(kernel)));
  if (compensations !== undefined && typeof (compensations as Partial<CompensationRegistry> | null)?.register !== 'function') {
    throw new GovernanceConfigError('Saga options.compensations must be a compensation registry with register(agentId, name, compensate) (the kill switch\'s)');
  }
  if (compensations !== undefined && agentId === undefined) throw new GovernanceConfigError("Saga options.compensations needs options.agent: the agent whose kill compensates this saga, e.g. agent: 'shop-bot'");
  return {
    kernel: kernel as SagaKernel,
    name,
    agent,
    agentId,
    proof: options.proof,
    retries: integerIn(options.retries, 'retries', 0, MAX_RETRIES, DEFAULT_SAGA_RETRIES),
    retryDelayMs: integerIn(options.retryDelayMs, 'retryDelayMs', 0, MAX_RETRY_DELAY_MS, DEFAULT_SAGA_RETRY_DELAY_MS),
    compensationTimeoutMs: integerIn(options.compensationTimeoutMs, 'compensationTimeoutMs', 1, MAX_COMPENSATION_TIMEOUT_MS, DEFAULT_SAGA_COMPENSATION_TIMEOUT_MS),
    signal,
    compensations,
  };
}

/** The kill switch's registry of a kernel that has one (a Kernel does; a look-alike may not). */
function killSwitchOf(kernel: unknown): CompensationRegistry | undefined {
  const registry = (kernel as { killSwitch?: { compensations?: unknown } }).killSwitch?.compensations;
  return typeof (registry as Partial<CompensationRegistry> | undefined)?.register === 'function' ? (registry as CompensationRegistry) : undefined;
}

/** Checks one step's definition before anything runs. */
export function checkStep(saga: string, name: unknown, step: unknown): asserts step is SagaStep {
  const where = `saga '${saga}' step '${String(name)}'`;
  if (step === null || typeof step !== 'object') throw new GovernanceConfigError(`${where}: the step must be an object { tool, args, run, compensate }`);
  const s = step as Partial<SagaStep>;
  if (typeof s.tool !== 'string' || s.tool.length === 0) throw new GovernanceConfigError(`${where}: 'tool' must name the governed tool the step calls, e.g. 'payments.charge'`);
  if (typeof s.run !== 'function') throw new GovernanceConfigError(`${where}: 'run' must be a function (args, { signal }) => result`);
  if (s.compensate !== undefined && typeof s.compensate !== 'function') {
    throw new GovernanceConfigError(`${where}: 'compensate' must be a function (result, { signal, attempt }) => void, or be left out for a step with nothing to undo`);
  }
  if (s.args !== undefined && (s.args === null || typeof s.args !== 'object' || Array.isArray(s.args))) {
    throw new GovernanceConfigError(`${where}: 'args' must be a JSON object, e.g. { orderId: 'o-1' }`);
  }
}

/** A saga or step name, checked against {@link SAGA_NAME}. */
export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || !SAGA_NAME.test(value)) {
    throw new GovernanceConfigError(`${field} must be 1–64 ASCII letters, digits, '_' or '-' starting with a letter or digit (got ${JSON.stringify(String(value)).slice(0, 80)}), e.g. 'place-order'`);
  }
  return value;
}

function integerIn(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new GovernanceConfigError(`Saga options.${field} must be a whole number from ${min} to ${max} (got ${String(value)}); leave it out for ${fallback}`);
  }
  return value;
}
