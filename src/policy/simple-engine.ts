import { compileGlob, type NameMatcher } from './language/glob.js';

/**
 * AGT TypeScript SDK's simple rule API: an ordered list of `{ action, effect }` rules over action
 * names with `*` and `prefix.*` globs; the first matching rule decides; nothing matching is deny.
 * Rules are compiled once; answers for rule sets without `conditions` are memoized per action
 * name, so a repeated name costs one map lookup.
 */

/** What a simple rule decides. */
export type SimpleEffect = 'allow' | 'deny' | 'require_approval' | 'review';

/** One simple rule: an action name or glob, its effect, and optional exact-match conditions. */
export interface SimpleRule {
  /** Action name or glob: `web_search`, `fs.*`, `*`. */
  action: string;
  effect: SimpleEffect;
  /** Optional: every key must equal (===) the same key of the evaluation context. */
  conditions?: Record<string, unknown>;
}

const MAX_MEMO = 10_000;
const EFFECTS: ReadonlySet<string> = new Set(['allow', 'deny', 'require_approval', 'review']);

/**
 * The simple rule API (AGT's TypeScript SDK shape): `evaluate(action, context?)` answers the
 * effect of the first matching rule, `deny` when none matches.
 *
 * @example
 * new PolicyEngine([{ action: 'fs.*', effect: 'deny' }, { action: '*', effect: 'allow' }]).evaluate('fs.write'); // 'deny'
 */
export class PolicyEngine {
  private readonly rules: { match: NameMatcher; effect: SimpleEffect; conditions?: Record<string, unknown> }[];
  private readonly memo = new Map<string, SimpleEffect>();
  private readonly memoizable: boolean;

  constructor(rules: readonly SimpleRule[] = []) {
    this.rules = rules.map((rule, i) => {
      if (typeof rule?.action !== 'string' || rule.action === '') throw new TypeError(`rules[${i}].action must be a non-empty string`);
      if (!EFFECTS.has(rule.effect)) throw new TypeError(`rules[${i}].effect must be one of ${[...EFFECTS].join(', ')}, got ${JSON.stringify(rule.effect)}`);
      return { match: compileGlob(rule.action), effect: rule.effect, ...(rule.conditions ? { conditions: rule.conditions } : {}) };
    });
    this.memoizable = this.rules.every((rule) => !rule.conditions);
  }

  /** The effect of the first rule matching `action` (and `context`, for rules with conditions); deny if none. */
  evaluate(action: string, context?: Record<string, unknown>): SimpleEffect {
    if (this.memoizable) {
      const known = this.memo.get(action);
      if (known !== undefined) return known;
    }
    let effect: SimpleEffect = 'deny';
    for (const rule of this.rules) {
      if (rule.match(action) && conditionsHold(rule.conditions, context)) {
        effect = rule.effect;
        break;
      }
    }
    if (this.memoizable && typeof action === 'string') {
      if (this.memo.size >= MAX_MEMO) this.memo.clear();
      this.memo.set(action, effect);
    }
    return effect;
  }
}

function conditionsHold(conditions: Record<string, unknown> | undefined, context: Record<string, unknown> | undefined): boolean {
  if (!conditions) return true;
  if (!context) return false;
  return Object.entries(conditions).every(([key, value]) => Object.hasOwn(context, key) && context[key] === value);
}
