import { recordDecision } from '../../core/failed-decision.js';
import type { Stage } from '../../core/types.js';
import type { SagaKernel } from './options.js';

/** One entry a saga writes about itself (a step's outcome, a compensation attempt, its end). */
export interface SagaEntry {
  /** `saga.<name>.step.<step>`, `saga.<name>.compensate.<step>` or `saga.<name>.end`. */
  tool: string;
  /** What happened, as the entry's action type: `saga.step.done`, `saga.compensation.timed_out`, ... */
  action: string;
  reason: string;
  /** Ids only (the entry records their digest): saga id, step, attempt. Never a step's arguments or errors. */
  args: Record<string, unknown>;
  stage?: Stage;
}

/**
 * Appends a saga entry to the kernel's audit log with `kernel.record`, not `kernel.handle`: a
 * compensation undoes what governance already let through, so no guard may stop it (a killed or
 * suspended agent's standing would deny it, leaving half a transaction behind). The entry has
 * verdict `log`, names no rule or policy, and says `saga` as its deciding step. Returns whether
 * the log took it (and, awaited, committed it).
 */
export async function recordSagaEntry(kernel: SagaKernel, agent: string | undefined, entry: SagaEntry): Promise<boolean> {
  const decision = recordDecision({ verdict: 'log', reason: entry.reason, stage: entry.stage ?? 'post_tool', policyRevision: kernel.evaluator.revision, step: 'saga' });
  try {
    const recorded = kernel.record({ stage: decision.stage, tool_name: entry.tool, action: entry.action, args: entry.args, ...(agent === undefined ? {} : { agent }) }, decision);
    if (!recorded.allowed) return false;
    const confirmed = await kernel.confirm(recorded);
    return confirmed.allowed;
  } catch {
    return false;
  }
}
