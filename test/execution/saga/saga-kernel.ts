import { AuditLog } from '../../../src/audit/audit-log.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../../src/policy/index.js';
import type { SagaError } from '../../../src/execution/saga/index.js';

/**
 * A real policy and kernel for the saga tests: everything is allowed except `db.drop` (a policy
 * deny with a rule name) and `mail.send` output that mentions a card number (withheld at
 * post_tool, after the tool ran).
 */
export const POLICY = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: saga-tests
default_action: allow
rules:
  - name: no-drops
    condition: "tool_name == 'db.drop'"
    action: deny
    description: "Dropping tables is not allowed"
  - name: no-card-numbers-out
    stage: post_tool
    condition: "tool_name == 'mail.send' && string(output).contains('4242')"
    action: deny
    description: "Card numbers never leave in a result"
`);

/** A kernel on a fresh in-memory audit log (or the one given). */
export function sagaKernel(audit: AuditLog = new AuditLog()): { kernel: Kernel; audit: AuditLog } {
  return { kernel: new Kernel({ policy: POLICY, audit, agent: 'shop-bot' }), audit };
}

/** What a promise rejected with (fails the test if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<SagaError> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error as SagaError,
  );
}

/** The saga entries of a log, as `action tool` lines (the kernel's own decisions left out). */
export function sagaTrail(audit: AuditLog): string[] {
  return audit.entries().filter((e) => e.tool?.startsWith('saga.')).map((e) => `${e.actionType} ${e.tool}`);
}
