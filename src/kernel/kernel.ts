import { describeError, GovernanceConfigError } from '../core/errors.js';
import { actionIdentity } from '../core/identity.js';
import { systemClock, type Clock } from '../core/clock.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../core/limits.js';
import { snapshotJson } from '../core/snapshot.js';
import type { AgentRef, Decision, GovernanceRequest, NormalizedRequest } from '../core/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PolicyEvaluator, ConflictStrategy } from '../policy/index.js';
import { RateLimiter } from '../reliability/rate-limits.js';
import { refusalOf, type Action, type Cleared, type Failed, type Held, type Outcome, type Passed, type Refused, type RunTool } from './action.js';
import { DEFAULT_APPROVAL_TIMEOUT_MS, requestApproval, type ApprovalHandler } from './approvals.js';
import { bound, snapshotSetting, withAgent, type Bounded, type BoundsDefaults, type Unbounded } from './bounds.js';
import { derive, failed } from './decisions.js';
import type { Guard } from './guards.js';
import { HeldCalls } from './held-calls.js';
import { limitsGuard, policyGuard, runGuards } from './pipeline.js';
import { evaluatorFor, type PolicyInput } from './policy-input.js';
import { applyTransform } from './transform.js';
import { identityDenial, revokedSince, verifyIdentity, type IdentityOutcome, type KernelIdentityOptions } from './identity-step.js';
import { identityReason } from '../identity/failure.js';
import { checkToolRequirements } from './requirements-step.js';
import { checkScanFindings } from './scan-step.js';
import { TrustScores } from '../identity/trust-scores.js';
import type { TrustEvent } from '../identity/trust-score.js';
import { MemoryElevationGrantStore, type ElevationGrant, type ElevationGrantStore } from '../state/elevation-grant-store.js';
import { checkRing, type RingSettings } from './ring-step.js';
import { checkElevationAsk, elevationEventRequest, elevationNote, requestElevation, type ElevationOutcome, type ElevationRequest } from './elevation-step.js';
import { KillSwitch, type KillOptions, type KillReport } from '../execution/kill-switch.js';
import { killRecord, killSwitchDenial, terminatedReason } from '../execution/kill-decisions.js';
import { runTracked } from './tracked-run.js';
import { ApprovalWaits } from './approval-waits.js';
import { killEverywhere, stopInFlightOnKill } from '../execution/kill-on-terminate.js';
import { Lifecycle } from '../execution/lifecycle/lifecycle.js';
import { standingNow } from './standing-step.js';
import { defaultAuditLog } from './default-audit-log.js';

/** How a {@link Kernel} decides, records and enforces. */
export interface KernelOptions {
  /** A policy file or directory path, a PolicyDocument (or plain document object), or an evaluator. */
  policy: PolicyInput;
  /** Where decisions are recorded: an AuditLog, or false for none. Default: the shared in-memory log. */
  audit?: AuditLog | false;
  /** The agent on whose behalf actions are taken, unless an action names its own. */
  agent?: AgentRef | string;
  /** Free-form values conditions can read as `context`; an action's own context is merged over it. */
  context?: Record<string, unknown>;
  /** Answers require_approval when the kernel runs the whole path. Without one, require_approval denies there. */
  approvals?: ApprovalHandler;
  /** How long `approvals` may take; default 5 minutes. A timeout denies. */
  approvalTimeoutMs?: number;
  /** Conflict strategy when the kernel builds the evaluator (not with a ready evaluator). */
  conflictStrategy?: ConflictStrategy;
  /** Where rate-limit windows are counted; default an in-memory limiter of this kernel's own. */
  rateLimiter?: RateLimiter;
  /**
   * Guards run before the policy step, in order (identity, standing, ring, screening belong
   * here). The policy and rate-limit steps always run after them.
   */
  guards?: readonly Guard[];
  /** Bounds on every request; default 1 MiB of canonical JSON, 64 levels deep. */
  limits?: RequestLimits;
  /**
   * How agents are identified (the identity step, before every guard). Absent: agents are who
   * the caller says they are, as before. With it, an action's `proof` is verified and the
   * request's `agent` is built from what it proves; in `zero-trust` mode every action needs one.
   */
  identity?: KernelIdentityOptions;
  /**
   * Where elevation grants live (the ring guard reads them; {@link Kernel.requestElevation}
   * writes them): default a memory store of this kernel's own. A `SqliteElevationGrantStore` on
   * the deployment's state file shares them with every process on the machine.
   */
  elevation?: { grants?: ElevationGrantStore; clock?: Clock };
  /**
   * The kill switch this kernel's calls answer to: share one between kernels (a Governance does)
   * so that a kill stops the agent's calls through all of them. Default: one of its own.
   */
  killSwitch?: KillSwitch;
  /**
   * Where agents' lifecycle states are read (the standing guard, first of the guards). Default:
   * a memory lifecycle of this kernel's own (`kernel.lifecycle.kill(id)`); a Governance passes
   * its deployment's, shared by every process. false: no standing guard.
   */
  lifecycle?: Lifecycle | false;
}

/** How {@link Kernel.handle} treats a call decided now and run later. */
export interface HandleOptions {
  /** Keep a cleared or refused decision under the call id for the run that follows. */
  hold?: boolean;
  /** The framework's own approval flag is set: hold a call the policy lets through for a human, with this reason. */
  ask?: string;
  /** The framework's own AbortSignal for the call (with `run`): the tool's signal aborts on it or on a kill. */
  signal?: AbortSignal;
}

/** What the policy step hands enforcement: the recorded decision and the subject it enforces. */
interface Decided {
  decision: Decision;
  /** The subject after the decision's transform (the bounded subject when there is none). */
  enforced: unknown;
}

