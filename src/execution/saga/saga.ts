import { describeError, GovernanceConfigError } from '../../core/errors.js';
import { uuidv7 } from '../../core/ids.js';
import type { Decision } from '../../core/types.js';
import type { Action } from '../../kernel/action.js';
import { errorNameOf, runCompensation, type AttemptEnd } from './compensation.js';
import { checkName, checkStep, sagaSettings, type SagaOptions, type SagaSettings, type SagaStep, type StepContext, type StepToProve } from './options.js';
import { describeReport, type CompensationReport, type SagaReport, type SagaStatus, type SagaStepReport } from './report.js';
import { SagaError, type SagaErrorCode } from './saga-error.js';
import { recordSagaEntry, type SagaEntry } from './saga-record.js';
import { classify, errorText, settlesWithin, type RunningStep, type StepOutcome, type StepState } from './step-state.js';

/** Where the saga is: taking steps, completed, or (being) compensated and why. */
type SagaPhase = { phase: 'open' } | { phase: 'completed' } | { phase: 'compensating' | 'compensated'; reason: string; code: SagaErrorCode };

/** The longest reason text kept (a caller's reason goes into audit entries). */
const MAX_REASON = 500;

/**
 * A governed multi-step task. Each {@link step} is a tool call through `kernel.handle()` (so a
 * denied step is a recorded refusal) that registers how to undo it. When a step throws or is
 * denied, when the saga's signal aborts, or when {@link compensate} is called (the kill switch
 * does), no further step starts and the completed steps are compensated in reverse order, each
 * with bounded retries and a per-attempt timeout. Every step and compensation is in the kernel's
 * audit log. {@link complete} ends the saga and drops the compensations.
 *
 * @example
 * const saga = new Saga({ kernel, name: 'place-order', agent: 'shop-bot' });
 * const hold = await saga.step('reserve', { tool: 'stock.reserve', args: { sku: 'A1' }, run: reserve, compensate: (r) => release(r.holdId) });
 * await saga.step('charge', { tool: 'payments.charge', args: { cents: 900 }, run: charge, compensate: (r) => refund(r.chargeId) });
 * const report = await saga.complete();
 */
export class Saga {
  /** This run's id (UUIDv7), in every saga entry's reason. */
  readonly id = uuidv7();
  private readonly settings: SagaSettings;
  private readonly steps: StepState[] = [];
  private readonly stepNames = new Set<string>();
  private readonly compensations: CompensationReport[] = [];
  private state: SagaPhase = { phase: 'open' };
  /** The step running now (one at a time) and how to abort it; settles once the step is classified. */
  private running: RunningStep | null = null;
  private compensating: Promise<SagaReport> | null = null;
  private unrecorded = 0;
  /** Who the saga's own entries name: `options.agent`, or the agent the kernel proved for its first step. */
  private agentId: string | undefined;
  private readonly onAbort = (): void => void this.close('ERR_AGT_SAGA_ABORTED', `aborted: ${describeError(this.settings.signal?.reason)}`);
  /** Takes the saga out of the kill switch's registry (a no-op without one). */
  private unregister: () => void = () => undefined;

