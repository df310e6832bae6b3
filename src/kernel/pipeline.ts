import { describeError } from '../core/errors.js';
import { uuidv7 } from '../core/ids.js';
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
        (decided) => (decided === undefined || decided === null ? runGuards(guards, context, stage, revision, i + 1) : denialOf(guard, decided, stage, revision)),
        (error: unknown) => guardFailed(guard, error, stage, revision),
      );
    }
    if (answer !== undefined && answer !== null) return denialOf(guard, answer, stage, revision);
  }
  const decision = context.decision;
  if (!decision) return failed('guard', 'no guard decided the request', stage, revision);
  decision.diagnostics.step = 'policy';
  return decision;
}

/**
 * The decision a guard ended the request with, rebuilt field by field from what it returned (a
 * guard is code the kernel does not trust to be well-formed): it must be a deny. A guard that
 * answers anything else (an allow would skip the policy) or something unreadable ends the request
 * with `runtime_error:guard`. The result names the guard as the deciding step.
 */
function denialOf(guard: Guard, answer: unknown, stage: Stage, revision: string): Decision {
  try {
    const given = answer as Partial<Decision>;
    if (typeof answer !== 'object' || given.verdict !== 'deny') {
      const what = typeof answer === 'object' ? `verdict '${String(given.verdict)}'` : `a ${typeof answer}`;
      return guardFailed(guard, `answered ${what}: a guard ends a request only with a deny (return undefined to let it continue)`, stage, revision);
    }
    const reason = typeof given.reason === 'string' && given.reason !== '' ? given.reason : `denied by guard '${guard.name}'`;
    const diagnostics = given.diagnostics;
    return {
      verdict: 'deny',
      allowed: false,
      rule: typeof given.rule === 'string' ? given.rule : null,
      policy: typeof given.policy === 'string' ? given.policy : null,
      reason,
      message: reason,
      approvers: [],
      transform: null,
      rateLimited: given.rateLimited === true,
      retryAfterMs: typeof given.retryAfterMs === 'number' && Number.isFinite(given.retryAfterMs) ? given.retryAfterMs : null,
      decisionId: typeof given.decisionId === 'string' && given.decisionId !== '' ? given.decisionId : uuidv7(),
      policyRevision: revision,
      stage,
      durationUs: typeof given.durationUs === 'number' && Number.isFinite(given.durationUs) ? given.durationUs : 0,
      inputIdentity: null,
      enforcedIdentity: null,
      diagnostics: {
        matchedRules: Array.isArray(diagnostics?.matchedRules) ? [...diagnostics.matchedRules] : [],
        errors: Array.isArray(diagnostics?.errors) ? [...diagnostics.errors] : [],
        step: guard.name,
      },
    };
  } catch (error) {
    return guardFailed(guard, `answered something unreadable: ${describeError(error)}`, stage, revision);
  }
}

function guardFailed(guard: Guard, error: unknown, stage: Stage, revision: string): Decision {
  const why = typeof error === 'string' ? error : describeError(error);
  const decision = failed('guard', `guard '${guard.name}' failed: ${why}`, stage, revision);
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