/**
 * The one place that enforces. {@link handle} takes an action from request to outcome: bound and
 * copy it, run the guards (yours, then policy, then rate limits), record the decision, hold it
 * for approval, apply the transform, run the tool with the checked copy, decide its output, record
 * that. govern() and every framework adapter only translate to and from it. Nothing here throws
 * for a bad action or a failing guard, engine or store: each becomes a recorded denial.
 *
 * @example
 * const kernel = new Kernel({ policy: 'policy.yaml', audit });
 * const outcome = await kernel.handle({ tool: 'db', args: { action: 'read' } }, (args) => db(args));
 * if (outcome.kind === 'refused') console.log(outcome.refusal.message);
 */
export class Kernel {
  readonly evaluator: PolicyEvaluator;
  readonly audit: AuditLog | null;
  /** Approvals waiting for a human and decisions waiting for their run (decide-now-run-later). */
  readonly held = new HeldCalls();
  private readonly defaults: BoundsDefaults;
  private readonly guards: readonly Guard[];
  private readonly approvals: ApprovalHandler | undefined;
  private readonly approvalTimeoutMs: number;
  /** Approvals being asked of the handler now: a kill answers its agent's with a denial at once. */
  private readonly approvalWaits = new ApprovalWaits();
  private readonly checksOutput: boolean;
  private readonly identity: KernelIdentityOptions | undefined;
  /**
   * Live trust scores of the agents this kernel verified (with `options.identity`; null
   * without): read on every call as the request's `agent.trust`, moved by what the kernel sees.
   */
  readonly trustScores: TrustScores | null;
  /** Live elevation grants: what lets an agent act at a more privileged ring for a while. */
  readonly elevationGrants: ElevationGrantStore;
  private readonly rings: RingSettings;
  /** Its agents' calls in flight, their compensations, and which agents were killed (see {@link kill}). */
  readonly killSwitch: KillSwitch;
  /** Agents' lifecycle states this kernel's standing guard reads (null with `lifecycle: false`). */
  readonly lifecycle: Lifecycle | null;

  constructor(options: KernelOptions) {
    if (!options || options.policy === undefined || options.policy === null) throw new GovernanceConfigError('the kernel needs options.policy: a policy path, document or evaluator');
    this.evaluator = evaluatorFor(options.policy, options.conflictStrategy);
    this.audit = options.audit === false ? null : (options.audit ?? defaultAuditLog());
    const limits = options.limits ?? DEFAULT_REQUEST_LIMITS;
    this.defaults = { agent: snapshotSetting(options.agent, 'agent', limits), context: snapshotSetting(options.context, 'context', limits), limits };
    this.killSwitch = options.killSwitch ?? new KillSwitch();
    this.killSwitch.attach(this);
    this.lifecycle = options.lifecycle === false ? null : (options.lifecycle ?? new Lifecycle({ audit: this.audit, ...(options.approvals ? { approvals: options.approvals } : {}) }));
    // A kill the lifecycle sees (from any process) stops what this kernel's kill switch runs.
    if (this.lifecycle) stopInFlightOnKill(this.lifecycle, this.killSwitch, (report) => this.recordKill(report));
    // The standing step is not among these: it runs first, in guard(), before the ring step.
    this.guards = [...(options.guards ?? []), policyGuard(this.evaluator), limitsGuard(this.evaluator, options.rateLimiter ?? new RateLimiter())];
    this.approvals = options.approvals;
    this.approvalTimeoutMs = options.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    this.checksOutput = this.evaluator.hasRulesFor('post_tool');
    this.identity = identitySettings(options.identity);
    this.trustScores = this.identity ? new TrustScores({ ...(this.identity.trustScores ? { store: this.identity.trustScores } : {}), ...(this.identity.clock ? { clock: this.identity.clock } : {}) }) : null;
    this.elevationGrants = options.elevation?.grants ?? new MemoryElevationGrantStore();
    const ringClock = options.elevation?.clock ?? this.identity?.clock ?? systemClock;
    this.rings = { grants: this.elevationGrants, clock: ringClock, breach: (subject) => this.noteBreach(subject), sweep: () => this.sweepElevations() };
  }

  /**
   * Asks for a time-boxed elevation to a more privileged ring: decided through {@link handle} as
   * the tool call `agt.elevate` (so the policy can deny it and it is recorded), then always put
   * to the approval handler for a human. Default 5 minutes, at most 1 hour, one ring above the
   * agent's own, never ring 0, and never above an agent that delegated to it. Never rejects.
   *
   * @example
   * const outcome = await kernel.requestElevation({ proof, ring: 1, durationMs: 10 * 60_000, reason: 'rotate the prod key' });
   * if (!outcome.granted) console.log(outcome.reason);
   */
  requestElevation(request: ElevationRequest): Promise<ElevationOutcome> {
    return requestElevation(this, this.rings, request);
  }

  /**
   * Ends grant `grantId` now (recorded). Returns the grant as revoked, or null when no live grant
   * has that id. Throws when the grant store cannot be written (the grant then still stands).
   */
  revokeElevation(grantId: string, reason = 'revoked'): ElevationGrant | null {
    const now = this.rings.clock();
    const revoked = this.elevationGrants.revoke(grantId, now);
    if (!revoked) return null;
    this.record(elevationEventRequest(revoked, 'revoked'), elevationNote(`elevation:revoked: ring ${revoked.ring} grant ${revoked.id} ended early: ${reason.slice(0, 200)}`, this.evaluator.revision));
    return revoked;
  }

  /** The elevation grants live now (ended ones are recorded as they are found). Throws when the store cannot be read. */
  elevations(): readonly ElevationGrant[] {
    this.sweepElevations();
    return this.elevationGrants.live(this.rings.clock());
  }

  /**
   * Reports a trust event for an agent this kernel verified (by its subject, the request's
   * `agent.id`): later guards (a ring breach, a screening hit) lower its score through this.
   * Losses are persisted at once. Returns the score after the event, or null when the kernel has
   * no identity or never verified `subject` (an unverified name moves no score).
   */
  trustEvent(subject: string, event: TrustEvent): number | null {
    return this.trustScores?.record(subject, event) ?? null;
  }

