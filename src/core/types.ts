/**
 * The shared vocabulary of the toolkit: what a request looks like, what a decision says.
 * Every layer (policy, audit, kernel, adapters) speaks in these types.
 */

/** What a decision tells the caller to do. */
export type Verdict = 'allow' | 'deny' | 'warn' | 'log' | 'require_approval' | 'transform';

/** Every verdict, most restrictive first: the order `deny_overrides` resolves in. */
export const VERDICTS_BY_RESTRICTIVENESS: readonly Verdict[] = [
  'deny',
  'require_approval',
  'transform',
  'warn',
  'log',
  'allow',
];

/** Verdicts that let the action go ahead without a human. */
export function isAllowingVerdict(verdict: Verdict): boolean {
  return verdict === 'allow' || verdict === 'warn' || verdict === 'log' || verdict === 'transform';
}

/**
 * Where in an agent's turn a request is decided: the Agent Control Specification's eight
 * intervention points, in the order a turn meets them.
 * `agent_startup` and `agent_shutdown` bracket an agent's run; `pre_input` screens inbound text;
 * `pre_model_call` and `post_model_call` see what goes to and comes from the model; `pre_tool`
 * decides a tool call, `post_tool` inspects its result; `pre_output` inspects what the agent is
 * about to say.
 */
export type Stage =
  | 'agent_startup'
  | 'pre_input'
  | 'pre_model_call'
  | 'post_model_call'
  | 'pre_tool'
  | 'post_tool'
  | 'pre_output'
  | 'agent_shutdown';

/** Every stage, in the order a turn meets them. */
export const INTERVENTION_POINTS: readonly Stage[] = ['agent_startup', 'pre_input', 'pre_model_call', 'post_model_call', 'pre_tool', 'post_tool', 'pre_output', 'agent_shutdown'];

/** Stage names accepted on input: ours plus the Agent Control Specification's synonyms. */
export type StageName = Stage | 'input' | 'pre_tool_call' | 'post_tool_call' | 'output';

/**
 * Why a decision failed closed: the `<kind>` of a `runtime_error:<kind>` reason. Stable: tools
 * and alerts key on it.
 */
export type RuntimeErrorKind =
  | 'invalid_request'
  | 'internal'
  | 'no_policy'
  | 'intervention_point_unconfigured'
  | 'tool_unknown'
  | 'condition_error'
  | 'policy_output_invalid'
  | 'transform'
  | 'audit'
  | 'approval'
  | 'identity_mismatch'
  | 'cedar_error'
  | 'cedar_request'
  | 'rego_error'
  | 'rego_malformed'
  | 'rego_undefined'
  | 'rego_timeout'
  | 'rego_memory'
  | 'rego_input'
  | 'opa_error'
  | 'opa_malformed'
  | 'opa_status'
  | 'opa_timeout'
  | 'opa_unreachable'
  | 'remote_engine'
  | 'guard'
  /** A shared state store (the lifecycle's) cannot be read or written: the standing guard denies. */
  | 'state'
  /** The conditions evaluated for one decision spent its evaluation budget (see `defaults.evaluation_budget`). */
  | 'budget';

/** The agent on whose behalf an action is taken. */
export interface AgentRef {
  /** Stable identifier; rate limits and audit entries are keyed by it. */
  id: string;
  did?: string;
  /** Privilege ring, 0 (most privileged) to 3. */
  ring?: number;
  /** Trust score in [0, 1000]. */
  trust?: number;
  roles?: string[];
  [extra: string]: unknown;
}

/** The action being attempted; `type` defaults to the tool name. */
export interface ActionRef {
  type?: string;
  [extra: string]: unknown;
}

/**
 * One request for a decision, as callers write it. Conditions see exactly these names.
 * Missing parts are filled in by normalization (see {@link NormalizedRequest}).
 */
export interface GovernanceRequest {
  stage?: StageName;
  /** The agent, or just its id. */
  agent?: Partial<AgentRef> | string;
  tool_name?: string;
  /** An object with a `type`, or just the type as a string. */
  action?: ActionRef | string;
  args?: Record<string, unknown>;
  input?: unknown;
  output?: unknown;
  context?: Record<string, unknown>;
}

