import type { Stage } from '../../core/types.js';
import type { CompiledRule } from './compile.js';

const MAX_CACHED_KEYS = 4096;

interface StageIndex {
  all: CompiledRule[];
  byTool: Map<string, CompiledRule[]>;
  byType: Map<string, CompiledRule[]>;
  unpinned: CompiledRule[];
  /** tool → action type → merged candidate list, so a repeated shape costs two map lookups. */
  cache: Map<string, Map<string, CompiledRule[]>>;
  cached: number;
}

/**
 * Buckets rules by the literal `tool_name` / `action.type` values their conditions pin, so a
 * request touches only the rules that could match it plus the unpinnable rest: 1,000 rules cost
 * about what 10 do. Skipping is exact: a pinned rule whose literal differs from the request's
 * string value evaluates to false in CEL. When the request lacks a string value for a pinned
 * field (where CEL could raise an error instead), every rule of the stage is a candidate.
 */
export class RuleIndex {
  private readonly stages = new Map<Stage, StageIndex>();

  constructor(rules: readonly CompiledRule[]) {
    for (const rule of rules) {
      let stage = this.stages.get(rule.stage);
      if (!stage) {
        stage = { all: [], byTool: new Map(), byType: new Map(), unpinned: [], cache: new Map(), cached: 0 };
        this.stages.set(rule.stage, stage);
      }
      stage.all.push(rule);
      const pins = rule.condition?.pins;
      if (!pins) {
        stage.unpinned.push(rule);
        continue;
      }
      const buckets = pins.field === 'tool_name' ? stage.byTool : stage.byType;
      for (const value of new Set(pins.values)) {
        const bucket = buckets.get(value);
        if (bucket) bucket.push(rule);
        else buckets.set(value, [rule]);
      }
    }
  }

  /** Rules of `stage` that could match, in evaluation order. */
  candidates(stage: Stage, toolName: unknown, actionType: unknown): readonly CompiledRule[] {
    const index = this.stages.get(stage);
    if (!index) return EMPTY;
    if ((typeof toolName !== 'string' && index.byTool.size > 0) || (typeof actionType !== 'string' && index.byType.size > 0)) {
      return index.all;
    }
    const tool = typeof toolName === 'string' ? toolName : '';
    const type = typeof actionType === 'string' ? actionType : '';
    let byType = index.cache.get(tool);
    const hit = byType?.get(type);
    if (hit) return hit;
    const merged = mergeByOrdinal(index.byTool.get(tool), index.byType.get(type), index.unpinned);
    if (index.cached >= MAX_CACHED_KEYS) {
      index.cache.clear();
      index.cached = 0;
      byType = undefined;
    }
    if (!byType) {
      byType = new Map();
      index.cache.set(tool, byType);
    }
    byType.set(type, merged);
    index.cached++;
    return merged;
  }

  /** Every rule of `stage`, in evaluation order. */
  rulesFor(stage: Stage): readonly CompiledRule[] {
    return this.stages.get(stage)?.all ?? EMPTY;
  }
}

const EMPTY: readonly CompiledRule[] = Object.freeze([]);

function mergeByOrdinal(...lists: (readonly CompiledRule[] | undefined)[]): CompiledRule[] {
  const seen = new Set<CompiledRule>();
  const merged: CompiledRule[] = [];
  for (const list of lists) {
    for (const rule of list ?? []) {
      if (!seen.has(rule)) {
        seen.add(rule);
        merged.push(rule);
      }
    }
  }
  return merged.sort((a, b) => a.ordinal - b.ordinal);
}