  /** Whether the policy has anything to say at a point (callers skip points nobody governs; tool calls are always decided). */
  decides(point: NormalizedRequest['stage']): boolean {
    return point === 'pre_tool' || this.evaluator.hasRulesFor(point);
  }

  /**
   * Takes one action from request to outcome. With `run`, the kernel owns the whole path: a
   * require_approval is put to the configured approval handler, the tool runs with the checked
   * copy of the arguments, and its result is decided at post_tool. Without `run` (a framework that
   * runs the tool itself), a cleared call comes back as `run` with the arguments to run it with,
   * and a require_approval as `approval`, held under the call id until {@link settle}.
   * A call with a `callId` first spends any decision held for that id and tool. With `hold`, a
   * decision made now (cleared or refused) is kept under the call id for the run that follows
   * (a framework that asks "does this need approval?" before it runs the tool); asking again
   * with `hold` finds the same decision and keeps it held. With `ask` (the framework's own
   * approval flag, e.g. a tool's `needsApproval: true`), a call the policy lets through is held
   * for a human all the same, recorded as require_approval with `ask` as the reason: the
   * developer's check and the policy combine, and either one asks.
   */
  async handle(action: Action, run?: RunTool, options: HandleOptions = {}): Promise<Outcome> {
    let bounded = bound(action, this.defaults);
    const callId = typeof action.callId === 'string' ? action.callId : undefined;
    if (!bounded.ok) return this.refuseUnbounded(bounded, callId, options.hold === true && !run);
    const provenBefore = this.identity && callId !== undefined ? this.provenWhenHeld(callId, bounded) : null;
    if (provenBefore) {
      // Proven when it was decided, and revoked since? The run is refused, and the decision spent.
      const revoked = revokedSince(this.identity as KernelIdentityOptions, provenBefore.request.agent);
      if (revoked) {
        this.held.take(callId as string, provenBefore.request.tool_name ?? '');
        const refused = this.finish(provenBefore, identityDenial(revoked, provenBefore.request.stage, this.evaluator.revision, provenBefore.identity)).decision;
        return this.refuse(refused, provenBefore.request);
      }
      bounded = provenBefore;
    } else if (this.identity) {
      const proving = this.prove(bounded);
      const proven = proving instanceof Promise ? await proving : proving;
      if (!proven.ok) {
        const refused = this.finish(bounded, proven.decision).decision;
        if (options.hold && callId !== undefined && !run) this.held.hold(callId, { tool: bounded.request.tool_name ?? '', decision: refused, inputIdentity: bounded.inputIdentity, approved: false });
        return this.refuse(refused, bounded.request);
      }
      bounded = proven.bounded;
    }
    const request = bounded.request;
    const tool = request.tool_name ?? '';
    if (callId !== undefined && request.stage === 'pre_tool') {
      const held = options.hold && !run ? this.held.peek(callId) : undefined;
      const spent = await this.spendHeld(callId, bounded);
      if (spent) {
        if (held) this.held.hold(callId, held); // asked again before the run: still held for it
        return spent.kind === 'run' && run ? this.runCleared(spent, run, options.signal, callId) : spent;
      }
    }
    const now = this.decideNow(bounded);
    let decided = now instanceof Promise ? await now : now;
    if (run && decided.decision.allowed && decided.enforced === bounded.subject && request.stage === 'pre_tool') {
      // The common case, kept free of extra promise hops: cleared, untransformed, run by the kernel.
      const committed = this.confirm(decided.decision);
      const decision = committed instanceof Promise ? await committed : committed;
      if (!decision.allowed) return this.refuse(decision, request);
      return this.runCleared({ kind: 'run', tool, args: request.args, request, decision }, run, options.signal, callId);
    }
    if (options.ask !== undefined && !run && request.stage === 'pre_tool' && decided.decision.allowed) {
      decided = { decision: this.record(request, derive(decided.decision, 'require_approval', options.ask)), enforced: decided.enforced };
    }
    if (decided.decision.verdict === 'require_approval') {
      if (!run && request.stage === 'pre_tool') {
        const held: Held = { kind: 'approval', id: callId ?? crypto.randomUUID(), tool, args: request.args, request, decision: decided.decision };
        this.held.wait(held);
        await this.settled();
        return held;
      }
      decided = await this.askHandler(bounded, decided);
    }
    const outcome = await this.enforce(request, decided);
    if (options.hold && callId !== undefined && !run && (outcome.kind === 'run' || outcome.kind === 'refused')) {
      this.held.hold(callId, { tool, decision: outcome.decision, inputIdentity: bounded.inputIdentity, approved: false, ...(this.identity ? { agent: request.agent } : {}) });
    }
    if (outcome.kind !== 'run' || !run) return outcome;
    return this.runCleared(outcome, run, options.signal, callId);
  }