/** A request after validation and defaults: every name a condition may read is bound. */
export interface NormalizedRequest {
  stage: Stage;
  agent: Record<string, unknown>;
  tool_name: string | null;
  action: Record<string, unknown>;
  args: Record<string, unknown>;
  input: unknown;
  output: unknown;
  context: Record<string, unknown>;
}

/** How a transform verdict rewrites the subject of its stage (arguments, or output). */
export interface Transform {
  /** Field paths whose values are replaced by `[REDACTED]`; `*` matches any key or index. */
  redact: string[];
  /** Field path → value to write. */
  set: Record<string, unknown>;
}

/** A rule whose condition held for this request. */
export interface MatchedRule {
  policy: string;
  rule: string;
  verdict: Verdict;
  priority: number;
}

/** Something that went wrong while deciding; the decision says how it counted. */
export interface DecisionError {
  /** What failed; the `<kind>` of a `runtime_error:<kind>` reason when it decided. */
  kind: RuntimeErrorKind;
  message: string;
  policy?: string;
  rule?: string;
}

/** Why a decision came out the way it did (Cedar's `diagnostics` is the model). */
export interface Diagnostics {
  matchedRules: MatchedRule[];
  errors: DecisionError[];
  /**
   * The kernel pipeline step whose answer stands: `policy` when the policy decided and every
   * other step let it through, `limits` for a rate limit, or the name of the guard that ended the
   * request. Absent from a bare `PolicyEvaluator.evaluate`.
   */
  step?: string;
}

/**
 * The answer to a request. Self-explaining: it names the rule and policy that decided, why, and
 * which revision of the policies was loaded.
 */
export interface Decision {
  verdict: Verdict;
  /** True for allow, warn, log and transform; false for deny and (until approved) require_approval. */
  allowed: boolean;
  /** The deciding rule, or null when a document default or a request error decided. */
  rule: string | null;
  /** The deciding policy document, or null when no document was involved. */
  policy: string | null;
  /** Human-readable explanation; runtime failures start with `runtime_error:<kind>`. */
  reason: string;
  /** Same text as `reason` (AGT calls it `message`). */
  message: string;
  approvers: string[];
  transform: Transform | null;
  rateLimited: boolean;
  retryAfterMs: number | null;
  /** Time-ordered unique id (UUIDv7). */
  decisionId: string;
  /** SHA-256 of the loaded policy documents. */
  policyRevision: string;
  stage: Stage;
  /**
   * SHA-256 (hex) of the canonical JSON of what was decided: the stage, tool, action, agent id and
   * the stage's subject (arguments, input or output). Set by the kernel; null from a bare
   * `PolicyEvaluator.evaluate`, which decides without enforcing.
   */
  inputIdentity: string | null;
  /**
   * SHA-256 (hex) of what is enforced: the input after the decision's transform (equal to
   * {@link inputIdentity} without one). An approval binds to it: what runs after approval must
   * hash to it. Set by the kernel; null from a bare evaluate.
   */
  enforcedIdentity: string | null;
  durationUs: number;
  diagnostics: Diagnostics;
  /**
   * Who the kernel's identity step proved the agent to be (absent when no proof was verified:
   * permissive mode without a proof, or a request that failed before or at verification).
   * Recorded in the audit entry; never a key, secret or token.
   */
  identity?: DecisionIdentity;
}

/** The verified identity a decision was made for, as the decision and its audit entry record it. */
export interface DecisionIdentity {
  /** The agent's DID, or its JWT / SPIFFE subject. */
  readonly subject: string;
  /** How the action was proven (`envelope`, `session`, `jwt`, `spiffe-x509`, `spiffe-jwt`). */
  readonly proof: string;
  /** The credential's id (`jti`), when the proof rests on one. */
  readonly credentialId: string | null;
  /** SHA-256 (hex) of the delegation chain, null for a direct credential. */
  readonly delegationDigest: string | null;
}
