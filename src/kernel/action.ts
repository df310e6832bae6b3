import { deniedMessage } from '../core/errors.js';
import type { AgentRef, Decision, NormalizedRequest, Stage, StageName, Verdict } from '../core/types.js';

/**
 * One thing an agent is about to do, as a caller (govern(), an adapter, a server) hands it to
 * {@link Kernel.handle}. Everything the caller passes is copied once, at the bounds step; the
 * kernel never reads the caller's objects again.
 */
export interface Action {
  /** The intervention point; default `pre_tool`. ACS names (`pre_tool_call`, `output`, ...) are accepted. */
  point?: StageName;
  /** The tool's name, at the tool points. */
  tool?: string;
  /** The tool call's arguments: only a JSON object (or nothing) can run. */
  args?: unknown;
  /** The action type conditions see as `action.type`; default `args.action` when a string, else the tool name. */
  action?: string;
  /**
   * What is decided at a content point: the text or messages going in (`agent_startup`,
   * `pre_input`, `pre_model_call`, `agent_shutdown`) or coming out (`post_model_call`,
   * `pre_output`), or a tool's result at `post_tool`.
   */
  content?: unknown;
  /** The agent, when not the kernel's own. */
  agent?: AgentRef | string;
  /**
   * The framework's id for this call. A decision made now and run later (a framework that asks
   * "does this need approval?" before it runs the tool) is held under it and the decided tool name.
   */
  callId?: string;
  /** Per-call values merged over the kernel's `context`. */
  context?: Record<string, unknown>;
  /**
   * The action's identity proof (e.g. `{ kind: 'jwt', token }`), for the kernel's identity
   * verifier. JSON data, copied and bounded like the arguments; never part of the request
   * conditions see, and never recorded (the decision records who it proved, not the proof).
   */
  proof?: unknown;
}

/**
 * What the kernel hands a tool beside its arguments. `signal` aborts when the call's agent is
 * killed (and, through an adapter, when the framework cancels the call); a tool that awaits I/O
 * should pass it on (`fetch(url, { signal })`), since a tool that ignores it cannot be stopped
 * in-process. The signal is made on first read, so a tool that never reads it costs nothing.
 */
export interface ToolRunContext {
  readonly signal: AbortSignal;
}

/**
 * Runs the governed tool with the kernel's checked (and transformed) copy of the arguments, and
 * the run's context (its AbortSignal). A tool that takes only its arguments still fits.
 */
export type RunTool = (args: Readonly<Record<string, unknown>>, context: ToolRunContext) => unknown;

/**
 * What the model (or the caller) is told when governance stops something: readable text plus
 * the fields an operator needs to find the decision in the audit log.
 */
export interface Refusal {
  denied: true;
  /** e.g. "Action denied by policy rule 'block-drop': Destructive operations need approval". */
  message: string;
  verdict: Verdict;
  rule: string | null;
  policy: string | null;
  reason: string;
  decisionId: string;
  stage: Stage;
}

/** A tool call cleared to run later, with the arguments it must run with (transforms applied). */
export interface Cleared {
  kind: 'run';
  tool: string;
  /** The kernel's frozen copy, transformed: exactly what was decided. */
  args: Readonly<Record<string, unknown>>;
  request: NormalizedRequest;
  decision: Decision;
}

/** A call held for a human: answer it with {@link Kernel.settle}. */
export interface Held {
  kind: 'approval';
  /** The framework's call id, or one minted here. */
  id: string;
  tool: string;
  /** The kernel's frozen copy of the arguments as checked: exactly these run if approved, with the decision's transform applied. */
  args: Readonly<Record<string, unknown>>;
  request: NormalizedRequest;
  decision: Decision;
}

/** Something that does not go ahead; `refusal` is what to tell the model. */
export interface Refused {
  kind: 'refused';
  refusal: Refusal;
  decision: Decision;
  /** The request as the kernel read it (frozen), or as far as it could be read. */
  request: NormalizedRequest;
}

/** What went through: a tool's result after its output checks, or content (maybe rewritten). */
export interface Passed {
  kind: 'output';
  output: unknown;
  decision: Decision;
}

/**
 * A tool that threw (when the kernel ran it). What it threw was decided at post_tool as the output
 * `{ error: { name, message } }` and recorded; `error` is that output as the policy let it through
 * (a redaction rule rewrites `error.message`). A deny rule on it makes the outcome `refused`.
 */
export interface Failed {
  kind: 'failed';
  error: { name: string; message: string };
  decision: Decision;
}

/** What {@link Kernel.handle} answers: a discriminated union callers translate into their idiom. */
export type Outcome = Cleared | Held | Refused | Passed | Failed;

/** The refusal a model reads for a decision that stopped something. */
export function refusalOf(decision: Decision): Refusal {
  return {
    denied: true,
    message: deniedMessage(decision),
    verdict: decision.verdict,
    rule: decision.rule,
    policy: decision.policy,
    reason: decision.reason,
    decisionId: decision.decisionId,
    stage: decision.stage,
  };
}