  /**
   * Records a human's answer to a held approval. Approved, the call is cleared with exactly the
   * arguments that were checked (and transformed); either way the outcome is held under the call
   * id for the framework's run. An id with no approval waiting is a recorded refusal.
   */
  async settle(id: string, approved: boolean, reason?: string): Promise<Cleared | Refused> {
    const held = this.held.takeWaiting(id);
    if (!held) {
      const request = bound({}, this.defaults).request;
      // Already answered with a refusal (a kill rejected it, or a human denied it): that answer stands, and says why.
      const answered = typeof id === 'string' ? this.held.peek(id) : undefined;
      if (answered && !answered.decision.allowed && !answered.withheld) return this.refuse(answered.decision, request);
      return this.refuse(this.record(request, failed('invalid_request', `no approval is pending for call '${String(id)}'`, 'pre_tool', this.evaluator.revision)), request);
    }
    const who = held.decision.approvers.length ? ` (approvers: ${held.decision.approvers.join(', ')})` : '';
    const why = reason ?? (approved ? `approved${who}` : `approval denied${who}`);
    // Revoked while the call waited for its human: the approval cannot clear it.
    const revoked = approved && this.identity && held.decision.identity ? revokedSince(this.identity, held.request.agent) : null;
    // Suspended, quarantined or killed while the call waited: the approval cannot clear it either.
    const stopped = approved && !revoked ? this.standingNow(held.request) : undefined;
    const answer = this.record(held.request, revoked ? derive(held.decision, 'deny', identityReason(revoked)) : stopped ? derive(held.decision, 'deny', stopped.reason) : derive(held.decision, approved ? 'allow' : 'deny', why));
    const inputIdentity = held.decision.inputIdentity ?? '';
    const outcome = answer.allowed ? ((await this.enforceAgain(held.request, held.args, answer)) as Cleared | Refused) : await this.refuse(answer, held.request);
    // Held for the framework's run either way: it runs what was approved, or reads the refusal.
    this.held.hold(id, { tool: held.tool, decision: outcome.decision, inputIdentity, approved: outcome.kind === 'run', ...(this.identity ? { agent: held.request.agent } : {}) });
    return outcome;
  }

  /**
   * Whether call `callId` was approved by a human and waits for its run with these very
   * arguments (a framework that asks again before running an approved call gets its yes without
   * a new decision).
   */
  wasApproved(action: Action & { callId: string }): boolean {
    const held = this.held.peek(action.callId);
    if (!held?.approved) return false;
    const bounded = bound(action, this.defaults);
    if (!bounded.ok) return false;
    // With identity, the approved call is the one proven when it was decided: read as that agent.
    if (this.identity) return this.provenWhenHeld(action.callId, bounded) !== null;
    return bounded.request.tool_name === held.tool && bounded.inputIdentity === held.inputIdentity;
  }

  /**
   * Refuses, in advance, the run of tool call `callId` with a recorded refusal: for the tool calls
   * of a model answer the policy stopped (post_model_call), which a framework may still try to
   * run. The run is refused whatever tool and arguments it presents, once.
   */
  withhold(callId: string, refusal: Decision): void {
    if (refusal.allowed) return;
    this.held.hold(callId, { tool: '', decision: refusal, inputIdentity: '', approved: false, withheld: true });
  }

  /** Puts a held approval to the configured approval handler and records its answer (deny without one, or on timeout). */
  async ask(held: Held): Promise<Cleared | Refused> {
    const asking = requestApproval(this.approvals, held.request, held.decision, this.approvalTimeoutMs);
    const outcome = await this.approvalWaits.wait(actingAgentOf(held.request, held.decision), held.id, asking);
    if (outcome.killed) {
      // The kill settled the approval as denied and held that refusal for the call: answer with it.
      const refused = this.held.take(held.id, held.tool);
      if (refused && !refused.decision.allowed) return this.refuse(refused.decision, held.request);
    }
    const settled = await this.settle(held.id, outcome.approved, outcome.reason);
    this.held.take(held.id, held.tool);
    return settled;
  }

  /**
   * Decides a tool's result (post_tool) for a call cleared earlier: a deny withholds it, a
   * transform redacts a copy. Without post_tool rules the result passes untouched, unrecorded.
   */
  async checkOutput(cleared: Cleared, output: unknown): Promise<Passed | Refused> {
    if (!this.checksOutput) return { kind: 'output', output, decision: cleared.decision };
    const bounded = this.boundOutput(cleared, output);
    if (!bounded.ok) return this.refuse(this.record(bounded.request, failed('invalid_request', `the tool's result cannot be inspected, so it is withheld: ${bounded.message}`, 'post_tool', this.evaluator.revision)), bounded.request);
    let decided = await this.decideNow(bounded);
    if (decided.decision.verdict === 'require_approval') decided = await this.askHandler(bounded, decided);
    return (await this.enforce(bounded.request, decided)) as Passed | Refused;
  }

  /**
   * Decides what a cleared tool threw, as its output `{ error: { name, message } }` at post_tool,
   * and records it, whether or not the policy has post_tool rules: the failure is in the audit log,
   * and its text reaches the caller only as the policy lets it through (a deny withholds it, a
   * redaction rewrites `error.message`). For a framework that runs the tool itself.
   */
  async checkFailure(cleared: Cleared, thrown: unknown): Promise<Failed | Refused> {
    const error = { name: errorNameOf(thrown), message: describeError(thrown) };
    const subject = cleared.decision.identity?.subject;
    if (subject !== undefined && cleared.request.stage === 'pre_tool') {
      try {
        this.trustScores?.record(subject, 'failed');
      } catch {
        // Counted in this process's reads; retried with the next write.
      }
    }
    const bounded = this.boundOutput(cleared, { error });
    if (!bounded.ok) return this.refuse(this.record(bounded.request, failed('invalid_request', `the tool threw, and what it threw cannot be inspected: ${bounded.message}`, 'post_tool', this.evaluator.revision)), bounded.request);
    const guarded = await this.guard(bounded);
    // The entry says the tool failed, whatever the policy made of its error.
    const noted = derive(guarded, guarded.verdict, `the tool threw ${error.name}; ${guarded.reason}`);
    let decided = this.finish(bounded, noted);
    if (decided.decision.verdict === 'require_approval') decided = await this.askHandler(bounded, decided);
    const outcome = await this.enforce(bounded.request, decided);
    if (outcome.kind !== 'output') return outcome as Refused;
    return { kind: 'failed', error: errorOf(outcome.output, error), decision: outcome.decision };
  }