  constructor(options: SagaOptions) {
    this.settings = sagaSettings(options);
    this.agentId = this.settings.agentId;
    const registry = this.settings.compensations;
    if (registry) this.unregister = registry.register(this.settings.agentId as string, `saga ${this.name} (${this.id})`, () => this.compensateForKill());
    if (this.settings.signal?.aborted) this.onAbort(); // aborted before it began: no step will start
    else this.settings.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** The saga's name, as in its audit entries. */
  get name(): string {
    return this.settings.name;
  }

  /**
   * Runs one step as a governed call and registers its compensation. Resolves to what the step
   * returned, as the policy let it through (a post_tool redaction applies). Throws a
   * {@link SagaError} once the earlier steps have been compensated when the step throws
   * (`ERR_AGT_SAGA_STEP_FAILED`), is refused (`ERR_AGT_SAGA_STEP_DENIED`) or the saga is aborted
   * while it runs (`ERR_AGT_SAGA_ABORTED`); `ERR_AGT_SAGA_CLOSED` after {@link complete}.
   * A reused step name, a step while another runs, or a malformed step is a GovernanceConfigError.
   */
  async step<Result>(name: string, step: SagaStep<Result>): Promise<Result> {
    checkName(name, `saga '${this.name}' step name`);
    checkStep(this.name, name, step);
    if (this.state.phase !== 'open') return this.refuseClosed(name);
    if (this.running) throw new GovernanceConfigError(`saga '${this.name}': step '${name}' was started while step '${this.running.step.name}' still runs; await each step (they run one at a time so that they can be undone in reverse)`);
    const key = name.toLowerCase();
    if (this.stepNames.has(key)) throw new GovernanceConfigError(`saga '${this.name}': a step named '${name}' was already taken (names are compared ignoring case); give each step its own name, e.g. '${name}-2'`);
    this.stepNames.add(key);
    const state: StepState = { name, tool: step.tool, status: 'running', decisionId: null, compensate: step.compensate as SagaStep['compensate'] };
    this.steps.push(state);
    // Marked running at once (not after the first await), so a step started beside it is refused.
    const running = this.begin(state);
    // Fail closed: a step the audit log cannot record does not run.
    const started = await this.note(this.stepEntry(state, 'started', 'pre_tool'));
    if (!started || this.state.phase !== 'open') {
      state.status = started ? 'failed' : 'denied';
      state.error = started ? 'the saga was stopped before the step ran' : "the audit log did not take the step's entry, so it did not run";
      const noted = this.note(this.stepEntry(state, state.status as 'failed' | 'denied'));
      this.running = null;
      running.settle();
      await noted;
      if (started) return this.refuseClosed(name, true); // compensated while the entry was written
      return this.stop(state, 'ERR_AGT_SAGA_STEP_DENIED', state.error, null);
    }
    const { outcome, late, recorded } = await this.runStep(state, step, running);
    if (late) return this.refuseClosed(name, true); // the saga moved on without it, and undid it when it finished
    return this.afterStep(state, outcome, recorded);
  }

  /**
   * Ends the saga: every step stands and the compensations are dropped. Idempotent once
   * completed; `ERR_AGT_SAGA_CLOSED` once compensated, `ERR_AGT_SAGA_ABORTED` if the saga's signal
   * has aborted (the steps are compensated first).
   */
  async complete(): Promise<SagaReport> {
    if (this.state.phase === 'completed') return this.report();
    if (this.running) throw new GovernanceConfigError(`saga '${this.name}': complete() was called while step '${this.running.step.name}' still runs; await it first`);
    if (this.state.phase === 'open' && this.settings.signal?.aborted) this.onAbort();
    if (this.state.phase !== 'open') return this.refuseClosed(null);
    this.state = { phase: 'completed' };
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    this.unregister();
    for (const step of this.steps) delete step.ran; // the results are the caller's now; keep no reference
    await this.note({ tool: this.tool('end'), action: 'saga.completed', reason: `${this.label()} completed after ${this.steps.length} step(s)`, args: { sagaId: this.id } });
    return this.report();
  }

  /**
   * Stops the saga and undoes its completed steps in reverse order: the running step (if any) is
   * aborted and given `compensationTimeoutMs` to finish (a step that finishes later is undone
   * then). Idempotent: called twice or concurrently, the compensations run once and every caller
   * gets the same report. After {@link complete} there is nothing to undo: it resolves to the
   * report unchanged. Never rejects. This is the kill switch's entry point.
   */
  compensate(reason = 'compensation requested'): Promise<SagaReport> {
    if (this.state.phase === 'completed') return Promise.resolve(this.report());
    return this.close('ERR_AGT_SAGA_ABORTED', typeof reason === 'string' ? reason : describeError(reason));
  }

  /**
   * What the kill switch runs: {@link compensate} with reason `agent killed`, rejecting unless
   * every completed step was undone, so the kill reports the saga as failed rather than done.
   */
  private async compensateForKill(): Promise<void> {
    const report = await this.compensate(`agent ${this.settings.agentId ?? ''} killed`);
    if (report.status === 'compensation_failed') throw new Error(`saga '${this.name}' (${this.id}) could not undo every step: ${describeReport(report)}`);
  }

  /** What the saga has done so far (a snapshot). */
  report(): SagaReport {
    const steps: SagaStepReport[] = this.steps.map((s) => ({ name: s.name, tool: s.tool, status: s.status, decisionId: s.decisionId, ...(s.error === undefined ? {} : { error: s.error }) }));
    return {
      saga: this.name,
      id: this.id,
      status: this.status(),
      reason: this.state.phase === 'compensating' || this.state.phase === 'compensated' ? this.state.reason : null,
      steps,
      compensations: this.compensations.map((c) => ({ ...c })),
      unrecorded: this.unrecorded,
    };
  }

  private status(): SagaStatus {
    if (this.state.phase === 'open' || this.state.phase === 'compensating') return 'running';
    if (this.state.phase === 'completed') return 'completed';
    const undone = this.compensations.every((c) => c.outcome === 'done') && !this.steps.some((s) => s.status === 'abandoned');
    return undone ? 'compensated' : 'compensation_failed';
  }

  /** The proof `SagaOptions.proof` makes for this step; what it throws is a proof that fails (the kernel denies the step). */
  private proveStep(state: StepState, args: Record<string, unknown>): unknown {
    try {
      return (this.settings.proof as (call: StepToProve) => unknown)({ saga: this.name, sagaId: this.id, step: state.name, tool: state.tool, args });
    } catch (error) {
      return { kind: 'unavailable', error: describeError(error) };
    }
  }

  /** Marks `state` as the running step, with its abort controller and a promise settled when it ends. */
  private begin(state: StepState): RunningStep {
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const running: RunningStep = { step: state, controller: new AbortController(), settled, settle };
    this.running = running;
    return running;
  }

  /** The step's governed call, with the step's own abort signal; settles `running` once the step is classified. */
  private async runStep(state: StepState, step: SagaStep, running: RunningStep): Promise<{ outcome: StepOutcome; late: boolean; recorded: boolean }> {
    const { controller, settle } = running;
    const context = (kernelSignal: AbortSignal | undefined): StepContext => ({
      // The kernel's own signal (aborted when the agent is killed) and the saga's, whichever first.
      signal: kernelSignal ? AbortSignal.any([controller.signal, kernelSignal]) : controller.signal,
      saga: this.name,
      sagaId: this.id,
      step: state.name,
    });
    const args = step.args ?? {};
    const proof = step.proof ?? (typeof this.settings.proof === 'function' ? this.proveStep(state, args) : this.settings.proof);
    const action: Action = { tool: step.tool, args, ...(this.settings.agent === undefined ? {} : { agent: this.settings.agent }), ...(proof === undefined ? {} : { proof }) };
    let outcome: StepOutcome;
    try {
      outcome = await this.settings.kernel.handle(action, async (args, tool?: { signal?: AbortSignal }) => {
        const result: unknown = await step.run(args, context(tool?.signal));
        state.ran = { result, args };
        return result;
      });
    } catch (error) {
      outcome = { kind: 'threw', error }; // handle() never throws; if it ever did, the step failed
    }
    state.decisionId = 'decision' in outcome ? outcome.decision.decisionId : null;
    // Unnamed in the options, the saga's entries name the agent the kernel proved.
    this.agentId ??= 'decision' in outcome ? outcome.decision.identity?.subject : undefined;
    const late = state.status === 'abandoned';
    // Classified and its entry appended before `running` settles: a compensation waiting for this
    // step sees it as it ended, and the log has the step's end before any compensation of it.
    let recorded: Promise<boolean> = Promise.resolve(true);
    if (!late) {
      state.status = classify(outcome);
      if (state.status !== 'done') state.error = errorText(outcome);
      recorded = this.note(this.stepEntry(state, state.status as 'done' | 'failed' | 'denied'));
    }
    this.running = null;
    settle();
    if (late) await this.undoLate(state, outcome);
    return { outcome, late, recorded: await recorded };
  }

  /** After the step's call: its entry, then its result, or the saga stopped. */
  private async afterStep<Result>(state: StepState, outcome: StepOutcome, recorded: boolean): Promise<Result> {
    if (state.status === 'done') {
      if (!recorded) return this.stop(state, 'ERR_AGT_SAGA_STEP_DENIED', "the audit log did not take the step's entry, so the saga does not go ahead", null);
      if (this.state.phase !== 'open') return this.refuseClosed(state.name, true); // compensated (killed) while it ran: undone with the rest
      return (outcome as { output: unknown }).output as Result;
    }
    // Stopped from outside while it ran (its abort is likely why it failed): the saga's reason stands.
    if (this.state.phase !== 'open') return this.refuseClosed(state.name, true);
    const decision = outcome.kind === 'refused' ? outcome.decision : null;
    const code: SagaErrorCode = state.status === 'denied' ? 'ERR_AGT_SAGA_STEP_DENIED' : 'ERR_AGT_SAGA_STEP_FAILED';
    return this.stop(state, code, state.error ?? 'unknown', decision);
  }

  /** A step stopped the saga (its entry is written): compensate, then throw with the final report. */
  private async stop(state: StepState, code: SagaErrorCode, why: string, decision: Decision | null): Promise<never> {
    const reason = `step '${state.name}' ${code === 'ERR_AGT_SAGA_STEP_DENIED' ? 'was denied' : 'failed'}: ${why}`;
    const report = await this.close(code, reason);
    throw new SagaError(code, `saga '${this.name}' stopped: ${reason}; ${describeReport(report)}`, report, state.name, decision);
  }

  /** Moves to compensating (once) and undoes the completed steps. Every caller gets the same promise. */
  private close(code: SagaErrorCode, reason: string): Promise<SagaReport> {
    if (this.compensating) return this.compensating;
    this.state = { phase: 'compensating', reason: reason.slice(0, MAX_REASON), code };
    this.settings.signal?.removeEventListener('abort', this.onAbort);
    this.running?.controller.abort(new Error(`saga '${this.name}' is being compensated: ${reason}`));
    this.compensating = this.undo();
    return this.compensating;
  }

  private async undo(): Promise<SagaReport> {
    const phase = this.state as { reason: string; code: SagaErrorCode };
    const running = this.running;
    if (running && !(await settlesWithin(running.settled, this.settings.compensationTimeoutMs))) {
      running.step.status = 'abandoned';
      await this.note(this.stepEntry(running.step, 'abandoned'));
    }
    for (const step of [...this.steps].reverse()) {
      if (step.status === 'abandoned' || !step.ran || !step.compensate) continue;
      await this.undoStep(step, phase.reason);
    }
    this.state = { phase: 'compensated', reason: phase.reason, code: phase.code };
    this.unregister();
    const report = this.report();
    await this.note({ tool: this.tool('end'), action: `saga.${report.status}`, reason: `${this.label()} ${report.status}: ${describeReport(report)}; because ${phase.reason}`, args: { sagaId: this.id } });
    return this.report();
  }

  /** One step's compensation, with retries and timeouts, every attempt recorded. */
  private async undoStep(step: StepState, reason: string): Promise<void> {
    const ran = step.ran as NonNullable<StepState['ran']>;
    const compensate = step.compensate as NonNullable<StepState['compensate']>;
    delete step.ran; // undone at most once, whoever asks again
    const tool = this.tool(`compensate.${step.name}`);
    const pending: Promise<boolean>[] = [];
    const onAttempt = (end: AttemptEnd): void => {
      if (end.outcome === 'threw' && end.attempt <= this.settings.retries) {
        pending.push(this.note({ tool, action: 'saga.compensation.attempt_failed', reason: `${this.label()}: compensation of step '${step.name}', attempt ${end.attempt}, threw ${errorNameOf(end.error)}; retrying`, args: { sagaId: this.id, step: step.name, attempt: end.attempt } }));
      }
    };
    const plan = { retries: this.settings.retries, retryDelayMs: this.settings.retryDelayMs, timeoutMs: this.settings.compensationTimeoutMs };
    const context = { saga: this.name, sagaId: this.id, step: step.name, args: ran.args, reason };
    const result = await runCompensation((signal, attempt) => compensate(ran.result, { ...context, signal, attempt }), plan, onAttempt);
    await Promise.all(pending);
    this.compensations.push({ step: step.name, outcome: result.outcome, attempts: result.attempts, ...(result.error === undefined ? {} : { error: result.error }), durationMs: result.durationMs });
    const what = result.outcome === 'done' ? 'done' : result.outcome === 'timed_out' ? 'timed out' : `failed (threw ${result.errorName ?? 'Error'})`;
    await this.note({ tool, action: `saga.compensation.${result.outcome}`, reason: `${this.label()}: compensation of step '${step.name}' ${what} after ${result.attempts} attempt(s); compensating because ${reason}`, args: { sagaId: this.id, step: step.name, attempts: result.attempts } });
  }

  /** A step that finished after the saga gave up waiting for it: undone now if it took effect. */
  private async undoLate(state: StepState, outcome: StepOutcome): Promise<void> {
    await this.compensating;
    state.status = classify(outcome);
    if (state.status !== 'done') state.error = errorText(outcome);
    await this.note(this.stepEntry(state, state.status === 'done' ? 'done' : state.status === 'denied' ? 'denied' : 'failed'));
    if (state.ran && state.compensate) await this.undoStep(state, `step '${state.name}' finished after the saga was compensated`);
  }

  /** The error for a step or completion the saga no longer takes (`stopped`: the step was running when it ended). */
  private refuseClosed(step: string | null, stopped = false): Promise<never> {
    const state = this.state;
    const code: SagaErrorCode = state.phase === 'compensating' || state.phase === 'compensated' ? (state.code === 'ERR_AGT_SAGA_ABORTED' ? 'ERR_AGT_SAGA_ABORTED' : 'ERR_AGT_SAGA_CLOSED') : 'ERR_AGT_SAGA_CLOSED';
    const ended = state.phase === 'completed' ? 'has completed' : `was compensated (${(state as { reason: string }).reason})`;
    const what = step === null ? 'it cannot complete' : stopped ? `step '${step}' was stopped` : `step '${step}' does not run`;
    return (this.compensating ?? Promise.resolve(this.report())).then((report) => {
      throw new SagaError(code, `saga '${this.name}' ${ended}: ${what}; start a new Saga for new work`, report, step);
    });
  }

  private stepEntry(step: StepState, what: 'started' | 'done' | 'failed' | 'denied' | 'abandoned', stage: SagaEntry['stage'] = 'post_tool'): SagaEntry {
    const decided = step.decisionId === null ? '' : ` (decision ${step.decisionId})`;
    return { tool: this.tool(`step.${step.name}`), action: `saga.step.${what}`, reason: `${this.label()}: step '${step.name}' (tool '${step.tool}') ${what}${decided}`, args: { sagaId: this.id, step: step.name }, stage };
  }

  private async note(entry: SagaEntry): Promise<boolean> {
    const recorded = await recordSagaEntry(this.settings.kernel, this.agentId, entry);
    if (!recorded) this.unrecorded++;
    return recorded;
  }

  private tool(suffix: string): string {
    return `saga.${this.name}.${suffix}`;
  }

  private label(): string {
    return `saga '${this.name}' (${this.id})`;
  }
}
