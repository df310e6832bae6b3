import type { ConflictStrategy, EnginesSpec, PolicyDocumentSpec, PolicyScope } from './schema.js';

/**
 * AGT's programmatic policy classes. They are thin holders: `toSpec()` turns them into the same
 * document shape a YAML file has, which is validated and compiled by the same code. Plain object
 * literals of that shape work wherever these classes do.
 */

/** What a rule prescribes. `AUDIT` and `BLOCK` are AGT's names for `log` and `deny`. */
export const PolicyAction = {
  ALLOW: 'allow',
  DENY: 'deny',
  WARN: 'warn',
  LOG: 'log',
  REQUIRE_APPROVAL: 'require_approval',
  TRANSFORM: 'transform',
  AUDIT: 'audit',
  BLOCK: 'block',
} as const;
export type PolicyAction = (typeof PolicyAction)[keyof typeof PolicyAction];

/** Operators of a structured condition. */
export const PolicyOperator = {
  EQ: 'eq',
  NE: 'ne',
  GT: 'gt',
  GTE: 'gte',
  LT: 'lt',
  LTE: 'lte',
  IN: 'in',
  NOT_IN: 'not_in',
  MATCHES: 'matches',
  CONTAINS: 'contains',
} as const;
export type PolicyOperator = (typeof PolicyOperator)[keyof typeof PolicyOperator];

/** `{ field, operator, value }`: compiled to the CEL expression it means. */
export class PolicyCondition {
  readonly field: string;
  readonly operator: PolicyOperator;
  readonly value: unknown;
  constructor(init: { field: string; operator: PolicyOperator; value: unknown }) {
    this.field = init.field;
    this.operator = init.operator;
    this.value = init.value;
  }
}

/** The fields of a {@link PolicyRule}, as in a policy file. */
export interface PolicyRuleInit {
  name: string;
  /** A CEL string, or a structured condition. Absent: always true. */
  condition?: PolicyCondition | string | { field: string; operator: PolicyOperator; value: unknown };
  action: PolicyAction;
  priority?: number;
  description?: string;
  message?: string;
  stage?: string;
  enabled?: boolean;
  approvers?: string[];
  limit?: string;
  redact?: string[];
  set?: Record<string, unknown>;
}

/** One rule, in AGT's programmatic form. */
export class PolicyRule {
  readonly init: PolicyRuleInit;
  constructor(init: PolicyRuleInit) {
    this.init = init;
  }
  get name(): string {
    return this.init.name;
  }
  toSpec(): Record<string, unknown> {
    const { condition, ...rest } = this.init;
    const spec: Record<string, unknown> = { ...rest };
    if (condition !== undefined) {
      spec.condition = typeof condition === 'string' ? condition : { field: condition.field, operator: condition.operator, value: condition.value };
    }
    return dropUndefined(spec);
  }
}

/** What happens when no rule matches. */
export class PolicyDefaults {
  readonly action: PolicyAction;
  constructor(init: { action: PolicyAction }) {
    this.action = init.action;
  }
}

/** The fields of a {@link PolicyDocument}: a policy file's keys, plus AGT's `defaults`. */
export interface PolicyDocumentInit {
  name: string;
  version?: string;
  description?: string;
  defaults?: PolicyDefaults | { action: PolicyAction };
  default_action?: 'allow' | 'deny';
  rules?: (PolicyRule | PolicyRuleInit)[];
  agents?: string[];
  scope?: PolicyScope;
  conflict_strategy?: ConflictStrategy;
  allowed_tools?: string[];
  denied_tools?: string[];
  blocked_patterns?: string[];
  /** Cedar and Rego engines deciding tool calls beside the rules; paths relative to the working directory. */
  engines?: EnginesSpec;
}

/** A policy document, in AGT's programmatic form; `toSpec()` gives its file form. */
export class PolicyDocument {
  readonly init: PolicyDocumentInit;
  constructor(init: PolicyDocumentInit) {
    this.init = init;
  }
  get name(): string {
    return this.init.name;
  }
  /** The document in file form (`apiVersion: governance.toolkit/v1`), ready for validation. */
  toSpec(): Partial<PolicyDocumentSpec> & Record<string, unknown> {
    const { defaults, rules, ...rest } = this.init;
    const spec: Record<string, unknown> = { apiVersion: 'governance.toolkit/v1', ...rest };
    if (defaults !== undefined) spec.default_action = defaults.action;
    if (rules !== undefined) spec.rules = rules.map((rule) => (rule instanceof PolicyRule ? rule.toSpec() : new PolicyRule(rule).toSpec()));
    return dropUndefined(spec);
  }
}

function dropUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