  /**
   * Runs a cleared call's tool as a call in flight (see {@link kill}) and decides its result
   * (post_tool) or what it threw. For an adapter whose framework hands the tool its own
   * AbortSignal: pass it as `signal`, and the tool's signal aborts on either. The call of an
   * agent killed before the run never starts; one killed while it runs is refused at once with
   * `lifecycle:terminated`, and its result, whenever it comes, is discarded.
   */
  async runCleared(cleared: Cleared, run: RunTool, signal?: AbortSignal, callId?: string): Promise<Passed | Failed | Refused> {
    const agentId = actingAgentOf(cleared.request, cleared.decision);
    if (this.killSwitch.isKilled(agentId)) return this.terminated(cleared, agentId, false);
    const ran = await runTracked(this.killSwitch.inFlight, { agentId, tool: cleared.tool, callId }, cleared.args, run, signal);
    // A kill that lands after the tool returned still withholds its result: the agent is stopped.
    if (ran.kind === 'terminated' || this.killSwitch.isKilled(agentId)) return this.terminated(cleared, agentId, true);
    if (ran.kind === 'threw') return this.checkFailure(cleared, ran.thrown);
    return this.checksOutput ? this.checkOutput(cleared, ran.value) : { kind: 'output', output: ran.value, decision: cleared.decision };
  }

  /**
   * Kills agent `agentId` through this kernel's kill switch: denies its further calls, aborts
   * its calls in flight, rejects its pending approvals, runs its compensations, and records the
   * kill with its report in the audit log. See {@link KillSwitch.kill} and docs/kill-switch.md.
   *
   * @example
   * const report = await kernel.kill('agent-7', { reason: 'exfiltration suspected', by: 'oncall' });
   * if (!report.terminated) console.error('still running:', report.stillRunning);
   */
  kill(agentId: string, options: KillOptions = {}): Promise<KillReport> {
    return killEverywhere(this.lifecycle, agentId, options, () => this.killSwitch.kill(agentId, options, (report) => this.recordKill(report)));
  }

  /** Records a kill's report (a record that fails is a report that is not terminated: nothing unaudited passes as done). */
  recordKill(report: KillReport): void {
    const request = bound({ point: 'agent_shutdown', agent: report.agentId, action: 'kill' }, this.defaults).request;
    const recorded = this.record(request, killRecord(report, this.evaluator.revision));
    if (recorded.reason.startsWith('runtime_error:audit')) report.terminated = false;
  }

  /**
   * Settles as denied every approval waiting for a human that `agentId` asked for (a kill does
   * this): the refusal is held under each call id, so a human's later "yes" finds nothing to
   * approve; an approval the kernel is asking its handler for is answered "denied" at once.
   */
  async rejectApprovalsOf(agentId: string, reason: string): Promise<{ rejected: number; failed: number }> {
    let rejected = 0;
    let failedCount = 0;
    const settled = new Set<string>();
    for (const held of this.held.waitingCalls()) {
      if (actingAgentOf(held.request, held.decision) !== agentId) continue;
      const answer = await this.settle(held.id, false, `agent killed: ${reason}`);
      settled.add(held.id);
      if (answer.kind === 'refused') rejected++;
      else failedCount++;
    }
    // Then the ones being put to the approval handler now (those also held were counted above).
    rejected += this.approvalWaits.rejectAll(agentId, reason, settled);
    return { rejected, failed: failedCount };
  }

  /** The refusal of a killed agent's call: recorded at post_tool when the tool had started. */
  private terminated(cleared: Cleared, agentId: string, ran: boolean): Promise<Refused> {
    const denial = killSwitchDenial(terminatedReason(agentId, ran), ran ? 'post_tool' : 'pre_tool', this.evaluator.revision);
    denial.inputIdentity = cleared.decision.inputIdentity;
    denial.enforcedIdentity = cleared.decision.enforcedIdentity;
    if (cleared.decision.identity) denial.identity = cleared.decision.identity;
    return this.refuse(this.record(cleared.request, denial), cleared.request);
  }

  /**
   * Decides and records one request without enforcing it (no approval, no transform applied):
   * what `agt policy eval` and dashboards need. Synchronous; a policy with remote engines or an
   * asynchronous guard needs {@link decideAsync}, and is denied here.
   */
  decide(request: GovernanceRequest, options: DecideOptions = {}): Decision {
    let bounded = this.boundRequest(request, options.proof);
    if (!bounded.ok) return this.record(bounded.request, failed('invalid_request', bounded.message, bounded.request.stage, this.evaluator.revision));
    if (this.identity) {
      const proven = this.prove(bounded);
      if (proven instanceof Promise) {
        proven.catch(() => undefined);
        return this.record(bounded.request, failed('guard', 'the identity verifier answers asynchronously; use decideAsync()', bounded.request.stage, this.evaluator.revision));
      }
      if (!proven.ok) return this.finish(bounded, proven.decision).decision;
      bounded = proven.bounded;
    }
    const guarded = this.guard(bounded);
    if (guarded instanceof Promise) {
      // Not finished (so not recorded): the one decision recorded for this request is the denial.
      guarded.catch(() => undefined);
      return this.record(bounded.request, failed('guard', 'a guard or policy engine answers asynchronously; use decideAsync()', bounded.request.stage, this.evaluator.revision));
    }
    return this.finish(bounded, guarded).decision;
  }

  /** {@link decide}, waiting for remote engines and asynchronous guards. Never rejects. */
  async decideAsync(request: GovernanceRequest, options: DecideOptions = {}): Promise<Decision> {
    let bounded = this.boundRequest(request, options.proof);
    if (!bounded.ok) return this.record(bounded.request, failed('invalid_request', bounded.message, bounded.request.stage, this.evaluator.revision));
    if (this.identity) {
      const proven = await this.prove(bounded);
      if (!proven.ok) return this.finish(bounded, proven.decision).decision;
      bounded = proven.bounded;
    }
    return (await this.decideNow(bounded)).decision;
  }

