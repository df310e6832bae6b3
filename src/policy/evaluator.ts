import type { PolicyDocument } from './document/document.js';
import { parsePolicyText, validatePolicyData, type PolicySource } from './document/source.js';
import { compileWithEngines } from './engines/load-engines.js';
import { CompiledEvaluator, type EvaluatorOptions } from './evaluate/evaluator.js';

export type { EvaluatorOptions } from './evaluate/evaluator.js';

/**
 * The public evaluator: the stages composed. Documents are validated (document/), their engines
 * loaded with whatever file and process I/O that takes (engines/), the whole compiled (compile/),
 * and requests are decided by the compiled set (evaluate/, which holds the deciding methods).
 */

/** What `new PolicyEvaluator(...)` accepts: documents (class instances or plain objects) and options. */
export interface PolicyEvaluatorInit extends EvaluatorOptions {
  policies: readonly (PolicyDocument | Record<string, unknown>)[];
}

/**
 * Decides requests against compiled policy documents. Build one with `new PolicyEvaluator({ policies })`,
 * {@link PolicyEvaluator.fromYaml} or `loadPolicies()`; `evaluate(request)` is synchronous, never
 * throws, and returns a {@link Decision} naming the rule, the policy and the reason.
 *
 * The evaluator is the kernel's pure "policy" step: no clock, no counters, no side effects. Rate
 * limits are stated here ({@link rateLimitsOf}) and applied after it (the kernel's limits step, or
 * `limitDecision` from the reliability module).
 *
 * @example
 * const evaluator = PolicyEvaluator.fromYaml(yamlText);
 * evaluator.evaluate({ tool_name: 'db', action: { type: 'drop' } }).verdict; // 'deny'
 */
export class PolicyEvaluator extends CompiledEvaluator {
  constructor(init: PolicyEvaluatorInit | { sources: readonly PolicySource[]; options?: EvaluatorOptions }) {
    let options: EvaluatorOptions;
    let sources: readonly PolicySource[];
    if ('sources' in init) {
      sources = init.sources;
      options = init.options ?? {};
    } else {
      sources = init.policies.map((doc, i) => validatePolicyData(toPlain(doc), `<policies[${i}]>`));
      options = init;
    }
    super(compileWithEngines(sources), options);
  }

  /** Builds an evaluator from one policy document in YAML (or JSON) text. */
  static fromYaml(text: string, options: EvaluatorOptions & { origin?: string } = {}): PolicyEvaluator {
    return new PolicyEvaluator({ sources: [parsePolicyText(text, options.origin ?? '<yaml>')], options });
  }
}

function toPlain(doc: PolicyDocument | Record<string, unknown>): unknown {
  return typeof (doc as PolicyDocument).toSpec === 'function' ? (doc as PolicyDocument).toSpec() : doc;
}
