import { z } from 'zod';

/**
 * The policy document format (`apiVersion: governance.toolkit/v1`), as a zod schema. It is the
 * single source of truth for validation and for the published JSON Schema (schema/policy.schema.json).
 * AGT's earlier format (`version: "1.0"`, `defaults: { action }`, structured conditions, the
 * `audit` and `block` actions) is accepted too, so existing AGT policy files load unchanged.
 */

/** The current document format. */
export const API_VERSION = 'governance.toolkit/v1';

/** What a rule can prescribe. */
export const RULE_ACTIONS = ['allow', 'deny', 'warn', 'log', 'require_approval', 'transform'] as const;
/** AGT's action names that mean one of ours. */
export const ACTION_ALIASES: Readonly<Record<string, (typeof RULE_ACTIONS)[number]>> = { audit: 'log', block: 'deny' };
/** Stage names a rule may give, ours and the Agent Control Specification's. */
export const STAGES = ['pre_input', 'pre_tool', 'post_tool', 'pre_output', 'input', 'pre_tool_call', 'post_tool_call', 'output'] as const;
/** Document scopes, broadest first. */
export const SCOPES = ['global', 'organization', 'tenant', 'agent'] as const;
/** How the matched rules of a request are resolved to one verdict. */
export const CONFLICT_STRATEGIES = ['deny_overrides', 'allow_overrides', 'priority_first_match', 'most_specific_wins'] as const;
/** Operators of AGT's structured conditions. */
export const OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'not_in', 'matches', 'contains'] as const;
/** A rule's `limit`: N per second, minute, hour or day. */
export const LIMIT_PATTERN = /^\s*([1-9][0-9]{0,8})\s*\/\s*(second|minute|hour|day)s?\s*$/;

const ruleAction = z.enum([...RULE_ACTIONS, ...Object.keys(ACTION_ALIASES)] as [string, ...string[]]);
const defaultAction = z.enum(['allow', 'deny', 'block', 'audit']);
const nonEmpty = z.string().min(1, 'must not be empty');
const stringList = z.array(nonEmpty);

export const structuredConditionSchema = z.strictObject({
  field: nonEmpty.describe("Request field to test, e.g. 'tool_name', 'args.rows', 'agent.id'"),
  operator: z.enum(OPERATORS),
  value: z.unknown().describe('Literal to compare against: string, number, boolean, null, or a list of those'),
});

export const ruleSchema = z
  .strictObject({
    name: nonEmpty.describe('Unique within the document'),
    description: z.string().optional(),
    condition: z
      .union([z.string(), structuredConditionSchema])
      .optional()
      .describe('CEL (or AGT Python-style) boolean expression; absent means always true'),
    stage: z.enum(STAGES).optional().describe('Default pre_tool'),
    action: ruleAction,
    priority: z.number().int().optional().describe('Higher first; default 0'),
    enabled: z.boolean().optional(),
    approvers: stringList.optional(),
    message: z.string().optional(),
    limit: z.string().regex(LIMIT_PATTERN, 'must look like "10/minute" (N/second|minute|hour|day)').optional(),
    redact: stringList.optional().describe('transform: field paths to replace with [REDACTED]'),
    set: z.record(z.string(), z.unknown()).optional().describe('transform: field path → value'),
  })
  // Custom checks name their issue's stable code in `params.code` (see PolicyIssue.code).
  .superRefine((rule, ctx) => {
    const isTransform = rule.action === 'transform';
    if (isTransform && !rule.redact && !rule.set) {
      ctx.addIssue({ code: 'custom', path: ['action'], message: 'a transform rule needs `redact` or `set`', params: { code: 'invalid-transform' } });
    }
    if (!isTransform) {
      for (const key of ['redact', 'set'] as const) {
        if (rule[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `\`${key}\` only applies to action: transform`, params: { code: 'invalid-transform' } });
      }
    }
    rule.redact?.forEach((path, i) => {
      const problem = fieldPathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', path: ['redact', i], message: problem, params: { code: 'invalid-transform' } });
    });
    for (const path of Object.keys(rule.set ?? {})) {
      const problem = fieldPathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', path: ['set', path], message: problem, params: { code: 'invalid-transform' } });
    }
  });

/** Why a transform field path is unusable, or null: dotted names, `*` for any key, no prototype keys. */
function fieldPathProblem(path: string): string | null {
  const segments = path.split('.');
  if (segments.some((segment) => segment === '')) return `field path '${path}' has an empty segment`;
  const unsafe = segments.find((segment) => segment === '__proto__' || segment === 'constructor' || segment === 'prototype');
  return unsafe ? `field path '${path}' may not use '${unsafe}'` : null;
}

export const documentSchema = z
  .strictObject({
    apiVersion: z.enum([API_VERSION, '1.0']).optional(),
    name: nonEmpty,
    description: z.string().optional(),
    version: z.union([z.string(), z.number()]).optional(),
    extends: z.union([nonEmpty, z.array(nonEmpty)]).optional().describe('Parent policy file(s), relative to this file'),
    agents: stringList.optional().describe("Agent ids (globs) this document applies to; '*' = any"),
    scope: z.enum(SCOPES).optional(),
    default_action: defaultAction.optional().describe('Applies to tool calls no rule matched; default deny'),
    defaults: z
      .strictObject({
        action: defaultAction.optional(),
        max_tokens: z.number().optional(),
        max_tool_calls: z.number().optional(),
        confidence_threshold: z.number().optional(),
      })
      .optional()
      .describe('AGT 1.0 form of default_action'),
    conflict_strategy: z.enum(CONFLICT_STRATEGIES).optional(),
    allowed_tools: stringList.optional(),
    denied_tools: stringList.optional(),
    blocked_patterns: stringList.optional().describe('RE2 regexes applied to inbound text at the input stage'),
    rules: z.array(ruleSchema).optional(),
  })
  .superRefine((doc, ctx) => {
    if (doc.default_action !== undefined && doc.defaults?.action !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['defaults', 'action'], message: 'set default_action or defaults.action, not both', params: { code: 'conflicting-defaults' } });
    }
    const seen = new Map<string, number>();
    doc.rules?.forEach((rule, index) => {
      const first = seen.get(rule.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'name'],
          message: `duplicate rule name '${rule.name}' (first used by rules[${first}])`,
          params: { code: 'duplicate-rule-name' },
        });
      } else {
        seen.set(rule.name, index);
      }
    });
  });

/** A policy document as written (validated, before defaults are applied). */
export type PolicyDocumentSpec = z.infer<typeof documentSchema>;
export type PolicyRuleSpec = z.infer<typeof ruleSchema>;
export type StructuredConditionSpec = z.infer<typeof structuredConditionSchema>;
export type ConflictStrategy = (typeof CONFLICT_STRATEGIES)[number];
export type PolicyScope = (typeof SCOPES)[number];

/** Keys allowed at each level, for did-you-mean hints on unknown keys. */
export const KNOWN_KEYS = {
  document: Object.keys(documentSchema.shape),
  rule: Object.keys(ruleSchema.shape),
  condition: Object.keys(structuredConditionSchema.shape),
  defaults: ['action', 'max_tokens', 'max_tool_calls', 'confidence_threshold'],
};
