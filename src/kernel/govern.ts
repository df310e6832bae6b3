import { GovernanceConfigError, GovernanceDenied, ToolFailed } from '../core/errors.js';
import type { AgentRef, Decision, NormalizedRequest } from '../core/types.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PolicyEvaluator, ConflictStrategy } from '../policy/index.js';
import type { Action } from './action.js';
import type { ApprovalHandler } from './approvals.js';
import type { Guard } from './guards.js';
import { Kernel, type KernelOptions } from './kernel.js';
import type { PolicyInput } from './policy-input.js';
import type { KernelIdentityOptions } from './identity-step.js';
import { proofFor, type ProofSource } from './proof-source.js';
import { withToolContext } from './tool-signal.js';
import type { Governance } from '../config/governance.js';
import type { Lifecycle } from '../execution/lifecycle/lifecycle.js';
import { defaultGovernance } from '../config/default-governance.js';

export type { ProofSource };

/** How {@link govern} decides and records a tool's calls. */
export interface GovernOptions {
  /**
   * A policy file or directory path, a PolicyDocument (or plain document object), or an
   * evaluator. Optional with a `governance` (or a deployment file) that names a default policy.
   */
  policy?: PolicyInput;
  /** The tool's name in requests and the audit log. Default: the function's name. */
  name?: string;
  /** The agent on whose behalf calls are made (an id, or a full reference). */
  agent?: AgentRef | string;
  /** Where decisions are recorded: an AuditLog, or false for none. Default: the shared in-memory log. */
  audit?: AuditLog | false;
  /** Called with every denial, before GovernanceDenied is thrown. */
  onDeny?: (decision: Decision, request: Readonly<NormalizedRequest>) => void;
  /** Resolves require_approval decisions. Without one, require_approval denies. */
  approvals?: ApprovalHandler;
  /** How long an approval may take; default 5 minutes. A timeout denies. */
  approvalTimeoutMs?: number;
  /** Conflict strategy when govern() builds the evaluator (not with a ready evaluator). */
  conflictStrategy?: ConflictStrategy;
  /** Free-form values conditions can read as `context`. */
  context?: Record<string, unknown>;
  /**
   * Per-call values merged over `context`, made from the call's arguments before the kernel
   * decides (the sandbox tool puts its scan of the submitted code here). What it returns is
   * copied at the kernel's bounds step like any context; a function that throws stops the call
   * (GovernanceConfigError) before anything runs.
   */
  callContext?: (args: unknown) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Guards run before the policy (see {@link Kernel}). */
  guards?: readonly Guard[];
  /** A kernel to share with other tools and adapters (its policy, audit and limits); the options above then only name the tool. */
  kernel?: Kernel;
  /**
   * The deployment (see createGovernance): its policy, audit log and identity verification,
   * with the options above taking precedence. Without `kernel` or `governance`, the deployment
   * file in effect (`$AGT_CONFIG`, else `./agt.config.yaml`) is used when there is one.
   */
  governance?: Governance;
  /** How agents are identified (see KernelOptions.identity); ignored with `kernel`, which has its own. */
  identity?: KernelIdentityOptions;
  /**
   * The identity proof each call carries (see KernelOptions.identity): a fixed proof (a bearer
   * token, an SVID chain), or a function that makes one for each call from its arguments and
   * the tool's name (an `agentProver`). A function that throws or rejects sends no proof, which
   * zero-trust denies.
   */
  proof?: ProofSource;
  /** Agents' lifecycle states (see KernelOptions.lifecycle): share one between tools so a kill stops them all; ignored with `kernel`. */
  lifecycle?: Lifecycle | false;
}

