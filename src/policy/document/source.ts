import { isMap, isScalar, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { PolicyLoadError, type PolicyIssue } from '../../core/errors.js';
import { documentSchema, KNOWN_KEYS, type PolicyDocumentSpec } from './schema.js';
import { suggest } from '../../core/suggest.js';

/**
 * Parse: policy text (YAML or JSON) or a plain object → a validated {@link PolicyDocumentSpec},
 * with every problem located by file, line, column and key. Nothing is compiled here.
 */

/** Largest policy file we parse. */
export const MAX_POLICY_BYTES = 1024 * 1024;
/** YAML aliases allowed per document; more indicates an alias ("billion laughs") bomb. */
export const MAX_YAML_ALIASES = 100;

export type Path = readonly (string | number)[];
/** Finds where a key path sits in the source (the file too, for documents merged by `extends`). */
export type Locate = (path: Path, atKey?: boolean) => { line: number; column: number; file?: string } | undefined;

/** A validated document and where it came from. */
export interface PolicySource {
  spec: PolicyDocumentSpec;
  /** File path, or a label such as `<inline>` for documents built in code. */
  origin: string;
  /** Absolute path of the file, when it came from one (for `extends`). */
  file?: string;
  locate: Locate;
  warnings: PolicyIssue[];
}

/** Parses and validates one policy document from YAML or JSON text. Throws {@link PolicyLoadError}. */
export function parsePolicyText(text: string, origin = '<inline>', file?: string): PolicySource {
  const { data, locate } = parseLocatedYaml(text, origin, 'policy');
  return validatePolicyData(data, origin, locate, file);
}

/** An error at a key of a document, located in its file (when the document has one). */
export function issueAt(source: PolicySource, path: Path, code: string, message: string, hint?: string): PolicyIssue {
  return {
    severity: 'error',
    code,
    file: source.origin,
    ...source.locate(path),
    key: path.join('.'),
    message,
    ...(hint ? { hint } : {}),
  };
}

/** YAML data and a way to find where any key path of it sits in the text. */
export interface LocatedData {
  data: unknown;
  locate: Locate;
}

/**
 * Parses one YAML (or JSON) document keeping line positions, so later validation can point at
 * the offending key. `what` names the document in messages ("policy", "policy test").
 * Throws {@link PolicyLoadError} for oversized text, syntax errors, several documents and alias bombs.
 */
export function parseLocatedYaml(text: string, origin: string, what: string): LocatedData {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) {
    throw new PolicyLoadError([{ severity: 'error', code: 'policy-too-large', file: origin, message: `${what} is ${bytes} bytes; the limit is ${MAX_POLICY_BYTES}` }]);
  }
  const lineCounter = new LineCounter();
  // resolveKnownTags: false leaves only JSON's tags (str, int, float, bool, null, map, seq), so
  // !!binary, !!set or !!timestamp cannot turn into a Buffer, Set or Date the schema never expects.
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, resolveKnownTags: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (!Array.isArray(documents)) {
    throw new PolicyLoadError([{ severity: 'error', code: 'yaml-syntax', file: origin, message: 'the file holds no YAML document' }]);
  }
  const issues: PolicyIssue[] = [];
  for (const doc of documents) {
    for (const error of doc.errors) {
      issues.push({ severity: 'error', code: 'yaml-syntax', file: origin, ...position(error.pos[0]), message: `YAML syntax: ${firstLine(error.message)}` });
    }
    // The yaml package only warns about a tag it cannot resolve (`!!js/function`, `!custom`) and
    // loads the value as a plain string: a document that meant something else must not load.
    for (const warning of doc.warnings) {
      if (warning.code !== 'TAG_RESOLVE_FAILED') continue;
      issues.push({ severity: 'error', code: 'yaml-unknown-tag', file: origin, ...position(warning.pos[0]), message: `YAML: ${firstLine(warning.message).replace(/ at line \d+, column \d+:?$/, '')}`, hint: 'policies use plain YAML values; remove the tag' });
    }
  }
  if (issues.length) throw new PolicyLoadError(issues);
  if (documents.length !== 1) {
    const at = documents[1]?.range ? position(documents[1].range[0]) : {};
    throw new PolicyLoadError([{ severity: 'error', code: 'multiple-documents', file: origin, ...at, message: `one ${what} document per file; split the \`---\` documents into separate files` }]);
  }
  const doc = documents[0] as Document.Parsed;
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    throw new PolicyLoadError([{ severity: 'error', code: 'yaml-aliases', file: origin, message: `YAML: ${(error as Error).message}`, hint: 'aliases are limited to guard against alias bombs' }]);
  }
  const locate: Locate = (path, atKey = false) => {
    const node = nodeAt(doc, path, atKey);
    return node?.range ? position(node.range[0]) : undefined;
  };
  return { data, locate };
}

