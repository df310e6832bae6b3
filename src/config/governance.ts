import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AuditLog } from '../audit/audit-log.js';
import { SqliteAuditSink } from '../audit/sqlite-sink.js';
import type { Clock } from '../core/clock.js';
import { describeError, GovernanceConfigError } from '../core/errors.js';
import { Lifecycle } from '../execution/lifecycle/lifecycle.js';
import { MemoryLifecycleStore } from '../state/lifecycle-store.js';
import { openLifecycleStore } from '../state/sqlite-lifecycle-store.js';
import { isFailure } from '../identity/did-key.js';
import { identityFailure, type IdentityFailure } from '../identity/failure.js';
import { RevocationList } from '../identity/revocation.js';
import type { IssuedSession } from '../identity/session.js';
import type { ApprovalHandler } from '../kernel/approvals.js';
import { HandoffGate, type HandoffGateOptions } from '../kernel/handoff-gate.js';
import { Kernel, type KernelOptions } from '../kernel/kernel.js';
import type { KernelIdentityOptions } from '../kernel/identity-step.js';
import { evaluatorFor } from '../kernel/policy-input.js';
import type { PolicyEvaluator } from '../policy/evaluator.js';
import { MemoryReplayCache, type ReplayCache } from '../state/replay-cache.js';
import { MemoryRevocationStore, type RevocationEntry, type RevocationStore } from '../state/revocation-store.js';
import { SqliteReplayCache } from '../state/sqlite-replay-cache.js';
import { SqliteRevocationStore } from '../state/sqlite-revocation-store.js';
import { SqliteTrustScoreStore } from '../state/sqlite-trust-score-store.js';
import { MemoryTrustScoreStore, type TrustScoreStore } from '../state/trust-score-store.js';
import { MemoryElevationGrantStore, type ElevationGrantStore } from '../state/elevation-grant-store.js';
import { SqliteElevationGrantStore } from '../state/sqlite-elevation-grant-store.js';
import { wireIdentity, type IdentityWiring } from './identity-wiring.js';
import { loadDeployment, type DeploymentSource } from './load-deployment.js';
import type { DeploymentConfig } from './resolve-config.js';
import { openSessionWith } from './session-open.js';
import { KillSwitch, type KillOptions, type KillReport } from '../execution/kill-switch.js';
import { killRecord } from '../execution/kill-decisions.js';
import { killEverywhere, stopInFlightOnKill } from '../execution/kill-on-terminate.js';

/** What {@link Governance.handoffGate} takes: the receiver and its threshold; the rest comes from the deployment. */
export type HandoffGateSettings = Pick<HandoffGateOptions, 'receiver'> & Partial<Pick<HandoffGateOptions, 'minTrust' | 'policy' | 'audit' | 'context' | 'approvals' | 'maxLifetimeMs' | 'bounds'>>;

/** Options of {@link createGovernance} beyond the deployment itself. */
export interface GovernanceOptions {
  /** Where a config object's relative paths start (default: the working directory). */
  readonly baseDir?: string;
  /** The clock verifiers use (tests); default the wall clock. */
  readonly clock?: Clock;
  /**
   * Asked before a programmatic resume, release or activation through `governance.lifecycle`
   * (the human who lifts a restriction); without one those are refused, and an operator uses
   * `agt agent resume|release|activate`.
   */
  readonly approvals?: ApprovalHandler;
}

/**
 * One deployment, built once: the trusted issuers, the verifiers of every configured proof kind
 * over the shared replay cache and revocation list, the session verifier, the audit log and the
 * default policy. `govern()`, the adapters and the CLI take it; each kernel made from it shares
 * its verifiers, so a nonce spent through one is spent for all, and a session opened here is
 * accepted by every kernel of this Governance.
 */
