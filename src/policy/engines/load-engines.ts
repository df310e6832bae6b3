import { parseStage } from '../../core/request.js';
import type { Stage } from '../../core/types.js';
import type { EngineCombination, EnginesSpec } from '../document/schema.js';
import { loadCedarEngine } from './cedar.js';
import type { DecisionEngine } from '../compile/engine.js';
import type { EngineLoadContext } from './load-context.js';
import { RemoteOpaEngine } from './rego-remote.js';
import { loadRegoWasmEngine } from './rego-wasm.js';

/** A document's engines, loaded: Cedar first, then Rego, the order `first_applicable` reads them in. */
export interface DocumentEngines {
  list: DecisionEngine[];
  /** The engines consulted at each point (`points`, default pre_tool only), in list order. */
  byPoint: ReadonlyMap<Stage, readonly DecisionEngine[]>;
  combine: EngineCombination;
  /** SHA-256 digests of every engine's sources (or, for a remote engine, its address). */
  digests: string[];
  remote: boolean;
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
