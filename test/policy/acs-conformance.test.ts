import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyLoadError } from '../../src/core/errors.js';
import type { RequestLimits } from '../../src/core/limits.js';
import type { Decision, Stage } from '../../src/core/types.js';
import { applyTransform } from '../../src/kernel/transform.js';
import { SUBJECT_OF as SUBJECT } from '../../src/policy/document/points.js';
import { loadPolicies } from '../../src/policy/loader.js';
import { tree } from './engines/tree.js';

/**
 * The Agent Control Specification's conformance cases, translated into our format
 * (test/fixtures/acs/): every case that can be expressed is decided by the evaluator and must
 * come out as the specification says, in our terms. A case names the ACS reason it stands for
 * (`acs_reason`) and the prefix of ours (`reason_prefix`).
 */

interface AcsExpectation {
  verdict?: Decision['verdict'];
  reason?: string;
  reason_prefix?: string;
  acs_reason?: string;
  rule?: string;
  transform?: null;
  apply_transform?: boolean;
  transformed?: unknown;
  subject?: unknown;
  action_identity?: 'present';
  /** Checked by the kernel (test/kernel/acs-identity.test.ts): an approval spent on other arguments. */
  approval_mismatch?: { args: Record<string, unknown>; reason_prefix: string; acs_reason: string };
  /** post_tool: the same request naming a tool outside the catalog gets this verdict. */
  unknown_tool_verdict?: Decision['verdict'];
  load_error?: { code: string; key: string; line: number; column: number };
}

interface AcsCase {
  id: string;
  title: string;
  source: string;
  unexpressible?: string;
  files?: Record<string, string>;
  limits?: RequestLimits;
  request?: Record<string, unknown>;
  expect?: AcsExpectation;
  notes?: string;
}

const FIXTURES = join(import.meta.dirname, '../fixtures/acs');
const CASES: AcsCase[] = readdirSync(FIXTURES)
  .filter((name) => name.startsWith('spec-') && name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as AcsCase);
const IDENTITY = (JSON.parse(readFileSync(join(FIXTURES, 'identity.json'), 'utf8')) as { cases: string[] }).cases;

const expressible = CASES.filter((c) => c.unexpressible === undefined);

describe('ACS conformance (translated cases)', () => {
  it('holds all 25 cases, each naming its source, and says why a case cannot be expressed', () => {
    expect(CASES).toHaveLength(25);
    for (const c of CASES) {
      expect(c.source, c.id).toContain(`${c.id}.json`);
      if (c.unexpressible !== undefined) expect(c.files, c.id).toBeUndefined();
      else expect(c.request !== undefined || c.expect?.load_error !== undefined, c.id).toBe(true);
    }
    expect(CASES.filter((c) => c.unexpressible !== undefined).map((c) => c.id)).toEqual(['spec-10-annotators.case-01']);
  });

  it('identity.json lists exactly the expressible cases that expect an action identity (checked by the kernel)', () => {
    expect(IDENTITY).toEqual(expressible.filter((c) => c.expect?.action_identity === 'present').map((c) => c.id));
  });

  for (const c of expressible) {
    it(`${c.id}: ${c.title}`, () => {
      const expected = c.expect as AcsExpectation;
      const root = tree(c.files ?? {});
      const load = () => loadPolicies(join(root, 'policy.yaml'), c.limits ? { limits: c.limits } : {});
      if (expected.load_error) {
        let issues: PolicyLoadError['issues'] = [];
        try {
          load();
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyLoadError);
          issues = (error as PolicyLoadError).issues;
        }
        expect(issues.filter((i) => i.severity === 'error')).toEqual([expect.objectContaining({ ...expected.load_error, file: expect.stringMatching(/policy\.yaml$/) as string, hint: expect.any(String) as string })]);
        return;
      }
      const evaluator = load();
      const decision = evaluator.evaluate(c.request);
      if (expected.verdict !== undefined) expect(decision.verdict).toBe(expected.verdict);
      if (expected.reason !== undefined) expect(decision.reason).toBe(expected.reason);
      if (expected.reason_prefix !== undefined) expect(decision.reason.startsWith(expected.reason_prefix), decision.reason).toBe(true);
      if (expected.rule !== undefined) expect(decision.rule).toBe(expected.rule);
      if (expected.transform === null) expect(decision.transform).toBeNull();
      // the evaluator leaves identities to the kernel: these cases are listed for its tests
      if (expected.action_identity === 'present') expect([decision.inputIdentity, decision.enforcedIdentity, IDENTITY.includes(c.id)]).toEqual([null, null, true]);
      // decisions never echo the subject; what the policy saw is the request's
      if (expected.subject !== undefined) expect(c.request?.[SUBJECT[decision.stage]]).toEqual(expected.subject);
      if (expected.transformed !== undefined) {
        const subject = c.request?.[SUBJECT[decision.stage as Stage]];
        const before = structuredClone(subject);
        const transformed = applyTransform(subject, decision.transform as NonNullable<Decision['transform']>, decision.stage);
        expect(transformed).toEqual(expected.transformed);
        expect(subject, 'applyTransform works on a copy: the request is untouched').toEqual(before);
      }
      if (expected.unknown_tool_verdict !== undefined) {
        expect(evaluator.evaluate({ ...c.request, tool_name: 'not_in_catalog' }).verdict).toBe(expected.unknown_tool_verdict);
      }
    });
  }
});
