import type { PolicyIssue } from '../../core/errors.js';
import type { NormalizedRequest, RuntimeErrorKind, Stage, Verdict } from '../../core/types.js';
import type { EngineCombination } from '../document/schema.js';

/**
 * The contract every policy engine beside the YAML rules (Cedar, Rego in wasm, a remote OPA)
 * keeps: one request in, one {@link EngineOutcome} out, and never a throw. An engine that fails
 * answers with a `failure` outcome, which the evaluator turns into a deny (fail closed).
 *
 * Only the contract lives here, beside compile: the engines themselves (src/policy/engines/) are
 * loaded before compile, with all their file and process I/O, and compile receives them loaded
 * ({@link LoadedEngines}).
 */

/** Which engine decided. `rules` is the document's YAML rules. */
export type EngineKind = 'rules' | 'cedar' | 'rego';

/** A verdict an engine reached, with the rule or policy ids that determined it. */
export interface EngineVerdict {
  ok: true;
  verdict: Exclude<Verdict, 'transform'>;
  /**
   * The Cedar policy ids or Rego rule that determined the verdict, best first. Empty when the
   * engine's default decided (Cedar's implicit deny).
   */
  determinedBy: string[];
  reason: string;
  approvers: string[];
  /** Problems the engine met that did not stop it (Cedar policies that errored and were skipped). */
  errors: string[];
}

/** An engine that could not answer: the decision will be a deny naming `runtime_error:<kind>`. */
export interface EngineFailure {
  ok: false;
  /** e.g. `cedar_error`, `rego_undefined`, `opa_timeout`. */
  kind: RuntimeErrorKind;
  message: string;
}

export type EngineOutcome = EngineVerdict | EngineFailure;

/** An engine that decides in-process, synchronously (Cedar, Rego compiled to wasm). */
export interface LocalEngine {
  readonly kind: Exclude<EngineKind, 'rules'>;
  readonly remote: false;
  /** A short label for decisions and explanations, e.g. `cedar` or `rego:agt/authz/allow`. */
  readonly label: string;
  decide(request: NormalizedRequest): EngineOutcome;
}

/** An engine across the network (a remote OPA server): asynchronous by nature. */
export interface RemoteEngine {
  readonly kind: Exclude<EngineKind, 'rules'>;
  readonly remote: true;
  readonly label: string;
  decideAsync(request: NormalizedRequest): Promise<EngineOutcome>;
  /** Releases kept-alive connections. */
  close(): void;
}

export type DecisionEngine = LocalEngine | RemoteEngine;

/** A document's engines, loaded: Cedar first, then Rego, the order `first_applicable` reads them in. */
export interface DocumentEngines {
  list: DecisionEngine[];
  /** The engines consulted at each point (`points`, default pre_tool only), in list order. */
  byPoint: ReadonlyMap<Stage, readonly DecisionEngine[]>;
  combine: EngineCombination;
  /** SHA-256 digests of every engine's sources (or, for a remote engine, its address). */
  digests: string[];
  remote: boolean;
}

/**
 * What loading one document's `engines` key gave: its engines (null when some failed to load)
 * and the located problems met, which compile reports with the document's own.
 */
export interface LoadedEngines {
  engines: DocumentEngines | null;
  issues: PolicyIssue[];
}

/** A failure outcome. */
export function engineFailure(kind: RuntimeErrorKind, message: string): EngineFailure {
  return { ok: false, kind, message };
}

/** A thrown value as a message (wasm runtimes throw strings too). */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}
