import { z } from 'zod';
import { parseStage } from '../../core/request.js';
import type { Stage } from '../../core/types.js';
import { OPERATORS } from '../language/structured.js';
import { DEFAULT_EVALUATION_BUDGET, MAX_EVALUATION_BUDGET } from '../language/budget.js';
import { transformPathProblem } from './points.js';

export { OPERATORS };

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
export const STAGES = ['agent_startup', 'pre_input', 'pre_model_call', 'post_model_call', 'pre_tool', 'post_tool', 'pre_output', 'agent_shutdown', 'input', 'pre_tool_call', 'post_tool_call', 'output'] as const;
/** What happens at a point no loaded document configures (see `unconfigured_points`). */
export const UNCONFIGURED_POINTS = ['allow', 'deny'] as const;
/** Document scopes, broadest first. */
export const SCOPES = ['global', 'organization', 'tenant', 'agent'] as const;
/** How the matched rules of a request are resolved to one verdict. */
export const CONFLICT_STRATEGIES = ['deny_overrides', 'allow_overrides', 'priority_first_match', 'most_specific_wins'] as const;
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
    // Paths are checked against the rule's stage: a path that names another stage's subject, or
    // one the transform could only write as a literal key (`$snap.x`), is a load error.
    const stage = parseStage(rule.stage ?? 'pre_tool') as Stage;
    const pathIssue = (path: string, at: (string | number)[], atKey: boolean) => {
      const problem = transformPathProblem(path, stage);
      if (problem) ctx.addIssue({ code: 'custom', path: at, message: problem.message, params: { code: 'invalid-transform', hint: problem.hint, atKey } });
    };
    rule.redact?.forEach((path, i) => pathIssue(path, ['redact', i], false));
    for (const path of Object.keys(rule.set ?? {})) pathIssue(path, ['set', path], true);
  });

/** How a document's engines (and its YAML rules) are combined into one verdict. */
export const ENGINE_COMBINATIONS = ['deny_overrides', 'allow_overrides', 'first_applicable'] as const;
/** How a Rego rule's value is read: a boolean `allow`, or an object `{ decision, reason?, rule?, approvers? }`. */
export const REGO_VERDICT_FORMS = ['allow', 'object'] as const;
/** Default time a remote OPA call may take before it counts as a deny. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 250;
/** Default deadline of one local (wasm) Rego evaluation (see HARD_STOP_FACTOR in engines/wasm-pool.ts); past it, the evaluation is stopped and denies. */
export const DEFAULT_REGO_TIMEOUT_MS = 25;
/** Default most wasm memory one local Rego policy may use (its data, the request and the evaluation's heap): room for any request within the default 1 MiB bound. */
export const DEFAULT_REGO_MEMORY_MB = 128;

const filePath = nonEmpty.describe('A file path, relative to this policy file');

/** A point an engine is consulted at: our stage names and the Agent Control Specification's. */
const enginePoints = z
  .array(z.enum(STAGES))
  .min(1, 'name at least one point, or leave points out (pre_tool only)')
  .optional()
  .describe('Intervention points this engine decides (default [pre_tool]); e.g. [pre_tool_call, output]');

export const cedarEngineSchema = z
  .strictObject({
    points: enginePoints,
    policies: filePath.describe('Cedar policy file (.cedar); `@id("...")` names a policy, `@verdict("require_approval")` and `@reason("...")` shape its decision'),
    schema: filePath.optional().describe('Cedar schema (.cedarschema text or .json); policies and entities are validated against it at load'),
    entities: filePath.optional().describe('Cedar entities (JSON array)'),
  })
  .describe('Cedar: principal Agent::"<agent id>"; at tool points action Action::"<action type>", resource Tool::"<tool>"; at content points action Action::"<point>", resource Point::"<point>"; context { stage, args, context, agent, input?, output? }');

export const remoteOpaSchema = z.strictObject({
  url: z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// or https:// URL').describe('OPA server base URL, e.g. http://127.0.0.1:8181'),
  timeout_ms: z.number().int().min(1).max(60_000).optional().describe(`Per-call timeout; default ${DEFAULT_REMOTE_TIMEOUT_MS}. A timeout denies`),
  headers: z.record(z.string(), z.string()).optional().describe('Extra HTTP headers, e.g. Authorization'),
});

