import type { EngineCombination, EnginesSpec } from '../schema.js';
import { loadCedarEngine } from './cedar.js';
import type { DecisionEngine } from './engine.js';
import type { EngineLoadContext } from './load-context.js';
import { RemoteOpaEngine } from './rego-remote.js';
import { loadRegoWasmEngine } from './rego-wasm.js';

/** A document's engines, loaded: Cedar first, then Rego, the order `first_applicable` reads them in. */
export interface DocumentEngines {
  list: DecisionEngine[];
  combine: EngineCombination;
  /** SHA-256 digests of every engine's sources (or, for a remote engine, its address). */
  digests: string[];
  remote: boolean;
}

/** Loads the engines a document's `engines` key names; null when any of them failed (the problems are reported). */
export function loadEngines(spec: EnginesSpec, context: EngineLoadContext): DocumentEngines | null {
  const list: DecisionEngine[] = [];
  const digests: string[] = [];
  let failed = false;
  if (spec.cedar) {
    const cedar = loadCedarEngine(spec.cedar, context);
    if (cedar) {
      list.push(cedar);
      digests.push(cedar.digest);
    } else failed = true;
  }
  if (spec.rego) {
    const rego = spec.rego.remote ? RemoteOpaEngine.fromSpec(spec.rego, context) : loadRegoWasmEngine(spec.rego, context);
    if (rego) {
      list.push(rego);
      digests.push(rego.digest);
    } else failed = true;
  }
  if (failed) return null;
  if (list.length === 0) {
    context.atKey(['engines'], 'invalid-engine', '`engines` names no engine', 'add cedar or rego, or remove engines');
    return null;
  }
  return { list, combine: spec.combine ?? 'deny_overrides', digests, remote: list.some((e) => e.remote) };
}
