/**
 * An agent's standing: the states of its lifecycle and the transitions between them. Pure data
 * and rules, no storage: the stores (src/state/) apply {@link checkTransition} inside their
 * transaction, so two processes racing to move one agent never both succeed from a stale state.
 */

/**
 * Where an agent stands. `registered`: known to the deployment but not yet allowed to act (the
 * way in when a deployment requires registration). `active`: may act. `suspended`: paused by an
 * operator, may be resumed. `quarantined`: only the policy's quarantine allow-list may run, until
 * a human releases it. `terminated`: killed, final.
 */
export type AgentState = 'registered' | 'active' | 'suspended' | 'quarantined' | 'terminated';

/** Every state, in lifecycle order. */
export const AGENT_STATES: readonly AgentState[] = ['registered', 'active', 'suspended', 'quarantined', 'terminated'];

/**
 * What an operator or program asks for. Each names its target state; `resume` and `release`
 * name where they come from too, so resuming a quarantined agent (which needs a release) is
 * refused rather than silently treated as one.
 */
export type LifecycleCommand = 'register' | 'activate' | 'suspend' | 'resume' | 'quarantine' | 'release' | 'kill';

/** Every command. */
export const LIFECYCLE_COMMANDS: readonly LifecycleCommand[] = ['register', 'activate', 'suspend', 'resume', 'quarantine', 'release', 'kill'];

/** The state each command leads to. */
export const TARGET_STATE: Readonly<Record<LifecycleCommand, AgentState>> = {
  register: 'registered',
  activate: 'active',
  suspend: 'suspended',
  resume: 'active',
  quarantine: 'quarantined',
  release: 'active',
  kill: 'terminated',
};

/** The states each command may start from. Everything else is refused with a reason. */
const LEGAL_FROM: Readonly<Record<LifecycleCommand, readonly AgentState[]>> = {
  // `registered` is the way in: only an agent never seen may be registered.
  register: [],
  activate: ['registered'],
  suspend: ['active', 'quarantined'],
  resume: ['suspended'],
  quarantine: ['active', 'suspended'],
  release: ['quarantined'],
  kill: ['registered', 'active', 'suspended', 'quarantined'],
};

/**
 * Commands that undo a restriction: a human's act. The CLI run by an operator is that act; a
 * program must name who approved (and, with an approval handler, is asked: see Lifecycle).
 */
export const NEEDS_HUMAN: ReadonlySet<LifecycleCommand> = new Set(['resume', 'release', 'activate']);

/** A refused transition: why, in words an operator can act on. */
export interface IllegalTransition {
  readonly ok: false;
  /** True when the agent is already where the command leads (nothing to do, e.g. a second kill). */
  readonly already: boolean;
  readonly message: string;
}

/**
 * Whether `command` may move agent `agentId` from `current` (undefined: never seen, which counts
 * as `active` unless `unseenIsActive` is false, when registration is required). Returns the
 * transition's `from`, or the reason it is illegal.
 */
export function checkTransition(agentId: string, current: AgentState | undefined, command: LifecycleCommand, unseenIsActive: boolean): { ok: true; from: AgentState | null } | IllegalTransition {
  if (current === undefined) {
    if (command === 'register') return { ok: true, from: null };
    if (!unseenIsActive) return illegal(`agent ${agentId} is not registered; register it first (agt agent register ${agentId})`);
    current = 'active';
  }
  if (LEGAL_FROM[command].includes(current)) return { ok: true, from: current };
  return illegal(whyIllegal(agentId, current, command), command !== 'register' && current === TARGET_STATE[command]);
}

function whyIllegal(agentId: string, current: AgentState, command: LifecycleCommand): string {
  const target = TARGET_STATE[command];
  if (current === 'terminated') return `agent ${agentId} is terminated; a terminated agent cannot be ${PAST[command]} (terminated is final: give the work to a new agent)`;
  if (current === target) return `agent ${agentId} is already ${current}; nothing changed`;
  if (command === 'register') return `agent ${agentId} is already known (${current}); only an agent never seen can be registered`;
  if (command === 'resume' && current === 'quarantined') return `agent ${agentId} is quarantined, not suspended; release it instead (agt agent release ${agentId})`;
  if (command === 'release') return `agent ${agentId} is ${current}, not quarantined; ${current === 'suspended' ? `resume it instead (agt agent resume ${agentId})` : 'there is nothing to release'}`;
  if (command === 'resume') return `agent ${agentId} is ${current}, not suspended; there is nothing to resume`;
  if (command === 'activate') return `agent ${agentId} is ${current}, not registered; only a registered agent is activated`;
  return `agent ${agentId} is ${current}; it cannot be ${PAST[command]} from there`;
}

const PAST: Readonly<Record<LifecycleCommand, string>> = {
  register: 'registered',
  activate: 'activated',
  suspend: 'suspended',
  resume: 'resumed',
  quarantine: 'quarantined',
  release: 'released',
  kill: 'killed',
};

function illegal(message: string, already = false): IllegalTransition {
  return { ok: false, already, message };
}

/** True for one of the five states (values read back from a store are checked, not trusted). */
export function isAgentState(value: unknown): value is AgentState {
  return typeof value === 'string' && (AGENT_STATES as readonly string[]).includes(value);
}