/** Validates a document given as a plain object (or a parsed file). Throws {@link PolicyLoadError}. */
export function validatePolicyData(data: unknown, origin = '<inline>', locate: Locate = () => undefined, file?: string): PolicySource {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PolicyLoadError([{ severity: 'error', code: 'not-a-mapping', file: origin, message: 'a policy document must be a mapping with at least `name` and `rules`' }]);
  }
  const result = documentSchema.safeParse(data);
  if (!result.success) {
    throw new PolicyLoadError(result.error.issues.flatMap((issue) => describeZodIssue(issue, data, origin, locate, knownKeysAt)));
  }
  const spec = result.data;
  const warnings: PolicyIssue[] = [];
  const at = (path: Path) => ({ file: origin, ...locate(path), key: path.join('.') });
  if (spec.apiVersion === undefined || spec.apiVersion === '1.0') {
    warnings.push({
      severity: 'warning',
      code: 'deprecated-format',
      ...at(spec.apiVersion === undefined ? [] : ['apiVersion']),
      message: `${spec.apiVersion === undefined ? 'no apiVersion: read as the deprecated "1.0" format' : 'apiVersion "1.0" is deprecated'}`,
      hint: 'set apiVersion: governance.toolkit/v1',
    });
  }
  for (const key of ['max_tokens', 'max_tool_calls', 'confidence_threshold'] as const) {
    if (spec.defaults?.[key] !== undefined) {
      warnings.push({ severity: 'warning', code: 'not-enforced', ...at(['defaults', key]), message: `defaults.${key} is accepted for AGT compatibility but not enforced by the policy engine` });
    }
  }
  return { spec, origin, locate, warnings, ...(file ? { file } : {}) };
}

/**
 * One zod validation issue → located {@link PolicyIssue}s, with did-you-mean hints for unknown
 * keys (from `knownKeysAt`, the keys allowed at a path) and for misspelt enum values.
 */
export function describeZodIssue(
  issue: z.core.$ZodIssue,
  data: unknown,
  origin: string,
  locate: Locate,
  knownKeysAt: (path: Path) => readonly string[],
): PolicyIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(path);
    return issue.keys.map((key) => {
      const close = suggest(key, known);
      return {
        severity: 'error',
        code: 'unknown-key',
        file: origin,
        ...locate([...path, key], true),
        key: [...path, key].join('.'),
        message: `unknown key '${key}'`,
        hint: close ? `did you mean '${close}'?` : `allowed here: ${known.join(', ')}`,
      } satisfies PolicyIssue;
    });
  }
  // A custom check about a mapping key (a transform's `set` path) points at the key, not its value.
  const atKey = issue.code === 'custom' && issue.params?.atKey === true;
  const where = { severity: 'error' as const, file: origin, ...locate(path, atKey), key: path.join('.') || undefined };
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_value') && valueAt(data, path) === undefined;
  if (missing) {
    return [{ ...where, code: 'missing-key', message: `required key '${String(path[path.length - 1])}' is missing` }];
  }
  if (issue.code === 'invalid_value') {
    const value = valueAt(data, path);
    const options = issue.values.map(String);
    const close = typeof value === 'string' ? suggest(value, options) : undefined;
    return [{ ...where, code: 'invalid-value', message: `${JSON.stringify(value)} is not one of ${options.join(', ')}`, ...(close ? { hint: `did you mean '${close}'?` } : {}) }];
  }
  if (issue.code === 'invalid_union' && path[path.length - 1] === 'condition') {
    return [{ ...where, code: 'invalid-condition', message: 'a condition is a CEL string, or a mapping of field, operator and value' }];
  }
  const hint = issue.code === 'custom' && typeof issue.params?.hint === 'string' ? issue.params.hint : undefined;
  return [{ ...where, code: issueCode(issue, path), message: issue.message, ...(hint ? { hint } : {}) }];
}

/** The stable code of a schema issue: the schema's own (`params.code`) for custom checks. */
function issueCode(issue: z.core.$ZodIssue, path: Path): string {
  if (issue.code === 'custom' && typeof issue.params?.code === 'string') return issue.params.code;
  if (path[path.length - 1] === 'limit') return 'invalid-limit';
  return 'invalid-value';
}

function knownKeysAt(path: Path): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.document;
  if (path[0] === 'defaults') return KNOWN_KEYS.defaults;
  if (path[0] === 'engines') {
    if (path.length === 1) return KNOWN_KEYS.engines;
    if (path[1] === 'cedar') return KNOWN_KEYS.cedar;
    if (path[1] === 'rego') return path[2] === 'remote' ? KNOWN_KEYS.remote : KNOWN_KEYS.rego;
  }
  if (path[0] === 'rules' && path.length === 2) return KNOWN_KEYS.rule;
  if (path[0] === 'tools' && path.length === 2) return KNOWN_KEYS.toolRequirements;
  if (path[0] === 'quarantine' && path.length === 1) return KNOWN_KEYS.quarantine;
  if (path[0] === 'tools' && path[2] === 'sandbox') return path.length === 3 ? KNOWN_KEYS.sandbox : KNOWN_KEYS.sandboxScan;
  if (path[0] === 'rules' && path[2] === 'condition') return KNOWN_KEYS.condition;
  return [];
}

function valueAt(data: unknown, path: Path): unknown {
  let current: unknown = data;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** The YAML node at `path` (or, with `atKey`, the key node of its last step); undefined if absent. */
function nodeAt(doc: Document.Parsed, path: Path, atKey: boolean): Node | undefined {
  if (!atKey) {
    const node = doc.getIn(path, true) as Node | undefined;
    if (node && typeof node === 'object' && 'range' in node) return node;
    // fall back to the nearest ancestor that exists
    return path.length > 0 ? nodeAt(doc, path.slice(0, -1), false) : (doc.contents ?? undefined);
  }
  const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
  if (isMap(parent)) {
    const last = path[path.length - 1];
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === last);
    if (pair && isScalar(pair.key)) return pair.key;
  }
  return nodeAt(doc, path, false);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