export const regoEngineSchema = z
  .strictObject({
    points: enginePoints,
    source: z.union([filePath, z.array(filePath).min(1)]).optional().describe('.rego file(s), compiled to wasm at load with the OPA binary'),
    bundle: filePath.optional().describe('A prebuilt OPA wasm bundle (.tar.gz holding /policy.wasm)'),
    wasm: filePath.optional().describe('A prebuilt policy.wasm'),
    data: filePath.optional().describe('JSON data for local evaluation (`data.*`)'),
    remote: remoteOpaSchema.optional().describe("An OPA server's REST Data API (POST /v1/data/<query>)"),
    query: nonEmpty.describe("The rule that holds the verdict, e.g. 'agt/authz/allow' or 'data.agt.authz.decision'"),
    verdict: z.enum(REGO_VERDICT_FORMS).optional().describe('allow (default): the rule is a boolean. object: { decision, reason?, rule?, approvers? }'),
    timeout_ms: z.number().int().min(1).max(10_000).optional().describe(`Local evaluation: deadline of one evaluation, its own CPU time on Linux (at most 1.6 times it on the wall clock), else wall-clock; default ${DEFAULT_REGO_TIMEOUT_MS}. Past it the evaluation is stopped and the decision is a deny`),
    memory_mb: z.number().int().min(1).max(4096).optional().describe(`Local evaluation: most wasm memory the policy may use, in MiB; default ${DEFAULT_REGO_MEMORY_MB}. An evaluation that needs more is stopped and denies`),
  })
  .superRefine((rego, ctx) => {
    const given = (['source', 'bundle', 'wasm', 'remote'] as const).filter((key) => rego[key] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length > 1 ? [given[1] as string] : [],
        message: given.length > 1 ? `give one of source, bundle, wasm or remote, not ${given.join(' and ')}` : 'give one of source, bundle, wasm or remote',
        params: { code: 'invalid-engine' },
      });
    }
    if (rego.data !== undefined && rego.remote !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: '`data` is for local evaluation; a remote OPA server has its own', params: { code: 'invalid-engine' } });
    }
    for (const key of ['timeout_ms', 'memory_mb'] as const) {
      if (rego[key] === undefined || rego.remote === undefined) continue;
      const hint = key === 'timeout_ms' ? 'set remote.timeout_ms instead' : 'a remote OPA server bounds its own memory';
      ctx.addIssue({ code: 'custom', path: [key], message: `\`${key}\` bounds local evaluation; ${hint}`, params: { code: 'invalid-engine' } });
    }
  });

/** How an action must be proven before a tool runs: `full` (signed envelope, JWT, SPIFFE) or `session` (a session MAC suffices). */
export const VERIFICATION_LEVELS = ['full', 'session'] as const;

/** The top-level `quarantine:` section: the tools (names or globs, matched exactly) a quarantined agent may still call. */
export const quarantineSchema = z.strictObject({
  allow: stringList.describe("Tool names or globs a quarantined agent may call (matched exactly: a look-alike name is not allowed). Across documents and extends, a tool must be allowed by every document that has the section"),
});

/** Scanner thresholds a `tools:` entry may name: a severity, or `none` (never). */
export const SCAN_THRESHOLDS = ['low', 'medium', 'high', 'critical', 'none'] as const;

export const sandboxRequirementsSchema = z
  .strictObject({
    profile: z.enum(['ring1', 'ring2', 'ring3']).optional().describe("The sandbox profile the tool's code runs under; default the tool's ring's profile (ring 3 → ring3, ...), else ring3"),
    scan: z
      .strictObject({
        deny: z.enum(SCAN_THRESHOLDS).optional().describe('Submitted code with a scanner finding at or above this severity is denied (scan:<severity>); none: never. Default critical'),
        warn: z.enum(SCAN_THRESHOLDS).optional().describe("Findings at or above this severity are returned with the run's outcome; none: never. Default high"),
      })
      .optional()
      .describe('What the static scanner\'s findings on submitted code do, before the sandbox starts'),
  })
  .describe('For sandbox tools (sandboxTool): the profile, and what scanner findings on the submitted code do');

export const toolRequirementsSchema = z
  .strictObject({
    verify: z.enum(VERIFICATION_LEVELS).optional().describe('full: the call must carry a full proof (signed envelope, JWT bearer, SPIFFE); a session MAC is refused with identity:weak_proof. Default session'),
    min_trust: z.number().int().min(0).max(1000).optional().describe("The lowest live trust score (0-1000) the agent may have to call the tool; below it: deny with trust:below_minimum. Default 0"),
    sandbox: sandboxRequirementsSchema.optional(),
    ring: z
      .number({ error: 'must be a ring number: 1, 2 or 3' })
      .int({ error: 'must be a whole ring number: 1, 2 or 3' })
      .min(1, { error: 'must be 1, 2 or 3: agents never hold ring 0, so no tool may require it (use ring: 1 for the most privileged tools)' })
      .max(3, { error: 'must be 1, 2 or 3 (3 is the least privileged)' })
      .optional()
      .describe('The least privileged ring (1-3) an agent may call the tool from; a call from a higher ring number: deny with ring:insufficient. Default 3 for read_only tools, else 2'),
    read_only: z.boolean().optional().describe('The tool only reads: it needs ring 3 unless `ring` says otherwise, and quarantine may allow it'),
  })
  .describe('What a call of the tool requires; several matching entries (and documents) combine strictest-wins');

