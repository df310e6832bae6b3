import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Decision, NormalizedRequest } from '../core/types.js';
import { identityFailure, type IdentityFailure } from '../identity/failure.js';
import { readSealedHandoff } from '../identity/handoff-fields.js';
import { HandoffOpener, type HandoffOpenOptions } from '../identity/handoff-open.js';
import { isFailure } from '../identity/did-key.js';
import type { IdentityVerifier } from '../identity/verifier.js';
import type { Action, Outcome, Refusal } from './action.js';
import type { ApprovalHandler } from './approvals.js';
import type { TrustScores } from '../identity/trust-scores.js';
import type { ElevationGrantStore } from '../state/elevation-grant-store.js';
import type { TrustScoreStore } from '../state/trust-score-store.js';
import type { Lifecycle } from '../execution/lifecycle/lifecycle.js';
import { Kernel } from './kernel.js';
import type { PolicyInput } from './policy-input.js';

/**
 * The hand-off trust gate with its audit: every hand-off, opened or refused, goes through a
 * {@link Kernel} as one action, so the kernel keeps owning the whole enforcement sequence and a
 * hand-off is recorded and ruled on like any tool call.
 *
 * The translation is a convention, not a new kernel path: a hand-off of task `T` with payload
 * `P` from sender `S` is the action `{ point: 'pre_tool', tool: T, action: 'handoff', args: P }`
 * proven by `{ kind: 'handoff', sealed }`. The gate's kernel runs in zero-trust mode with the
 * gate's opener as its only verifier, so its identity step opens the seal (the agent becomes the
 * verified sender, and the step's own tool-grant check is the chain's cover of the task), then
 * the policy decides with `action.type == 'handoff'` and `tool_name` the task, and the audit
 * entry records the sender's DID, proof kind `handoff`, credential id, delegation digest and the
 * payload's digest (never the payload, a key or a token). The gate builds its kernel itself so
 * that no hand-off can reach a kernel that is not wired to open it.
 */

/** How a {@link HandoffGate} opens, decides and records hand-offs. */
export interface HandoffGateOptions extends HandoffOpenOptions {
  /** The receiver's policy (a path, document or evaluator): hand-offs are decided at pre_tool, `action.type == 'handoff'`. */
  readonly policy: PolicyInput;
  /** Where hand-offs are recorded: an AuditLog (share the receiver's), or false for none. Default: the shared in-memory log. */
  readonly audit?: AuditLog | false;
  /** Values conditions read as `context`. */
  readonly context?: Record<string, unknown>;
  /** Answers a require_approval on a hand-off run through {@link HandoffGate.receive}; without one it denies. */
  readonly approvals?: ApprovalHandler;
  /**
   * Where senders' trust scores live (share the deployment's, e.g. a SqliteTrustScoreStore):
   * what a hand-off's outcome does to its sender's score is kept there, and, unless `trustOf` is
   * given, the `minTrust` check reads the live score from it. Default: a store of this gate's own.
   */
  readonly trustScores?: TrustScoreStore;
  /**
   * Where senders' elevation grants live (share the deployment's): a task whose `tools:` ring the
   * sender's credential does not cover is decided with the sender's live elevation. Default: a
   * store of this gate's own (no elevation).
   */
  readonly elevationGrants?: ElevationGrantStore;
  /** Where senders' lifecycle states are read (share the deployment's): a suspended or terminated sender's hand-off is refused. Default: the gate kernel's own. */
  readonly lifecycle?: Lifecycle | false;
}

/** What {@link HandoffGate.open} answers. */
export type HandoffAnswer =
  | {
      readonly ok: true;
      /** The sender's DID, verified. */
      readonly from: string;
      readonly task: string;
      /** The kernel's frozen copy of the payload, with any transform the policy applied. */
      readonly payload: Readonly<Record<string, unknown>>;
      /** The request as decided: `agent` is the verified sender (ring, roles, trust from its credential). */
      readonly request: NormalizedRequest;
      readonly decision: Decision;
    }
  | { readonly ok: false; readonly refusal: Refusal; readonly decision: Decision };

/** The receiving code, run only for a hand-off that opened and that the policy allows. */
export type ReceiveHandoff<R> = (payload: Readonly<Record<string, unknown>>, handoff: { readonly from: string; readonly task: string }) => R | Promise<R>;

/** Stands in for the task of a hand-off too broken to name one, in the audit entry of its refusal. */
export const UNREADABLE_HANDOFF_TASK = 'handoff';

/**
 * Opens, decides and records sealed hand-offs for one receiving agent.
 *
 * @example
 * const gate = new HandoffGate({ receiver: billing.did, trustedIssuers, replayCache: new MemoryReplayCache(), minTrust: 600, policy, audit });
 * const outcome = await gate.receive(sealed, (payload) => billingAgent.run(payload));
 * if (outcome.kind === 'refused') console.log(outcome.refusal.reason); // identity:replayed: ...
 */
