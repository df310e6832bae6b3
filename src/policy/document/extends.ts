import { dirname, resolve } from 'node:path';
import type { PolicyIssue } from '../../core/errors.js';
import type { EnginesSpec, PolicyDocumentSpec } from './schema.js';
import type { Locate, PolicySource } from './source.js';
import { narrowQuarantine } from './quarantine.js';
import { mergeToolSpecs } from './tool-requirements.js';

/**
 * `extends`, the pure part: merging a parent document into its child. Finding and reading the
 * parent files is the loader's (src/policy/loader.ts); this only combines what it read. Paths
 * are only joined here (an inherited engine path made absolute), never touched on disk.
 */

/**
 * Child over parent: parent rules first, then the child's (a name used by both is an error);
 * `denied_tools` and `blocked_patterns` accumulate and `tools:` entries combine strictest-wins
 * (a child cannot loosen them); every other key is the child's when set, else the parent's.
 */
export function mergeSources(parent: PolicySource, child: PolicySource, issues: PolicyIssue[]): PolicySource {
  const p = parent.spec;
  const c = child.spec;
  const parentRules = p.rules ?? [];
  const parentNames = new Set(parentRules.map((r) => r.name));
  const childRules = (c.rules ?? []).filter((rule, i) => {
    if (!parentNames.has(rule.name)) return true;
    issues.push({
      severity: 'error',
      code: 'duplicate-rule-name',
      file: child.origin,
      ...child.locate(['rules', i, 'name']),
      key: `rules.${i}.name`,
      message: `rule '${rule.name}' is already defined by the parent policy ${parent.origin}`,
      hint: 'give it another name',
    });
    return false;
  });
  const union = (a?: string[], b?: string[]) => (a || b ? [...new Set([...(a ?? []), ...(b ?? [])])] : undefined);
  const { extends: _ignored, ...childKeys } = c;
  const spec: PolicyDocumentSpec = {
    ...withoutExtends(p),
    ...definedOnly(childKeys),
    rules: [...parentRules, ...childRules],
    denied_tools: union(p.denied_tools, c.denied_tools),
    blocked_patterns: union(p.blocked_patterns, c.blocked_patterns),
    tools: mergeToolSpecs(p.tools, c.tools),
    quarantine: narrowQuarantine(p.quarantine, c.quarantine),
  };
  // Engine files are relative to the document that names them: an inherited `engines` is made
  // absolute against the parent's directory, so it does not resolve against the child's.
  if (c.engines === undefined && p.engines !== undefined && parent.file) spec.engines = enginesRelativeTo(p.engines, dirname(parent.file));
  if (c.default_action !== undefined || c.defaults?.action !== undefined) {
    delete spec.defaults;
    spec.default_action = c.default_action ?? c.defaults?.action;
  }
  const locate: Locate = (path, atKey) => {
    if (path[0] === 'rules' && typeof path[1] === 'number') {
      const i = path[1];
      if (i < parentRules.length) return withFile(parent, parent.locate(path, atKey));
      const childIndex = (c.rules ?? []).indexOf(childRules[i - parentRules.length] as never);
      return withFile(child, child.locate(['rules', childIndex, ...path.slice(2)], atKey));
    }
    return withFile(child, child.locate(path, atKey));
  };
  return { spec: definedOnly(spec) as PolicyDocumentSpec, origin: child.origin, locate, warnings: [], ...(child.file ? { file: child.file } : {}) };
}

function enginesRelativeTo(engines: EnginesSpec, directory: string): EnginesSpec {
  const at = (path: string) => resolve(directory, path);
  const { cedar, rego } = engines;
  return {
    ...engines,
    ...(cedar ? { cedar: { ...cedar, policies: at(cedar.policies), ...(cedar.schema ? { schema: at(cedar.schema) } : {}), ...(cedar.entities ? { entities: at(cedar.entities) } : {}) } } : {}),
    ...(rego
      ? {
          rego: {
            ...rego,
            ...(rego.source !== undefined ? { source: Array.isArray(rego.source) ? rego.source.map(at) : at(rego.source) } : {}),
            ...(rego.bundle ? { bundle: at(rego.bundle) } : {}),
            ...(rego.wasm ? { wasm: at(rego.wasm) } : {}),
            ...(rego.data ? { data: at(rego.data) } : {}),
          },
        }
      : {}),
  };
}

function withFile(source: PolicySource, at: ReturnType<Locate>): ReturnType<Locate> {
  return at ? { file: source.origin, ...at } : undefined;
}

function withoutExtends(spec: PolicyDocumentSpec): PolicyDocumentSpec {
  const { extends: _ignored, ...rest } = spec;
  return rest;
}

function definedOnly<T extends object>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as Partial<T>;
}