  /** Records a decision; if the audit log cannot take the entry, the decision becomes a deny (nothing unaudited goes ahead). */
  record(request: GovernanceRequest | NormalizedRequest, decision: Decision): Decision {
    if (!this.audit) return decision;
    try {
      this.audit.append({ request, decision });
      return decision;
    } catch (error) {
      return derive(decision, 'deny', `runtime_error:audit: the audit log rejected the entry: ${describeError(error)}`);
    }
  }

  /** The decision once its audit entry is durable: unchanged, or a deny if the store failed to commit it. */
  confirm(decision: Decision): Decision | Promise<Decision> {
    const pending = this.audit?.durable();
    if (!pending) return decision;
    return pending.then(
      () => decision,
      (error: unknown) => derive(decision, 'deny', `runtime_error:audit: the audit store could not commit the entry: ${describeError(error)}`),
    );
  }

  /** The identity step: the bounded action with its verified agent, or its denial. Never rejects. */
  private prove(bounded: Bounded): IdentityOutcome | Promise<IdentityOutcome> {
    const settings = this.identity as KernelIdentityOptions;
    return verifyIdentity(bounded, settings, settings.clock ?? systemClock, this.evaluator.revision, this.trustScores);
  }

  private boundRequest(request: GovernanceRequest, proof?: unknown): ReturnType<typeof bound> {
    let action: Action;
    try {
      const r = request ?? {};
      const actionField = typeof r.action === 'string' ? r.action : r.action?.type;
      action = {
        ...(r.stage !== undefined ? { point: r.stage } : {}),
        ...(r.tool_name !== undefined ? { tool: r.tool_name } : {}),
        ...(r.args !== undefined ? { args: r.args } : {}),
        ...(actionField !== undefined ? { action: actionField as string } : {}),
        ...(r.agent !== undefined ? { agent: r.agent as AgentRef } : {}),
        ...(r.context !== undefined ? { context: r.context } : {}),
        ...(proof !== undefined ? { proof } : {}),
      };
      const stage = r.stage;
      const content = stage === 'post_tool' || stage === 'post_tool_call' || stage === 'post_model_call' || stage === 'pre_output' || stage === 'output' ? r.output : r.input;
      if (content !== undefined) action.content = content;
    } catch {
      action = { args: Symbol('unreadable') };
    }
    return bound(action, this.defaults);
  }

  /** The post_tool request for a cleared call's result (or what it threw): the same tool, arguments, action, agent and context. */
  private boundOutput(cleared: Cleared, content: unknown): ReturnType<typeof bound> {
    const type = actionTypeOf(cleared.request);
    const bounded = bound({ point: 'post_tool', tool: cleared.tool, args: cleared.args, ...(type === undefined ? {} : { action: type }), agent: cleared.request.agent as AgentRef, context: cleared.request.context, content }, this.defaults);
    // The output of a call already proven is the same agent's: its verified identity carries over.
    const identity = cleared.decision.identity;
    if (bounded.ok && identity) bounded.identity = identity;
    return bounded;
  }

  /** Guards, identities, record: the decision as enforcement will see it. */
  private decideNow(bounded: Bounded): Decided | Promise<Decided> {
    const result = this.guard(bounded);
    return result instanceof Promise ? result.then((d) => this.finish(bounded, d)) : this.finish(bounded, result);
  }

  /** The guards' decision (yours, then policy, then limits), not yet stamped or recorded. */
  private guard(bounded: Bounded): Decision | Promise<Decision> {
    const stopped = this.standingNow(bounded.request, bounded.agentId);
    if (stopped) return stopped;
    const verified = bounded.identity !== undefined;
    const outranked = checkRing(bounded.request, verified, this.evaluator, this.rings) ?? checkElevationAsk(bounded.request, verified, this.rings, this.evaluator.revision);
    if (outranked) return outranked;
    const unmet = checkToolRequirements(bounded, this.evaluator) ?? checkScanFindings(bounded.request, this.evaluator);
    if (unmet) return unmet;
    const context = { request: bounded.request, agentId: bounded.agentId, decision: null };
    return runGuards(this.guards, context, bounded.request.stage, this.evaluator.revision);
  }

  /** Stamps the identities on a fresh decision (applying its transform to learn the enforced one) and records it. */
  private finish(bounded: Bounded, decision: Decision): Decided {
    decision.inputIdentity = bounded.inputIdentity;
    decision.enforcedIdentity = bounded.inputIdentity;
    if (bounded.identity) decision.identity = bounded.identity;
    let enforced = bounded.subject;
    if (decision.transform && (decision.allowed || decision.verdict === 'require_approval')) {
      const rewritten = this.rewrite(bounded.subject, decision);
      if (rewritten.ok) {
        enforced = rewritten.value;
        decision.enforcedIdentity = actionIdentity({ stage: decision.stage, tool: bounded.request.tool_name, action: actionTypeOf(bounded.request) ?? null, agent: bounded.agentId, subject: enforced });
      } else {
        decision = derive(decision, 'deny', `runtime_error:transform: ${rewritten.message}`);
      }
    }
    const recorded = this.record(bounded.request, decision);
    if (this.trustScores && bounded.identity && recorded.stage === 'pre_tool') this.noteTrust(bounded.identity.subject, recorded);
    return { decision: recorded, enforced };
  }

  /**
   * A proven call's decision moves its agent's score: allowed +1, a policy's deny -10 (the
   * requirements step's and the rate limit's denials are not misbehaviour, and move nothing).
   */
  private noteTrust(subject: string, decision: Decision): void {
    const event: TrustEvent | null = decision.allowed ? 'allowed' : decision.verdict === 'deny' && decision.diagnostics.step === 'policy' ? 'denied' : null;
    if (event === null) return;
    try {
      this.trustScores?.record(subject, event);
    } catch {
      // Not written: the event still counts in this process's reads and is retried with the next write.
    }
  }

  /** A verified agent called a tool above its ring: an escalation attempt lowers its trust score. */
  private noteBreach(subject: string): void {
    try {
      this.trustEvent(subject, 'ring_breach');
    } catch {
      // Not written: the loss still counts in this process's reads and is retried with the next write.
    }
  }

