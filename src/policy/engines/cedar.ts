import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as CedarWasm from '@cedar-policy/cedar-wasm/nodejs';
import type { NormalizedRequest } from '../../core/types.js';
import type { CedarEngineSpec } from '../document/schema.js';
import { CedarConversionError, toCedarRequest } from './cedar-request.js';
import { describeThrown, engineFailure, type EngineOutcome, type EngineVerdict, type LocalEngine } from '../compile/engine.js';
import { positionOfByte, readEngineFile, type EngineLoadContext } from './load-context.js';

/**
 * Cedar, evaluated in-process by `@cedar-policy/cedar-wasm`. Policies (and the optional schema
 * and entities) are parsed and validated once, at load; the policy set is then pre-parsed into
 * the wasm module's cache, so a decision costs one `statefulIsAuthorized` call (about three
 * times faster than handing it the text each time).
 *
 * A schema, when given, validates the policies and entities at load; requests are not checked
 * against it, since their context holds the call's arguments, whatever they are.
 *
 * Policies are named by an `@id("...")` annotation (else Cedar's `policy0`, `policy1`, ...).
 * A permit may carry `@verdict("require_approval")` (or `warn`, `log`) and `@approvers("a, b")`;
 * any policy may carry `@reason("...")`, the decision's reason when it determines it.
 */

type Cedar = typeof CedarWasm;
type DetailedError = CedarWasm.DetailedError;

const require = createRequire(import.meta.url);
let cedarModule: Cedar | undefined;

/** The wasm module, loaded on first use: documents without Cedar never pay for it. */
function cedar(): Cedar {
  cedarModule ??= require('@cedar-policy/cedar-wasm/nodejs') as Cedar;
  return cedarModule;
}

/**
 * Annotations that would ask for an effect the Cedar engine does not have (rewriting the subject,
 * side effects): refused at load, so a policy that means to redact is never silently a plain permit.
 */
const UNSUPPORTED_ANNOTATIONS = new Set(['transform', 'effects', 'redact', 'set', 'obligations']);
/** Verdicts a permit policy's `@verdict` annotation may name. */
const PERMIT_VERDICTS = new Set(['allow', 'require_approval', 'warn', 'log']);

/** What we know about one policy of the set, from its annotations. */
interface CedarPolicyFacts {
  id: string;
  effect: 'permit' | 'forbid';
  verdict: 'allow' | 'require_approval' | 'warn' | 'log';
  reason: string | null;
  approvers: string[];
}

/** A loaded Cedar policy set, ready to decide. */
export class CedarEngine implements LocalEngine {
  readonly kind = 'cedar' as const;
  readonly remote = false as const;
  readonly label = 'cedar';

  constructor(
    private readonly policySetId: string,
    /** Cedar's own ids (`policy0`, ...) → the facts of that policy. */
    private readonly policies: ReadonlyMap<string, CedarPolicyFacts>,
    private readonly entities: CedarWasm.Entities,
    /** SHA-256 of the sources, folded into the policy revision. */
    readonly digest: string,
  ) {}

  decide(request: NormalizedRequest): EngineOutcome {
    let parts;
    try {
      parts = toCedarRequest(request);
    } catch (error) {
      if (error instanceof CedarConversionError) return engineFailure('cedar_request', error.message);
      throw error;
    }
    let answer: CedarWasm.AuthorizationAnswer;
    try {
      answer = cedar().statefulIsAuthorized({
        ...parts,
        entities: this.entities,
        preparsedPolicySetId: this.policySetId,
      });
    } catch (error) {
      return engineFailure('cedar_error', describeThrown(error));
    }
    if (answer.type === 'failure') return engineFailure('cedar_error', answer.errors.map((e) => e.message).join('; ') || 'Cedar could not evaluate the request');
    return this.verdictOf(answer.response);
  }

