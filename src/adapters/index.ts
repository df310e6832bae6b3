/**
 * The framework-neutral core the adapters share. Each framework's adapter is its own subpath
 * (`agent-governance-toolkit/mcp`, `/ai-sdk`, `/openai-agents`, `/langchain`, `/mastra`), so importing this
 * or the main entry never loads a framework.
 */
export { ToolCallGovernor, refusalOf } from './tool-call.js';
export type { AdapterOptions, ClearedCall, ContentOutcome, PendingApproval, PostToolOutcome, PreToolOutcome, Refusal, Refused, ToolCall } from './tool-call.js';

import { canonicalJson } from '../core/canonical-json.js';
import { derive } from '../kernel/kernel.js';
import { refusalOf, type ClearedCall, type Refused, type ToolCallGovernor } from './tool-call.js';

/**
 * Calls the policy cleared but the tool's own approval check (`needsApproval` in the AI SDK and
 * the OpenAI Agents SDK) sends to a human anyway: the developer's check and the policy combine,
 * either asks. The governor holds approvals only for a require_approval verdict, so these are
 * held here, and the human's answer is recorded in the governor's audit log as a decision
 * derived from the policy's own (allow/deny with the reason). At most {@link MAX_ASKED} are kept;
 * an evicted call has no approval behind it, so its run is refused (fail closed).
 *
 * @internal shared by the adapters; the governor may take this over (see the adapters' notes).
 */
export class DeveloperApprovals {
  private readonly asked = new Map<string, { cleared: ClearedCall; approved: boolean }>();
  constructor(private readonly governor: ToolCallGovernor) {}

  /** Holds a cleared call for the human (recorded as require_approval by the tool's own check). */
  hold(callId: string, cleared: ClearedCall): void {
    const decision = this.governor.kernel.record(cleared.request, derive(cleared.decision, 'require_approval', "the tool's own approval check asks a human"));
    this.asked.delete(callId);
    if (this.asked.size >= MAX_ASKED) {
      const oldest = this.asked.keys().next();
      if (!oldest.done) this.asked.delete(oldest.value);
    }
    this.asked.set(callId, { cleared: { ...cleared, decision }, approved: false });
  }

  /** Whether a call waits here for the human, or was approved and waits for its run. */
  has(callId: string): boolean {
    return this.asked.has(callId);
  }

  /** Records the human's answer; false when no call waits under this id. */
  settle(callId: string, approved: boolean, reason?: string): boolean {
    const held = this.asked.get(callId);
    if (!held || held.approved) return false;
    const why = reason ?? (approved ? 'approved' : 'approval denied');
    this.governor.kernel.record(held.cleared.request, derive(held.cleared.decision, approved ? 'allow' : 'deny', why));
    if (approved) held.approved = true;
    else this.asked.delete(callId);
    return true;
  }

  /**
   * Takes a held call for its run: the cleared call if a human approved it with these very
   * arguments; a recorded refusal if it waits unanswered (approved around governance) or its
   * arguments changed; undefined if nothing is held here (the run is decided as usual).
   */
  async take(callId: string, args: unknown): Promise<ClearedCall | Refused | undefined> {
    const held = this.asked.get(callId);
    if (!held) return undefined;
    this.asked.delete(callId);
    const why = !held.approved ? NOT_RECORDED : digest(args) !== digest(held.cleared.request.args ?? {}) ? 'the arguments changed after the human approved the call' : undefined;
    if (why === undefined) return held.cleared;
    const decision = this.governor.kernel.record(held.cleared.request, derive(held.cleared.decision, 'deny', why));
    await this.governor.audit?.durable()?.catch(() => undefined);
    return { kind: 'refuse', refusal: refusalOf(decision), decision };
  }
}

/** The most calls {@link DeveloperApprovals} holds at once. */
export const MAX_ASKED = 10_000;

const NOT_RECORDED = 'requires approval, and no approval was recorded through governance for this call';

function digest(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return `\u0000unreadable:${Math.random()}`;
  }
}