  /** Records the expiry of every grant that ended by itself since any process last looked (each once). */
  private sweepElevations(): void {
    let expired: readonly ElevationGrant[];
    try {
      expired = this.elevationGrants.claimExpired(this.rings.clock());
    } catch {
      return; // the store is unreadable: the guard that asked denies on its own read
    }
    for (const grant of expired) {
      this.record(elevationEventRequest(grant, 'expired'), elevationNote(`elevation:expired: ring ${grant.ring} grant ${grant.id} ended at ${new Date(grant.expiresAt).toISOString()}`, this.evaluator.revision));
    }
  }

  /** Enforces a recorded decision: refused, or passed on (with the enforced subject) once its entry is durable. */
  private async enforce(request: NormalizedRequest, decided: Decided): Promise<Outcome> {
    let decision = decided.decision;
    if (!decision.allowed) return this.refuse(decision, request);
    decision = await this.confirm(decision);
    if (!decision.allowed) return this.refuse(decision, request);
    if (request.stage !== 'pre_tool') return { kind: 'output', output: decided.enforced, decision };
    // A decision made before the kill (held, or approved by a human since) does not outlive it.
    const agentId = actingAgentOf(request, decision);
    if (this.killSwitch.isKilled(agentId)) return this.refuse(this.record(request, derive(decision, 'deny', terminatedReason(agentId, false))), request);
    return { kind: 'run', tool: request.tool_name ?? '', args: decided.enforced as Readonly<Record<string, unknown>>, request, decision };
  }

  /**
   * Enforces a decision made earlier (an approval's answer, a held decision) on a subject read
   * again: the transform is re-applied, and what would run must hash to the decision's enforced
   * identity, or the call is denied. This is what binds an approval to what was approved.
   */
  private enforceAgain(request: NormalizedRequest, subject: unknown, decision: Decision): Promise<Outcome> {
    // Decided earlier: an elevation the call relied on may have ended since.
    const outranked = checkRing(request, decision.identity !== undefined, this.evaluator, this.rings, true);
    if (outranked) return this.refuse(this.record(request, { ...derive(decision, 'deny', outranked.reason), diagnostics: outranked.diagnostics }), request);
    const enforced = this.transformed(subject, decision);
    const identity = enforced.ok ? actionIdentity({ stage: decision.stage, tool: request.tool_name, action: actionTypeOf(request) ?? null, agent: agentIdOf(request), subject: enforced.value }) : null;
    if (identity === null || identity !== decision.enforcedIdentity) {
      return this.refuse(this.record(request, derive(decision, 'deny', 'runtime_error:identity_mismatch: what would run does not hash to what was decided and approved')), request);
    }
    return this.enforce(request, { decision, enforced: enforced.ok ? enforced.value : subject });
  }

  /**
   * An action the bounds step refused. A refusal already held for the call is spent rather than
   * decided (and recorded) twice; with `hold`, this one is kept for the run that follows.
   */
  private async refuseUnbounded(bounded: Unbounded, callId: string | undefined, hold: boolean): Promise<Refused> {
    const tool = bounded.request.tool_name ?? '';
    if (callId !== undefined) {
      const held = this.held.take(callId, tool);
      if (held && !held.decision.allowed) return this.refuse(held.decision, bounded.request);
    }
    const decision = this.record(bounded.request, failed('invalid_request', bounded.message, bounded.request.stage, this.evaluator.revision));
    if (hold && callId !== undefined) this.held.hold(callId, { tool, decision, inputIdentity: '', approved: false });
    return this.refuse(decision, bounded.request);
  }

  /** A decision held for this call and tool, spent: the run must present the very arguments it was made on. */
  /**
   * The action as the call held under `callId` was proven (its verified agent), when it is that
   * very call (same tool, arguments and agent): the run of a call decided ahead is the call that
   * was proven, so it is not proven again (a signed envelope's nonce is spent once). Anything
   * else, and an action that asserts identity facts itself, is proven afresh.
   */
  private provenWhenHeld(callId: string, bounded: Bounded & { ok: true }): Bounded | null {
    if (bounded.request.stage !== 'pre_tool') return null;
    const held = this.held.peek(callId);
    const agent = held?.agent;
    if (!held || agent === undefined || held.tool !== (bounded.request.tool_name ?? '')) return null;
    const asserted = bounded.request.agent;
    if (asserted.ring !== undefined || asserted.roles !== undefined || asserted.trust !== undefined) return null;
    const proven = withAgent(bounded, agent, String(agent.id));
    // Only the very call that was proven: other arguments (or another agent) are proven afresh.
    if (proven.inputIdentity !== held.inputIdentity) return null;
    if (held.decision.identity) proven.identity = held.decision.identity;
    return proven;
  }

  private async spendHeld(callId: string, bounded: Bounded): Promise<Cleared | Refused | null> {
    const held = this.held.take(callId, bounded.request.tool_name ?? '');
    if (!held) return null;
    if (held.withheld) return this.refuse(held.decision, bounded.request); // recorded when it was withheld
    if (held.inputIdentity !== bounded.inputIdentity) {
      if (!held.approved) return null; // the policy's answer was for other arguments: decide afresh
      const mismatch = derive(held.decision, 'deny', 'runtime_error:identity_mismatch: the arguments differ from the ones that were approved');
      return this.refuse(this.record(bounded.request, mismatch), bounded.request);
    }
    if (!held.decision.allowed) return this.refuse(held.decision, bounded.request);
    // Decided (or approved) before the agent was suspended, quarantined or killed: its run is refused.
    const stopped = this.standingNow(bounded.request);
    if (stopped) return this.refuse(this.record(bounded.request, derive(held.decision, 'deny', stopped.reason)), bounded.request);
    return (await this.enforceAgain(bounded.request, bounded.subject, held.decision)) as Cleared | Refused;
  }

