import { expect } from 'vitest';
import { PolicyLoadError, type PolicyIssue } from '../../src/core/errors.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

/** The error issues a policy written as `policy.yaml` is refused with; fails the test if it loads. */
export function issuesOf(yaml: string): PolicyIssue[] {
  try {
    PolicyEvaluator.fromYaml(yaml, { origin: 'policy.yaml' });
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyLoadError);
    return (error as PolicyLoadError).issues.filter((i) => i.severity === 'error');
  }
  throw new Error('expected the policy to be rejected');
}
