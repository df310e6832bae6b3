import { dirname } from 'node:path';
import type { PolicyIssue } from '../../core/errors.js';
import { parseStage } from '../../core/request.js';
import type { Stage } from '../../core/types.js';
import { compilePolicies, type CompiledPolicySet } from '../compile/compile.js';
import type { DecisionEngine, DocumentEngines, LoadedEngines } from '../compile/engine.js';
import type { EnginesSpec } from '../document/schema.js';
import { issueAt, type PolicySource } from '../document/source.js';
import { loadCedarEngine } from './cedar.js';
import type { EngineLoadContext } from './load-context.js';
import { RemoteOpaEngine } from './rego-remote.js';
import { loadRegoWasmEngine } from './rego-wasm.js';

/**
 * Engine loading: every file and process I/O a document's `engines` key needs (reading `.cedar`,
 * `.rego`, bundle and data files, running `opa build`), done before compile, which receives the
 * engines loaded and does no I/O itself.
 */

/** Validated sources → evaluator's internal form: each document's engines loaded, then compile. Throws PolicyLoadError. */
export function compileWithEngines(sources: readonly PolicySource[]): CompiledPolicySet {
  return compilePolicies(sources, loadDocumentEngines(sources));
}

/**
 * Loads the engines of each document that has an `engines` key (undefined for one without),
 * collecting located problems rather than throwing: compile reports them with the document's own.
 */
export function loadDocumentEngines(sources: readonly PolicySource[]): (LoadedEngines | undefined)[] {
  return sources.map((source) => {
    if (!source.spec.engines) return undefined;
    const issues: PolicyIssue[] = [];
    const engines = loadEngines(source.spec.engines, {
      // Documents built in code have no file: their engine paths start at the working directory.
      baseDir: source.file ? dirname(source.file) : process.cwd(),
      atKey: (path, code, message, hint) => issues.push(issueAt(source, path, code, message, hint)),
      inFile: (issue) => issues.push({ severity: 'error', ...issue }),
    });
    return { engines, issues };
  });
}

/** Loads the engines a document's `engines` key names; null when any of them failed (the problems are reported). */
export function loadEngines(spec: EnginesSpec, context: EngineLoadContext): DocumentEngines | null {
  const list: DecisionEngine[] = [];
  const byPoint = new Map<Stage, DecisionEngine[]>();
  const consultAt = (engine: DecisionEngine, points: readonly string[] | undefined) => {
    for (const point of new Set((points ?? ['pre_tool']).map((name) => parseStage(name) as Stage))) {
      const at = byPoint.get(point);
      if (at) at.push(engine);
      else byPoint.set(point, [engine]);
    }
  };
  const digests: string[] = [];
  let failed = false;
  if (spec.cedar) {
    const cedar = loadCedarEngine(spec.cedar, context);
    if (cedar) {
      list.push(cedar);
      consultAt(cedar, spec.cedar.points);
      digests.push(cedar.digest);
    } else failed = true;
  }
  if (spec.rego) {
    const rego = spec.rego.remote ? RemoteOpaEngine.fromSpec(spec.rego, context) : loadRegoWasmEngine(spec.rego, context);
    if (rego) {
      list.push(rego);
      consultAt(rego, spec.rego.points);
      digests.push(rego.digest);
    } else failed = true;
  }
  if (failed) return null;
  if (list.length === 0) {
    context.atKey(['engines'], 'invalid-engine', '`engines` names no engine', 'add cedar or rego, or remove engines');
    return null;
  }
  return { list, byPoint, combine: spec.combine ?? 'deny_overrides', digests, remote: list.some((e) => e.remote) };
}