export const enginesSchema = z
  .strictObject({
    cedar: cedarEngineSchema.optional(),
    rego: regoEngineSchema.optional(),
    combine: z.enum(ENGINE_COMBINATIONS).optional().describe('deny_overrides (default): any deny wins, then require_approval, then allow'),
  })
  .describe('Cedar and Rego policies that decide beside the YAML rules, at the points each names (default pre_tool)');

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
    unconfigured_points: z
      .enum(UNCONFIGURED_POINTS)
      .optional()
      .describe('deny: a point no loaded policy configures (no rule, engine, tool list or pattern for it) is denied with runtime_error:intervention_point_unconfigured. Default allow'),
    defaults: z
      .strictObject({
        action: defaultAction.optional(),
        max_tokens: z.number().optional(),
        max_tool_calls: z.number().optional(),
        confidence_threshold: z.number().optional(),
        evaluation_budget: z
          .number()
          .optional()
          .describe(
            `Cost units the conditions of one decision may spend (comprehension iterations, sizes of the lists, maps and strings operators are given); spent: deny with runtime_error:budget. Whole number, 1 to ${MAX_EVALUATION_BUDGET}; default ${DEFAULT_EVALUATION_BUDGET}`,
          ),
      })
      .optional()
      .describe('AGT 1.0 form of default_action, and the evaluation budget'),
    conflict_strategy: z.enum(CONFLICT_STRATEGIES).optional(),
    allowed_tools: stringList.optional(),
    denied_tools: stringList.optional(),
    blocked_patterns: stringList.optional().describe('RE2 regexes applied to inbound text at the input stage'),
    rules: z.array(ruleSchema).optional(),
    engines: enginesSchema.optional(),
    tools: z
      .record(nonEmpty, toolRequirementsSchema)
      .optional()
      .describe("Per-tool requirements by tool name or glob (as allowed_tools), e.g. { transfer_funds: { verify: full }, 'db.*': { min_trust: 600 } }"),
    quarantine: quarantineSchema.optional().describe("What a quarantined agent may still call, e.g. { allow: ['search', '*.read'] }; every other call is denied lifecycle:quarantined. Absent: nothing"),
  })
  .superRefine((doc, ctx) => {
    const budget = doc.defaults?.evaluation_budget;
    if (budget !== undefined && !(Number.isInteger(budget) && budget >= 1 && budget <= MAX_EVALUATION_BUDGET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaults', 'evaluation_budget'],
        message: `evaluation_budget is ${budget}: it must be a whole number of cost units from 1 to ${MAX_EVALUATION_BUDGET.toLocaleString('en-US')}`,
        params: { code: 'invalid-limit', hint: `set defaults.evaluation_budget to a whole number such as ${DEFAULT_EVALUATION_BUDGET} (the default), or remove it` },
      });
    }
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

/** One `tools:` entry as written (`verify`, `min_trust`, `ring`, `read_only`). */
export type ToolRequirementsSpec = z.infer<typeof toolRequirementsSchema>;
/** A policy document as written (validated, before defaults are applied). */
export type PolicyDocumentSpec = z.infer<typeof documentSchema>;
/** One rule of a document as written (`name`, `condition`, `stage`, `action`, `limit`, ...). */
export type PolicyRuleSpec = z.infer<typeof ruleSchema>;
/** AGT's `{ field, operator, value }` condition form, as written. */
export type StructuredConditionSpec = z.infer<typeof structuredConditionSchema>;
/** How matched rules are resolved: `deny_overrides` (default), `allow_overrides`, `priority_first_match`, `most_specific_wins`. */
export type ConflictStrategy = (typeof CONFLICT_STRATEGIES)[number];
/** A document's `scope`, which `most_specific_wins` ranks: global, organization, tenant, agent. */
export type PolicyScope = (typeof SCOPES)[number];
/** A document's `engines` key: Cedar, Rego, and how they combine with the rules. */
export type EnginesSpec = z.infer<typeof enginesSchema>;
/** `engines.cedar`: policies, schema, entities, and the points it is consulted at. */
export type CedarEngineSpec = z.infer<typeof cedarEngineSchema>;
/** `engines.rego`: source, bundle, wasm or remote OPA, the query, the verdict form, and its points. */
export type RegoEngineSpec = z.infer<typeof regoEngineSchema>;
/** `engines.combine`: how the rules' answer and the engines' answers combine (`deny_overrides` by default). */
export type EngineCombination = (typeof ENGINE_COMBINATIONS)[number];

/** Keys allowed at each level, for did-you-mean hints on unknown keys. */
export const KNOWN_KEYS = {
  document: Object.keys(documentSchema.shape),
  rule: Object.keys(ruleSchema.shape),
  condition: Object.keys(structuredConditionSchema.shape),
  defaults: ['action', 'max_tokens', 'max_tool_calls', 'confidence_threshold', 'evaluation_budget'],
  engines: Object.keys(enginesSchema.shape),
  cedar: Object.keys(cedarEngineSchema.shape),
  rego: Object.keys(regoEngineSchema.shape),
  remote: Object.keys(remoteOpaSchema.shape),
  toolRequirements: Object.keys(toolRequirementsSchema.shape),
  quarantine: Object.keys(quarantineSchema.shape),
  sandbox: Object.keys(sandboxRequirementsSchema.shape),
  sandboxScan: ['deny', 'warn'],
};
