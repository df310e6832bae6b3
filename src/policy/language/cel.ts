import { Environment, EvaluationError, type ASTNode } from '@marcbachmann/cel-js';
import { serialize } from '@marcbachmann/cel-js/serialize';
import { RE2JS } from 're2js';
import { RE2_METHOD, rewriteDialect } from './dialect.js';
import { extractPins, toolNameLiterals, type Pins } from './pins.js';
import { suggest } from '../../core/suggest.js';
import { EvaluationBudget, EvaluationBudgetSpent } from './budget.js';
import { meterCondition, useBudget } from './metering.js';

/**
 * CEL conditions: the dialect rewrite, a type-checking environment declaring exactly the names a
 * request binds, and linear-time regexes. Conditions are compiled once at load; evaluation is a
 * plain synchronous function call.
 */

/** The names a condition may read, with the CEL types checked at load. */
export const REQUEST_VARIABLES: Readonly<Record<string, string>> = {
  stage: 'string',
  tool_name: 'dyn', // null when the request names no tool
  agent: 'map<string, dyn>',
  action: 'map<string, dyn>',
  args: 'map<string, dyn>',
  input: 'dyn',
  output: 'dyn',
  context: 'map<string, dyn>',
};

const MAX_CACHED_PATTERNS = 1024;
const patternCache = new Map<string, RE2JS>();