  private verdictOf(response: CedarWasm.Response): EngineVerdict {
    const errors = response.diagnostics.errors.map((e) => `policy '${this.idOf(e.policyId)}': ${e.error.message}`);
    // Cedar skips a policy that errors. For a forbid that would fail open, so (as with YAML deny
    // rules) a forbid that errored counts as matched.
    const failedForbid = response.diagnostics.errors.map((e) => this.policies.get(e.policyId)).find((p) => p?.effect === 'forbid');
    if (failedForbid) {
      return verdict('deny', [failedForbid.id], `Cedar forbid policy '${failedForbid.id}' failed to evaluate and counts as matched (forbid policies fail closed)`, [], errors);
    }
    const determining = response.diagnostics.reason.map((id) => this.policies.get(id)).filter((p): p is CedarPolicyFacts => p !== undefined);
    const ids = determining.map((p) => p.id);
    if (response.decision === 'deny') {
      const first = determining[0];
      if (!first) return verdict('deny', [], 'No Cedar permit policy applies (Cedar denies by default)', [], errors);
      return verdict('deny', ids, first.reason ?? `Forbidden by Cedar policy '${first.id}'`, [], errors);
    }
    // Of the permits that determined an allow, the most restrictive verdict decides.
    const strictest = determining.find((p) => p.verdict === 'require_approval') ?? determining.find((p) => p.verdict === 'warn') ?? determining.find((p) => p.verdict === 'log') ?? determining[0];
    if (!strictest) return verdict('deny', [], 'Cedar answered allow without a determining policy', [], errors);
    const approvers = [...new Set(determining.flatMap((p) => p.approvers))];
    return verdict(strictest.verdict, ids, strictest.reason ?? `Permitted by Cedar policy '${strictest.id}'`, approvers, errors);
  }

  private idOf(cedarId: string): string {
    return this.policies.get(cedarId)?.id ?? cedarId;
  }
}

function verdict(v: EngineVerdict['verdict'], determinedBy: string[], reason: string, approvers: string[], errors: string[]): EngineVerdict {
  return { ok: true, verdict: v, determinedBy, reason, approvers, errors };
}

/**
 * Loads a Cedar engine: reads, parses and validates the policies (against the schema, when one
 * is given) and the entities, reporting every problem with its place; null when any failed.
 */
