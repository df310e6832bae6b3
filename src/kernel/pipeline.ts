import { describeError } from '../core/errors.js';
import type { Decision, Stage } from '../core/types.js';
import type { PolicyEvaluator } from '../policy/index.js';
import { countsAgainstLimits, limitDecision, type RateLimiter } from '../reliability/rate-limits.js';
import { failed } from './decisions.js';
import type { Guard, GuardContext } from './guards.js';

/**
 * Runs the guards in order and stops at the first that ends the request. Synchronous while every
 * guard answers synchronously; the first promise makes the rest wait for it. A guard that throws
 * or rejects ends the request with a deny naming it (fail closed).
 */
export function runGuards(guards: readonly Guard[], context: GuardContext, stage: Stage, revision: string, from = 0): Decision | Promise<Decision> {
  for (let i = from; i < guards.length; i++) {
    const guard = guards[i] as Guard;
    let answer: Decision | undefined | Promise<Decision | undefined>;
    try {
      answer = guard.check(context);
    } catch (error) {
      return guardFailed(guard, error, stage, revision);
    }
    if (answer instanceof Promise) {
      return answer.then(
        (decided) => (decided ? endedBy(guard, decided) : runGuards(guards, context, stage, revision, i + 1)),
        (error: unknown) => guardFailed(guard, error, stage, revision),
      );
    }
    if (answer) return endedBy(guard, answer);
  }
  const decision = context.decision;
  if (!decision) return failed('guard', 'no guard decided the request', stage, revision);
  decision.diagnostics.step = 'policy';
  return decision;
}

/** Names the step whose answer ended the request in the decision's diagnostics (a guard's own decision is copied, never changed). */
function endedBy(guard: Guard, decision: Decision): Decision {
  if (decision.diagnostics?.step === guard.name) return decision;
  return { ...decision, diagnostics: { ...decision.diagnostics, step: guard.name } };
}

function guardFailed(guard: Guard, error: unknown, stage: Stage, revision: string): Decision {
  const decision = failed('guard', `guard '${guard.name}' failed: ${describeError(error)}`, stage, revision);
  decision.diagnostics.step = guard.name;
  return decision;
}

/** Ends the request unless the verdict lets it continue (an allowing verdict, or a hold for approval). */
function ends(decision: Decision): Decision | undefined {
  return decision.allowed || decision.verdict === 'require_approval' ? undefined : decision;
}

/** The policy step: rules, Cedar and Rego decide; a deny ends the request. */
export function policyGuard(evaluator: PolicyEvaluator): Guard {
  return {
    name: 'policy',
    check(context) {
      if (evaluator.needsAsync) {
        return evaluator.evaluateAsync(context.request).then((decision) => {
          context.decision = decision;
          return ends(decision);
        });
      }
      const decision = evaluator.evaluate(context.request);
      context.decision = decision;
      return ends(decision);
    },
  };
}

/**
 * The rate-limit step: a call that goes ahead (or waits for a human) counts once against the
 * limit of every rule it matched, atomically; one over any limit is denied and counts against none.
 */
export function limitsGuard(evaluator: PolicyEvaluator, limiter: RateLimiter): Guard {
  return {
    name: 'limits',
    check(context) {
      const decision = context.decision;
      if (!decision || !countsAgainstLimits(decision.verdict)) return undefined;
      const specs = evaluator.rateLimitsOf(decision);
      if (specs.length === 0) return undefined;
      const outcome = limiter.consume(context.agentId, specs);
      return outcome.exceeded ? limitDecision(decision, outcome) : undefined;
    },
  };
}
