import { PolicyDocument, PolicyEvaluator, loadPoliciesSync, type ConflictStrategy } from '../policy/index.js';

/** Where a governed tool or adapter gets its policy: a path, a document, or a ready evaluator. */
export type PolicyInput = string | PolicyEvaluator | PolicyDocument | Record<string, unknown>;

/**
 * The evaluator for a policy source. Paths load synchronously (once, at wrap time), so a wrapped
 * tool or adapter is ready as soon as it exists.
 */
export function evaluatorFor(policy: PolicyInput, conflictStrategy?: ConflictStrategy): PolicyEvaluator {
  if (policy instanceof PolicyEvaluator) {
    if (conflictStrategy) throw new TypeError('conflictStrategy applies when the evaluator is built here; pass it to your PolicyEvaluator instead');
    return policy;
  }
  const options = conflictStrategy ? { conflictStrategy } : {};
  if (typeof policy === 'string') return loadPoliciesSync(policy, options);
  if (policy instanceof PolicyDocument || (typeof policy === 'object' && policy !== null)) return new PolicyEvaluator({ policies: [policy], ...options });
  throw new TypeError('options.policy must be a path, a policy document or a PolicyEvaluator');
}