export function loadCedarEngine(spec: CedarEngineSpec, context: EngineLoadContext): CedarEngine | null {
  const key = ['engines', 'cedar'];
  const policyFile = readEngineFile(context, spec.policies, [...key, 'policies']);
  const schemaFile = spec.schema === undefined ? null : readEngineFile(context, spec.schema, [...key, 'schema']);
  const entitiesFile = spec.entities === undefined ? null : readEngineFile(context, spec.entities, [...key, 'entities']);
  if (!policyFile || (spec.schema !== undefined && !schemaFile) || (spec.entities !== undefined && !entitiesFile)) return null;
  const wasm = cedar();
  const text = policyFile.bytes.toString('utf8');
  const reportIn = (file: { label: string }, source: string | null, errors: readonly DetailedError[], code: string) => {
    for (const error of errors) {
      const at = source !== null && error.sourceLocations?.[0] ? positionOfByte(source, error.sourceLocations[0].start) : {};
      const label = error.sourceLocations?.[0]?.label;
      const detail = label ? `: ${label}` : '';
      context.inFile({ file: file.label, ...at, code, message: `${error.message}${detail}`, ...(error.help ? { hint: error.help } : {}) });
    }
  };

  const parsed = wasm.checkParsePolicySet({ staticPolicies: text });
  if (parsed.type === 'failure') {
    reportIn(policyFile, text, parsed.errors, 'cedar-syntax');
    return null;
  }
  const split = wasm.policySetTextToParts(text);
  if (split.type === 'failure') {
    reportIn(policyFile, text, split.errors, 'cedar-syntax');
    return null;
  }
  if (split.policy_templates.length > 0) {
    context.atKey([...key, 'policies'], 'cedar-unsupported', `${policyFile.label} holds ${split.policy_templates.length} template(s); templates are not supported, write static policies`);
    return null;
  }
  const policies = new Map<string, CedarPolicyFacts>();
  const seen = new Set<string>();
  let ok = true;
  split.policies.forEach((policyText, i) => {
    const json = wasm.policyToJson(policyText);
    if (json.type === 'failure') {
      reportIn(policyFile, null, json.errors, 'cedar-syntax');
      ok = false;
      return;
    }
    const annotations = json.json.annotations ?? {};
    const id = annotations.id ?? `policy${i}`;
    const problem = (message: string) => {
      const offset = Buffer.byteLength(text.slice(0, Math.max(0, text.indexOf(policyText))), 'utf8');
      context.inFile({ file: policyFile.label, ...positionOfByte(text, offset), code: 'cedar-annotation', message: `policy '${id}': ${message}` });
      ok = false;
    };
    if (seen.has(id)) problem(`the id '${id}' is used by another policy`);
    for (const name of Object.keys(annotations)) {
      if (UNSUPPORTED_ANNOTATIONS.has(name)) problem(`@${name} asks for an effect Cedar policies cannot have here (they permit, forbid, hold for approval, warn or log); write a YAML transform rule instead`);
    }
    if (annotations.reason?.startsWith('runtime_error:')) problem(`@reason may not start with 'runtime_error:', which marks decisions that failed closed`);
    seen.add(id);
    const verdictText = annotations.verdict ?? 'allow';
    if (json.json.effect === 'forbid' && annotations.verdict !== undefined && verdictText !== 'deny') problem(`@verdict("${verdictText}") on a forbid policy: a forbid always denies`);
    if (json.json.effect === 'permit' && !PERMIT_VERDICTS.has(verdictText)) problem(`@verdict("${verdictText}") is not one of ${[...PERMIT_VERDICTS].join(', ')}`);
    policies.set(`policy${i}`, {
      id,
      effect: json.json.effect,
      verdict: json.json.effect === 'permit' && PERMIT_VERDICTS.has(verdictText) ? (verdictText as CedarPolicyFacts['verdict']) : 'allow',
      reason: annotations.reason ?? null,
      approvers: (annotations.approvers ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    });
  });

  // The schema checks the policies and entities here, at load. Requests are not parsed against it:
  // their context carries the call's arguments, whatever they are.
  let schema: CedarWasm.Schema | null = null;
  if (schemaFile) {
    const schemaText = schemaFile.bytes.toString('utf8');
    try {
      schema = schemaFile.path.endsWith('.json') ? (JSON.parse(schemaText) as CedarWasm.Schema) : schemaText;
    } catch (error) {
      context.inFile({ file: schemaFile.label, code: 'cedar-schema', message: `not JSON: ${describeThrown(error)}` });
      return null;
    }
    const checked = wasm.checkParseSchema(schema);
    if (checked.type === 'failure') {
      reportIn(schemaFile, typeof schema === 'string' ? schema : null, checked.errors, 'cedar-schema');
      return null;
    }
    const validation = wasm.validate({ schema, policies: { staticPolicies: text }, validationSettings: { mode: 'strict' } });
    if (validation.type === 'failure') {
      reportIn(schemaFile, null, validation.errors, 'cedar-schema');
      return null;
    }
    for (const problem of validation.validationErrors) {
      reportIn(policyFile, text, [{ ...problem.error, message: `policy '${policies.get(problem.policyId)?.id ?? problem.policyId}': ${problem.error.message}` }], 'cedar-validation');
      ok = false;
    }
  }

  let entities: CedarWasm.Entities = [];
  if (entitiesFile) {
    try {
      const data: unknown = JSON.parse(entitiesFile.bytes.toString('utf8'));
      if (!Array.isArray(data)) throw new Error('the file must hold a JSON array of entities');
      entities = data as CedarWasm.Entities;
    } catch (error) {
      context.inFile({ file: entitiesFile.label, code: 'cedar-entities', message: describeThrown(error) });
      return null;
    }
    const checked = wasm.checkParseEntities({ entities, ...(schema !== null ? { schema } : {}) });
    if (checked.type === 'failure') {
      reportIn(entitiesFile, null, checked.errors, 'cedar-entities');
      return null;
    }
  }
  if (!ok) return null;

  const digest = sha256([text, schemaFile?.bytes.toString('utf8') ?? '', entitiesFile?.bytes.toString('utf8') ?? ''].join('\u0000'));
  // Same sources, same id: reloading a policy reuses its cache entry instead of adding one.
  const policySetId = `agt:${digest}`;
  const preparsed = wasm.preparsePolicySet(policySetId, { staticPolicies: text });
  if (preparsed.type === 'failure') {
    reportIn(policyFile, text, preparsed.errors, 'cedar-syntax');
    return null;
  }
  return new CedarEngine(policySetId, policies, entities, digest);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
