import { describeError } from '../core/errors.js';
import type { Decision, NormalizedRequest } from '../core/types.js';

/**
 * Decides a `require_approval` decision: a human, a ticketing system, a chat prompt. It sees the
 * kernel's frozen copy of the request (every name bound): exactly what runs if it approves.
 */
export type ApprovalHandler = (request: Readonly<NormalizedRequest>, decision: Decision) => Promise<'approved' | 'denied'> | 'approved' | 'denied';

/** Default time an approval may take before it counts as a denial: 5 minutes. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60 * 1000;

/** The outcome of asking for approval, with why. Anything but an explicit 'approved' denies. */
export type ApprovalOutcome = { approved: true; reason: string } | { approved: false; reason: string };

/**
 * Asks `handler` and waits at most `timeoutMs`. A timeout, a thrown error, a rejected promise or
 * any answer other than exactly 'approved' is a denial (fail closed).
 */
export async function requestApproval(
  handler: ApprovalHandler | undefined,
  request: Readonly<NormalizedRequest>,
  decision: Decision,
  timeoutMs: number = DEFAULT_APPROVAL_TIMEOUT_MS,
): Promise<ApprovalOutcome> {
  const who = decision.approvers.length ? ` (approvers: ${decision.approvers.join(', ')})` : '';
  if (!handler) return { approved: false, reason: `requires approval${who}, but no approver is configured` };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const answer = await Promise.race([Promise.resolve().then(() => handler(request, decision)), timeout]);
    if (answer === 'approved') return { approved: true, reason: `approved${who}` };
    if (answer === 'timeout') return { approved: false, reason: `approval timed out after ${timeoutMs} ms${who}` };
    return { approved: false, reason: answer === 'denied' ? `approval denied${who}` : `approval handler answered ${typeof answer === 'string' ? JSON.stringify(answer) : `a ${answer === null ? 'null' : typeof answer}`}, not 'approved'${who}` };
  } catch (error) {
    return { approved: false, reason: `approval handler failed: ${describeError(error)}` };
  } finally {
    clearTimeout(timer);
  }
}