export class Governance {
  /** The deployment as loaded. */
  readonly config: DeploymentConfig;
  /** The kernel's identity options (undefined without an identity section: agents are who callers say). */
  readonly identity: KernelIdentityOptions | undefined;
  readonly #wiring: IdentityWiring | undefined;
  readonly #revocationStore: RevocationStore;
  readonly #replayCache: ReplayCache;
  readonly #trustStore: TrustScoreStore;
  /** Where this deployment's trust scores live (its state store): shared by its kernels and hand-off gates. */
  get trustScores(): TrustScoreStore {
    return this.#trustStore;
  }
  readonly #elevationGrants: ElevationGrantStore;
  /** Where this deployment's elevation grants live (its state store): every kernel made here reads and writes them. */
  get elevationGrants(): ElevationGrantStore {
    return this.#elevationGrants;
  }
  #lifecycle: Lifecycle | undefined;
  /**
   * The lifecycle of this deployment's agents, in its state store (shared by every process on
   * the machine): every kernel and hand-off gate made here reads it in its standing guard, and
   * its transitions are recorded in this deployment's audit log. A store that cannot be opened
   * gives a lifecycle that denies every call (runtime_error:state) rather than none.
   */
  get lifecycle(): Lifecycle {
    this.#open();
    if (!this.#lifecycle) {
      this.#lifecycle = openLifecycle(this.config, this.audit, this.#clock, this.#approvals);
      // A kill seen in the shared state (from any process) stops what this process runs for the agent.
      stopInFlightOnKill(this.#lifecycle, this.killSwitch, (report) => this.#recordKill(report));
    }
    return this.#lifecycle;
  }
  /** Kernels made here: their batched trust gains are written when the Governance closes. */
  readonly #kernels: Kernel[] = [];
  /** The revocation list every credential check of this deployment reads. */
  readonly revocations: RevocationList;
  /** The kill switch every kernel of this deployment answers to: one kill stops the agent's calls through all of them. */
  readonly killSwitch = new KillSwitch();
  #audit: AuditLog | undefined;
  #evaluator: PolicyEvaluator | undefined;
  #closed = false;
  readonly #clock: Clock | undefined;
  readonly #approvals: ApprovalHandler | undefined;

  constructor(config: DeploymentConfig, options: GovernanceOptions = {}) {
    this.config = config;
    this.#clock = options.clock;
    this.#approvals = options.approvals;
    const state = config.state;
    if (state.kind === 'sqlite') mkdirSync(dirname(state.path), { recursive: true });
    this.#revocationStore = state.kind === 'sqlite' ? new SqliteRevocationStore(state.path) : new MemoryRevocationStore();
    this.revocations = new RevocationList(this.#revocationStore, options.clock);
    const capacity = config.identity?.replayCacheCapacity;
    this.#replayCache = state.kind === 'sqlite' ? new SqliteReplayCache(state.path, capacity ? { capacity } : {}) : new MemoryReplayCache(capacity ? { capacity } : {});
    this.#trustStore = state.kind === 'sqlite' ? new SqliteTrustScoreStore(state.path) : new MemoryTrustScoreStore();
    this.#elevationGrants = state.kind === 'sqlite' ? new SqliteElevationGrantStore(state.path) : new MemoryElevationGrantStore();
    this.#wiring = config.identity ? wireIdentity(config.identity, { replayCache: this.#replayCache, revocations: this.revocations, trustScores: this.#trustStore }, options.clock) : undefined;
    this.identity = this.#wiring?.kernel;
  }

  /** The audit log of this deployment: opened on first use (a SQLite store, or memory). */
  get audit(): AuditLog {
    this.#open();
    if (!this.#audit) {
      const store = this.config.audit;
      this.#audit = store.kind === 'sqlite' ? new AuditLog({ sink: new SqliteAuditSink({ path: store.path }) }) : new AuditLog();
    }
    return this.#audit;
  }

  /**
   * A kernel for this deployment: its policy (unless `overrides.policy`), audit log and identity
   * options, with anything in `overrides` taking precedence.
   */
  kernel(overrides: Partial<KernelOptions> = {}): Kernel {
    this.#open();
    const policy = overrides.policy ?? this.#defaultPolicy(overrides.conflictStrategy !== undefined);
    const identity = overrides.identity ?? this.identity;
    const elevation = overrides.elevation ?? { grants: this.#elevationGrants, ...(this.#clock ? { clock: this.#clock } : {}) };
    const kernel = new Kernel({ killSwitch: this.killSwitch, ...overrides, policy, audit: overrides.audit ?? this.audit, ...(identity ? { identity } : {}), elevation, lifecycle: overrides.lifecycle ?? this.lifecycle });
    if (kernel.trustScores) this.#kernels.push(kernel);
    return kernel;
  }

  /**
   * The trust gate of one receiving agent in this deployment: hand-offs sealed for `receiver` are
   * opened against the deployment's trusted issuers, revocations, replay cache and the senders'
   * live trust scores, decided by the deployment's policy (unless `options.policy`) and recorded
   * in its audit log.
   *
   * @example
   * const gate = governance.handoffGate({ receiver: billing.did, minTrust: 600 });
   * const outcome = await gate.receive(sealed, (payload) => billingAgent.run(payload));
   */
  handoffGate(options: HandoffGateSettings): HandoffGate {
    this.#open();
    const identity = this.config.identity;
    if (!identity) throw new GovernanceConfigError(`${this.config.label} has no identity section, so this deployment trusts no sender: add one (agt init writes it)`);
    const gate = new HandoffGate({
      ...options,
      policy: options.policy ?? this.#defaultPolicy(false),
      audit: options.audit ?? this.audit,
      trustedIssuers: identity.issuers,
      revocations: this.revocations,
      replayCache: this.#replayCache,
      trustScores: this.#trustStore,
      elevationGrants: this.#elevationGrants,
      lifecycle: this.lifecycle,
      skewMs: identity.clockSkewMs,
      maxDelegationDepth: identity.maxDelegationDepth,
      ...(this.#clock ? { clock: this.#clock } : {}),
    });
    this.#kernels.push(gate.kernel); // its batched trust gains are written when the Governance closes
    return gate;
  }

  /**
   * Revokes an id (a did:key, a SPIFFE ID, a jti, an OIDC subject or issuer, a certificate
   * fingerprint: see `revocableId`) in the state store: the next action resting on it is denied,
   * whatever its proof kind, in every process that shares the store, and this process's sessions
   * of it end now.
   */
  revoke(id: string): RevocationEntry | IdentityFailure {
    this.#open();
    const entry = this.revocations.revoke(id);
    if (!isFailure(entry)) this.#wiring?.sessions.endAllOf(entry.id);
    return entry;
  }

  /**
   * Kills an agent in this process (see Kernel.kill and docs/kill-switch.md): its further calls
   * through any kernel of this deployment are denied, its calls in flight aborted, its pending
   * approvals rejected and its compensations run; the kill and its report are recorded in the
   * deployment's audit log.
   */
  kill(agentId: string, options: KillOptions = {}): Promise<KillReport> {
    this.#open();
    return killEverywhere(this.lifecycle, agentId, options, () => this.killSwitch.kill(agentId, options, (report) => this.#recordKill(report)));
  }

  #recordKill(report: KillReport): void {
    try {
      this.audit.append({ request: { stage: 'agent_shutdown', agent: report.agentId, action: 'kill' }, decision: killRecord(report, this.#evaluator?.revision ?? '') });
    } catch (error) {
      // Not recorded: the report must not claim a finished kill that left no trace.
      report.terminated = false;
      process.emitWarning(`the kill of agent '${report.agentId}' could not be recorded in the audit log: ${describeError(error)}`, { code: 'AGT_KILL_NOT_RECORDED' });
    }
  }


  /**
   * The session handshake (see SESSION_HANDSHAKE): a signed envelope over the handshake action,
   * verified in full, answered with a session whose MACs prove later actions. Every answer, issued
   * or refused, is audited with the verified identity, never the secret.
   */
  async openSession(proof: unknown): Promise<IssuedSession | IdentityFailure> {
    this.#open();
    if (!this.#wiring) return identityFailure('unavailable', `${this.config.label} has no identity section, so this deployment opens no sessions`);
    return openSessionWith(this.#wiring, this.audit, proof);
  }

  /** Closes the state and audit stores. The Governance cannot be used afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const kernel of this.#kernels) kernel.trustScores?.flush();
    this.#lifecycle?.close();
    this.#audit?.close();
    for (const store of [this.#replayCache, this.#revocationStore, this.#trustStore, this.#elevationGrants]) {
      if ('close' in store && typeof store.close === 'function') (store.close as () => void).call(store);
    }
  }

  #defaultPolicy(ownStrategy: boolean): KernelOptions['policy'] {
    const policy = this.config.policy;
    if (policy === null) throw new GovernanceConfigError(`no policy given and ${this.config.label} names none; pass one, or add \`policy: policies/\` to the deployment file`);
    // Loaded once and shared, unless the caller asks for its own conflict strategy.
    if (ownStrategy) return policy;
    this.#evaluator ??= evaluatorFor(policy);
    return this.#evaluator;
  }

  #open(): void {
    if (this.#closed) throw new GovernanceConfigError('this Governance was closed; create a new one');
  }
}

/** The deployment's lifecycle over its state store; a store that cannot be opened denies every call instead. */
function openLifecycle(config: DeploymentConfig, audit: AuditLog, clock: Clock | undefined, approvals: ApprovalHandler | undefined): Lifecycle {
  const state = config.state;
  const store = state.kind === 'memory' ? new MemoryLifecycleStore() : openLifecycleStore(state.path);
  return new Lifecycle({ store, audit, requireRegistration: config.lifecycle?.requireRegistration === true, ...(clock ? { clock } : {}), ...(approvals ? { approvals } : {}) });
}

/**
 * Builds the one {@link Governance} of a deployment from `source`: a path to an
 * `agt.config.yaml`, a config object of the same shape, or nothing (then `$AGT_CONFIG`, else
 * `./agt.config.yaml` when present, else the defaults: no policy, memory stores, no identity).
 * Throws a DeploymentConfigError naming file, line, key and fix for a bad deployment.
 *
 * @example
 * const governance = createGovernance('agt.config.yaml');
 * const search = govern(searchTool, { governance, proof: agentProver({ key, credential, audience }) });
 */
export function createGovernance(source?: DeploymentSource, options: GovernanceOptions = {}): Governance {
  return new Governance(loadDeployment(source, options.baseDir), options);
}