export class HandoffGate {
  /** The kernel every hand-off goes through (zero-trust, hand-off proofs only). */
  readonly kernel: Kernel;
  /** The opener its identity step uses. */
  readonly opener: HandoffOpener;
  readonly #options: HandoffGateOptions;
  /** Why seals the gate could not read were refused, by a one-time token the kernel hands back to the verifier. */
  readonly #unreadable = new Map<string, IdentityFailure>();

  constructor(options: HandoffGateOptions) {
    // Unless the caller reads trust elsewhere, the threshold reads the same live scores this gate's kernel moves.
    const trustOf = options.trustOf ?? ((subject: string, ceiling: number) => (this.kernel.trustScores as TrustScores).scoreOf(subject, ceiling));
    this.opener = new HandoffOpener({ ...options, trustOf });
    this.#options = options;
    const opener = this.opener.proofVerifier();
    const verifier: IdentityVerifier = {
      verify: (proof, facts) => {
        const token = (proof as { unreadable?: unknown } | null)?.unreadable;
        if (token === undefined) return opener.verify(proof, facts);
        // A seal the gate could not read is refused by the kernel (so it is recorded) with the reading's own reason.
        const failure = typeof token === 'string' ? this.#unreadable.get(token) : undefined;
        if (typeof token === 'string') this.#unreadable.delete(token);
        return failure ?? identityFailure('malformed', 'the sealed hand-off could not be read');
      },
    };
    this.kernel = new Kernel({
      policy: options.policy,
      ...(options.audit === undefined ? {} : { audit: options.audit }),
      ...(options.context === undefined ? {} : { context: options.context }),
      ...(options.approvals === undefined ? {} : { approvals: options.approvals }),
      ...(options.lifecycle === undefined ? {} : { lifecycle: options.lifecycle }),
      identity: { mode: 'zero-trust', verifier, ...(options.trustScores ? { trustScores: options.trustScores } : {}), ...(options.clock ? { clock: options.clock } : {}) },
      ...(options.elevationGrants ? { elevation: { grants: options.elevationGrants } } : {}),
    });
  }

  /** The receiving agent's DID. */
  get receiver(): string {
    return this.opener.receiver;
  }

  /**
   * Opens and decides `sealed` (an object or its JSON text) without running anything: the
   * verified sender and the payload to act on, or the recorded refusal. A hand-off the policy
   * holds for approval is refused here (use {@link receive} with an approval handler).
   */
  async open(sealed: unknown): Promise<HandoffAnswer> {
    const action = this.actionOf(sealed);
    const outcome = await this.kernel.handle(action.action);
    if (outcome.kind === 'run') return { ok: true, from: action.from, task: outcome.tool, payload: outcome.args, request: outcome.request, decision: outcome.decision };
    if (outcome.kind === 'approval') {
      const settled = await this.kernel.settle(outcome.id, false, 'a hand-off cannot wait for approval when opened without a run; receive() it with an approval handler');
      return { ok: false, refusal: (settled as { refusal: Refusal }).refusal, decision: settled.decision };
    }
    if (outcome.kind === 'refused') return { ok: false, refusal: outcome.refusal, decision: outcome.decision };
    throw new Error(`unexpected kernel outcome '${outcome.kind}' for a hand-off decided without a run`);
  }

  /**
   * Opens and decides `sealed`, then runs the receiving code with the kernel's checked copy of the
   * payload; its result is decided at post_tool like a tool's. The kernel's outcome comes back:
   * `output`, `failed` (the code threw) or `refused`, whose code never ran.
   */
  async receive<R>(sealed: unknown, run: ReceiveHandoff<R>): Promise<Outcome> {
    const action = this.actionOf(sealed);
    return this.kernel.handle(action.action, (payload) => run(payload, { from: action.from, task: action.task }));
  }

  /** The kernel action a sealed hand-off is: task as tool, payload as arguments, the seal as proof. */
  private actionOf(sealed: unknown): { action: Action; from: string; task: string } {
    const read = readSealedHandoff(sealed, this.#options.bounds);
    if (isFailure(read)) {
      const token = randomUUID();
      this.#unreadable.set(token, read);
      const action: Action = { point: 'pre_tool', tool: UNREADABLE_HANDOFF_TASK, action: 'handoff', proof: { kind: 'handoff', unreadable: token } };
      return { action, from: '', task: UNREADABLE_HANDOFF_TASK };
    }
    const { payload, ...seal } = read;
    return { action: { point: 'pre_tool', tool: read.task, action: 'handoff', args: payload, proof: { kind: 'handoff', sealed: seal } }, from: read.from, task: read.task };
  }
}