/** A governed tool: same parameters, always async, plus what governs it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function is governable
export type GovernedTool<F extends (...args: any[]) => unknown> = ((...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>) & {
  readonly toolName: string;
  readonly evaluator: PolicyEvaluator;
  readonly audit: AuditLog | null;
  readonly kernel: Kernel;
};

/**
 * Wraps a tool so every call is decided by policy before it runs and its result is checked
 * after. A denied call never reaches the tool and throws {@link GovernanceDenied}. The tool runs
 * with the kernel's frozen copy of its arguments, taken when the call was decided: nothing the
 * caller changes afterwards reaches it. Inside the tool, {@link currentSignal} is the call's
 * AbortSignal: it aborts when the agent is killed (see Kernel.kill).
 *
 * @example
 * const safeTool = govern(myTool, { policy: 'policy.yaml' });
 * await safeTool({ action: 'read', table: 'users' }); // runs
 * await safeTool({ action: 'drop', table: 'users' }); // throws GovernanceDenied
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any function is governable
export function govern<F extends (...args: any[]) => unknown>(tool: F, options: GovernOptions): GovernedTool<F> {
  if (typeof tool !== 'function') throw new GovernanceConfigError('govern() needs a function to wrap');
  if (!options) throw new GovernanceConfigError('govern() needs options.policy: a policy path, document or evaluator');
  const governance = options.kernel ? undefined : (options.governance ?? defaultGovernance() ?? undefined);
  if ((options.policy === undefined || options.policy === null) && !options.kernel && governance?.config.policy == null) {
    throw new GovernanceConfigError('govern() needs options.policy: a policy path, document or evaluator (or a deployment file that names one)');
  }
  const toolName = options.name ?? tool.name;
  if (!toolName) throw new GovernanceConfigError('govern() needs options.name for an anonymous function');
  const settings: Partial<KernelOptions> = {
    ...(options.policy !== undefined && options.policy !== null ? { policy: options.policy } : {}),
    ...(options.audit !== undefined ? { audit: options.audit } : {}),
    ...(options.agent !== undefined ? { agent: options.agent } : {}),
    ...(options.context !== undefined ? { context: options.context } : {}),
    ...(options.approvals !== undefined ? { approvals: options.approvals } : {}),
    ...(options.approvalTimeoutMs !== undefined ? { approvalTimeoutMs: options.approvalTimeoutMs } : {}),
    ...(options.conflictStrategy !== undefined ? { conflictStrategy: options.conflictStrategy } : {}),
    ...(options.guards !== undefined ? { guards: options.guards } : {}),
    ...(options.identity !== undefined ? { identity: options.identity } : {}),
    ...(options.lifecycle !== undefined ? { lifecycle: options.lifecycle } : {}),
  };
  const kernel = options.kernel ?? (governance ? governance.kernel(settings) : new Kernel(settings as KernelOptions));
  const onDeny = options.onDeny;
  const proofSource = options.proof;
  const callContext = options.callContext;

  async function governed(this: unknown, ...callArgs: unknown[]): Promise<unknown> {
    const single = callArgs.length === 1 && isPlainObject(callArgs[0]);
    const action: Action = { tool: toolName, args: single ? callArgs[0] : callArgs.length === 0 ? undefined : { positional: callArgs } };
    if (proofSource !== undefined) {
      const made = proofFor(proofSource, action.args, toolName);
      const proof = made instanceof Promise ? await made : made;
      if (proof !== undefined) action.proof = proof;
    }
    if (callContext !== undefined) action.context = await contextFor(callContext, action.args);
    // The tool gets the kernel's checked copy, spread back into the call's shape, and its
    // AbortSignal through currentSignal() (never as an extra argument: see tool-signal.ts).
    const outcome = await kernel.handle(action, (args, context) => withToolContext(context, () => tool.apply(this, single ? [args] : callArgs.length === 0 ? [] : ((args.positional as unknown[] | undefined) ?? []))));
    if (outcome.kind === 'output') return outcome.output;
    // The tool threw: the caller gets the error as the policy let it through, never its raw text.
    if (outcome.kind === 'failed') throw new ToolFailed(outcome.decision, outcome.error.name, outcome.error.message);
    if (outcome.kind === 'refused') {
      if (onDeny) {
        try {
          onDeny(outcome.decision, outcome.request);
        } catch {
          // A failing observer must not turn a denial into something else.
        }
      }
      throw new GovernanceDenied(outcome.decision);
    }
    // handle() with a run function never answers 'run' or 'approval'; refuse rather than guess.
    throw new GovernanceDenied(outcome.decision, `Action denied: unexpected kernel outcome '${outcome.kind}'`);
  }

  return Object.defineProperties(governed, {
    name: { value: toolName },
    toolName: { value: toolName },
    evaluator: { value: kernel.evaluator },
    audit: { value: kernel.audit },
    kernel: { value: kernel },
  }) as unknown as GovernedTool<F>;
}

/** The call's own context; a maker that fails stops the call before the kernel (nothing runs). */
async function contextFor(make: NonNullable<GovernOptions['callContext']>, args: unknown): Promise<Record<string, unknown>> {
  try {
    return await make(args);
  } catch (error) {
    throw new GovernanceConfigError(`govern(): options.callContext failed, so the call was not made: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    return proto === Object.prototype || proto === null;
  } catch {
    return false; // a proxy that refuses to say: treat it as an opaque value (the bounds step refuses it)
  }
}