/** Compiles an RE2 pattern (cached); throws RE2's syntax error for a bad one. */
export function compileRegex(pattern: string): RE2JS {
  let re = patternCache.get(pattern);
  if (re === undefined) {
    re = RE2JS.compile(pattern);
    if (patternCache.size >= MAX_CACHED_PATTERNS) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

function re2Matches(text: unknown, pattern: unknown): boolean {
  if (typeof text !== 'string' || typeof pattern !== 'string') {
    throw new EvaluationError(`matches() needs (string, string), got (${typeName(text)}, ${typeName(pattern)})`);
  }
  let re: RE2JS;
  try {
    re = compileRegex(pattern);
  } catch (error) {
    throw new EvaluationError(`invalid RE2 pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`);
  }
  return re.test(text);
}

/** `contains` for the structured operator: substring of a string, or member of a list/map. */
function containsValue(container: unknown, value: unknown): boolean {
  if (typeof container === 'string') return typeof value === 'string' && container.includes(value);
  if (Array.isArray(container)) return container.some((item) => item === value);
  if (container && typeof container === 'object' && typeof value === 'string') return Object.hasOwn(container, value);
  throw new EvaluationError(`contains needs a string, list or map, got ${typeName(container)}`);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value;
}

/** Name of the helper the structured `contains` operator compiles to. */
export const CONTAINS_FUNCTION = 'agt_contains';

const environment = (() => {
  const env = new Environment({
    homogeneousAggregateLiterals: false,
    limits: { maxAstNodes: 10_000, maxDepth: 64, maxListElements: 10_000, maxMapEntries: 1_000, maxCallArguments: 32 },
  });
  for (const [name, type] of Object.entries(REQUEST_VARIABLES)) env.registerVariable(name, type);
  env.registerFunction('matches(string, string): bool', re2Matches);
  env.registerFunction(`dyn.${RE2_METHOD}(string): bool`, re2Matches);
  env.registerFunction(`${CONTAINS_FUNCTION}(dyn, dyn): bool`, containsValue);
  return env;
})();

/** A condition ready to run: `test` returns true/false or throws on a runtime error. */
export interface CompiledCondition {
  /** The condition as written. */
  source: string;
  /** The CEL it compiled to (after the dialect rewrite). */
  cel: string;
  /**
   * Runs the condition, charging its work to `budget` (a fresh default budget when none is
   * given). Throws {@link EvaluationBudgetSpent} when the budget runs out during the run, whatever
   * the condition would have returned, and cel-js's error for any other runtime error.
   */
  test(request: object, budget?: EvaluationBudget): boolean;
  /** Literal values the condition requires of `tool_name` or `action.type`, for the rule index. */
  pins: Pins | null;
  /** Every literal the condition compares `tool_name` with (see `toolNameLiterals`). */
  toolNames: readonly string[];
}

/** A condition that does not parse or type-check. */
export class ConditionError extends Error {
  override name = 'ConditionError';
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Parses, rewrites and type-checks `source`; throws {@link ConditionError} when it can't. */
export function compileCondition(source: string): CompiledCondition {
  const { cel, tokens } = rewriteDialect(source);
  let program: ReturnType<Environment['parse']>;
  try {
    program = environment.parse(cel);
  } catch (error) {
    throw new ConditionError(celMessage(error, cel));
  }
  const checked = program.check();
  if (!checked.valid) {
    const error = checked.error;
    const unknown = /Unknown variable: (\w+)/.exec(error?.message ?? '');
    const hint = unknown ? unknownVariableHint(unknown[1] as string) : undefined;
    throw new ConditionError(celMessage(error, cel), hint);
  }
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw new ConditionError(`a condition must be boolean, but '${source}' is of type ${checked.type}`);
  }
  for (const pattern of literalPatterns(tokens)) {
    try {
      compileRegex(pattern);
    } catch (error) {
      throw new ConditionError(`invalid regular expression ${JSON.stringify(pattern)}: ${(error as Error).message}`);
    }
  }
  const run = program as unknown as (context: object) => unknown;
  // Wrapped after the type check, which sets the functions metering wraps (see metering.ts).
  const metered = meterCondition(program.ast) > 0;
  return {
    source,
    cel,
    pins: extractPins(tokens, decodeStringLiteral),
    toolNames: toolNameLiterals(tokens, decodeStringLiteral),
    test(request: object, budget?: EvaluationBudget): boolean {
      let result: unknown;
      if (metered) {
        const charged = budget ?? new EvaluationBudget();
        useBudget(charged);
        try {
          result = run(request);
        } catch (error) {
          if (charged.spent) throw new EvaluationBudgetSpent(charged.units);
          throw error;
        }
        if (charged.spent) throw new EvaluationBudgetSpent(charged.units);
      } else {
        result = run(request);
      }
      if (typeof result !== 'boolean') throw new EvaluationError(`condition produced ${typeName(result)}, not a boolean`);
      return result;
    },
  };
}

/** A condition's syntax tree, for static analysis (lint); see {@link parseConditionSyntax}. */
export interface ConditionSyntax {
  /** The CEL the condition rewrote to; `ast` node ranges index into it. */
  cel: string;
  ast: ASTNode;
  /** The condition re-printed from its tree: layout, quoting, redundant parentheses and dialect spelling normalised. */
  normalized: string;
}

/**
 * Parses `source` (after the dialect rewrite) without compiling it to a program. For tools that
 * read conditions rather than run them; call {@link compileCondition} first to know it is valid.
 * Throws {@link ConditionError} when it does not parse.
 */
export function parseConditionSyntax(source: string): ConditionSyntax {
  const { cel } = rewriteDialect(source);
  let ast: ASTNode;
  try {
    ast = environment.parse(cel).ast;
  } catch (error) {
    throw new ConditionError(celMessage(error, cel));
  }
  return { cel, ast, normalized: serialize(ast) };
}

function unknownVariableHint(name: string): string {
  const names = Object.keys(REQUEST_VARIABLES);
  const close = suggest(name, names);
  if (close) return `did you mean '${close}'?`;
  return `conditions can read ${names.join(', ')}; free-form fields live under context (context.${name})`;
}

function celMessage(error: unknown, cel: string): string {
  const e = error as { summary?: string; message?: string; range?: { start: number } } | undefined;
  const summary = e?.summary ?? e?.message ?? String(error);
  const at = e?.range ? ` at column ${e.range.start + 1} of '${cel}'` : ` in '${cel}'`;
  return `${summary}${at}`;
}

/** Decodes a CEL string literal token by letting CEL evaluate it; null if it is not a string. */
export function decodeStringLiteral(literal: string): string | null {
  try {
    const value: unknown = environment.evaluate(literal);
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/** Literal regex patterns in `x.matches('p')` and `matches(x, 'p')`, so bad ones fail at load. */
function literalPatterns(tokens: ReturnType<typeof rewriteDialect>['tokens']): string[] {
  const patterns: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = tokens[i]?.text;
    if (tokens[i]?.kind !== 'ident' || (name !== RE2_METHOD && name !== 'matches') || tokens[i + 1]?.text !== '(') continue;
    // the pattern is the last argument: find the matching ')' and look at the token before it
    let depth = 0;
    for (let k = i + 1; k < tokens.length; k++) {
      const t = tokens[k]?.text;
      if (t === '(' || t === '[' || t === '{') depth++;
      else if (t === ')' || t === ']' || t === '}') {
        depth--;
        if (depth === 0) {
          const last = tokens[k - 1];
          const before = tokens[k - 2]?.text;
          if (last?.kind === 'string' && (before === ',' || before === '(')) {
            const value = decodeStringLiteral(last.text);
            if (value !== null) patterns.push(value);
          }
          break;
        }
      }
    }
  }
  return patterns;
}
