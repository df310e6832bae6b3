import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionIdentity } from '../../src/core/identity.js';
import type { GovernanceRequest } from '../../src/core/types.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

/**
 * The ACS conformance cases whose point is the action identity (test/fixtures/acs/identity.json):
 * the evaluator's part is checked in test/policy/acs-conformance.test.ts; here the kernel decides
 * them and must stamp both identities, and bind an approval to the identity it approved.
 */

interface IdentityCase {
  id: string;
  files: Record<string, string>;
  request: GovernanceRequest & { input?: unknown; output?: unknown };
  expect: {
    verdict: string;
    transformed?: unknown;
    approval_mismatch?: { args: Record<string, unknown>; reason_prefix: string };
  };
}

const FIXTURES = join(import.meta.dirname, '../fixtures/acs');
const IDS = (JSON.parse(readFileSync(join(FIXTURES, 'identity.json'), 'utf8')) as { cases: string[] }).cases;
const CASES = IDS.map((id) => JSON.parse(readFileSync(join(FIXTURES, `${id}.json`), 'utf8')) as IdentityCase);
const HEX = /^[0-9a-f]{64}$/;

describe('ACS action identity, through the kernel', () => {
  it('covers the six identity cases', () => {
    expect(CASES.map((c) => c.id)).toHaveLength(6);
  });

  for (const c of CASES) {
    it(`${c.id}: the decision carries the identity of what it decided and of what is enforced`, () => {
      const kernel = new Kernel({ policy: PolicyEvaluator.fromYaml(c.files['policy.yaml'] as string), audit: false });
      const decision = kernel.decide(c.request);
      expect(decision.verdict).toBe(c.expect.verdict);
      expect(decision.inputIdentity).toMatch(HEX);
      expect(decision.enforcedIdentity).toMatch(HEX);
      // Deterministic: the same request decided again has the same identity.
      expect(kernel.decide(c.request).inputIdentity).toBe(decision.inputIdentity);
      const subject = c.request.input ?? c.request.output ?? c.request.args ?? {};
      const parts = { stage: decision.stage, tool: c.request.tool_name ?? null, agent: 'anonymous' };
      expect(decision.inputIdentity).toBe(actionIdentity({ ...parts, action: c.request.tool_name ?? null, subject }));
      if (c.expect.transformed !== undefined) {
        expect(decision.enforcedIdentity).not.toBe(decision.inputIdentity);
        expect(decision.enforcedIdentity).toBe(actionIdentity({ ...parts, action: c.request.tool_name ?? null, subject: c.expect.transformed }));
      } else {
        expect(decision.enforcedIdentity).toBe(decision.inputIdentity);
      }
    });
  }

  for (const c of CASES.filter((k) => k.expect.approval_mismatch)) {
    it(`${c.id}: an approval bound to one action identity, spent on another, fails closed`, async () => {
      const mismatch = c.expect.approval_mismatch as NonNullable<IdentityCase['expect']['approval_mismatch']>;
      const kernel = new Kernel({ policy: PolicyEvaluator.fromYaml(c.files['policy.yaml'] as string), audit: false });
      const action = { tool: c.request.tool_name as string, args: c.request.args, callId: 'approval-1' };
      expect((await kernel.handle(action)).kind).toBe('approval');
      expect((await kernel.settle('approval-1', true)).kind).toBe('run');
      let ran = false;
      const outcome = await kernel.handle({ ...action, args: mismatch.args }, () => (ran = true));
      expect(ran).toBe(false);
      expect(outcome.kind === 'refused' && outcome.decision.reason.startsWith(mismatch.reason_prefix)).toBe(true);
    });
  }
});