  /** Puts a require_approval to the configured handler; the answer is recorded, the transform kept. */
  private async askHandler(bounded: Bounded, decided: Decided): Promise<Decided> {
    const asking = requestApproval(this.approvals, bounded.request, decided.decision, this.approvalTimeoutMs);
    const outcome = await this.approvalWaits.wait(bounded.agentId, undefined, asking);
    // A human may take minutes: an agent revoked while its call waited does not run it.
    const revoked = outcome.approved && this.identity && bounded.identity ? revokedSince(this.identity, bounded.request.agent) : null;
    // ...and an elevation it relied on may have ended, or the agent been stopped, while the human read it.
    const stopped = outcome.approved && !revoked ? this.standingNow(bounded.request) : undefined;
    const outranked = outcome.approved && !revoked && !stopped ? checkRing(bounded.request, bounded.identity !== undefined, this.evaluator, this.rings, true) : undefined;
    const answer = revoked
      ? this.record(bounded.request, derive(decided.decision, 'deny', identityReason(revoked)))
      : stopped
        ? this.record(bounded.request, derive(decided.decision, 'deny', stopped.reason))
        : outranked
          ? this.record(bounded.request, { ...derive(decided.decision, 'deny', outranked.reason), diagnostics: outranked.diagnostics })
          : this.record(bounded.request, derive(decided.decision, outcome.approved ? 'allow' : 'deny', outcome.reason));
    return { decision: answer, enforced: decided.enforced };
  }

  /** The standing step (standing-step.ts), asked first in guard() and again for a call decided earlier that comes to run now. */
  private standingNow(request: NormalizedRequest, agentId = agentIdOf(request)): Decision | undefined {
    return standingNow({ lifecycle: this.lifecycle, killSwitch: this.killSwitch, policy: this.evaluator }, request, agentId);
  }

  private transformed(subject: unknown, decision: Decision): { ok: true; value: unknown } | { ok: false; message: string } {
    return decision.transform ? this.rewrite(subject, decision) : { ok: true, value: subject };
  }

  private rewrite(subject: unknown, decision: Decision): { ok: true; value: unknown } | { ok: false; message: string } {
    try {
      const value = applyTransform(subject, decision.transform as NonNullable<Decision['transform']>, decision.stage);
      const copy = snapshotJson(value, this.defaults.limits);
      return copy.ok ? { ok: true, value: copy.value } : { ok: false, message: `the transformed ${decision.stage === 'pre_tool' ? 'arguments' : 'value'} ${copy.message}` };
    } catch (error) {
      return { ok: false, message: describeError(error) };
    }
  }

  /** Waits for pending audit commits, ignoring their failure (the caller is told of a denial either way). */
  private async settled(): Promise<void> {
    await this.audit?.durable()?.catch(() => undefined);
  }

  /**
   * A refusal reaches the caller only once its entry is committed. If the store cannot commit it,
   * the caller is told so (a plain denial would claim a record that does not exist); the refusal
   * itself stands.
   */
  private async refuse(decision: Decision, request: NormalizedRequest): Promise<Refused> {
    const pending = this.audit?.durable();
    if (pending) {
      try {
        await pending;
      } catch (error) {
        decision = derive(decision, 'deny', `runtime_error:audit: the audit store could not commit this refusal (${describeError(error)}); refused: ${decision.reason}`);
      }
    }
    return { kind: 'refused', refusal: refusalOf(decision), decision, request };
  }
}

/** Options of {@link Kernel.decide} and {@link Kernel.decideAsync}. */
export interface DecideOptions {
  /** The request's identity proof, verified by the kernel's identity step (see KernelOptions.identity). */
  proof?: unknown;
}

/** KernelOptions.identity checked once, at construction: a bad mode or verifier is a configuration error. */
function identitySettings(identity: KernelIdentityOptions | undefined): KernelIdentityOptions | undefined {
  if (identity === undefined) return undefined;
  if (identity === null || typeof identity !== 'object') throw new GovernanceConfigError('options.identity must be an object: { mode, verifier }');
  if (identity.mode !== 'zero-trust' && identity.mode !== 'permissive') throw new GovernanceConfigError("options.identity.mode must be 'zero-trust' or 'permissive'");
  if (typeof identity.verifier?.verify !== 'function') throw new GovernanceConfigError('options.identity.verifier must have a verify(proof, facts) method (see identity/verifier.ts)');
  return identity;
}

function actionTypeOf(request: GovernanceRequest | NormalizedRequest): string | undefined {
  const action = request.action;
  if (typeof action === 'string') return action;
  return typeof action?.type === 'string' ? action.type : undefined;
}

/** A thrown value's name for the record: an Error's own name when it is a plain word, else `Error`. */
function errorNameOf(thrown: unknown): string {
  try {
    const name: unknown = thrown instanceof Error ? thrown.name : undefined;
    return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : 'Error';
  } catch {
    return 'Error';
  }
}

/** The error as the decision passed it on (a redaction may have rewritten it), back in shape. */
function errorOf(output: unknown, fallback: { name: string; message: string }): { name: string; message: string } {
  const error = (output as { error?: { name?: unknown; message?: unknown } } | null)?.error;
  if (typeof error !== 'object' || error === null) return { name: fallback.name, message: '[REDACTED]' };
  return { name: typeof error.name === 'string' ? error.name : fallback.name, message: typeof error.message === 'string' ? error.message : '[REDACTED]' };
}

function agentIdOf(request: NormalizedRequest): string {
  return typeof request.agent.id === 'string' ? request.agent.id : 'anonymous';
}

/** The agent a call acts for, as a kill names it: the verified subject with identity, else the request's agent id. */
function actingAgentOf(request: NormalizedRequest, decision: Decision): string {
  return decision.identity?.subject ?? agentIdOf(request);
}
