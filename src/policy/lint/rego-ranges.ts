import { execFileSync } from 'node:child_process';
import { dirname, relative, resolve } from 'node:path';
import type { PolicyIssue } from '../../core/errors.js';
import type { PolicySource } from '../document/source.js';
import { findOpaBinary } from '../engines/opa-binary.js';

/**
 * Lint check `rego-request-range`: a `numbers.range` or `numbers.range_step` in a document's Rego
 * sources whose bounds come from the request (`input`). Such a range is as large as the caller
 * asks: `numbers.range(1, input.args.n)` allocates n numbers. The engine's deadline and memory
 * bound stop it (a deny), but a policy that lets a request decide its cost is a policy to fix:
 * clamp the bound (`min([input.args.n, 100])`) or iterate over the data itself.
 *
 * The sources are parsed by the real OPA (`opa parse --format json`), not matched with regexes,
 * and "comes from the request" follows assignments: a variable or rule whose value mentions
 * `input` (or such a variable, transitively) counts. It over-approximates (names are not scoped
 * per rule), which is the safe side for a warning. Without the OPA binary there is nothing to
 * parse with, and the check is silent (loading reports the missing binary).
 */

const RANGE_BUILTINS = new Set(['range', 'range_step']);
/** Operators whose operands bind to each other: `:=`, `=`, `some x in xs`. */
const BINDERS = new Set(['assign', 'eq', 'internal.member_2', 'internal.member_3']);
const PARSE_TIMEOUT_MS = 30_000;

type Node = Record<string, unknown>;

/** The `rego-request-range` warnings of a document's Rego sources. */
export function checkRegoRanges(source: PolicySource): PolicyIssue[] {
  const rego = source.spec.engines?.rego;
  if (rego?.source === undefined) return [];
  const opa = findOpaBinary();
  if (!opa) return [];
  const baseDir = source.file ? dirname(source.file) : process.cwd();
  const names = Array.isArray(rego.source) ? rego.source : [rego.source];
  return names.flatMap((name) => {
    const path = resolve(baseDir, name);
    const module = parseRego(opa.path, path);
    return module ? requestSizedRanges(module, relative(process.cwd(), path) || path) : [];
  });
}

/** The module's AST as OPA gives it, with locations; null when it does not parse (loading reports why). */
function parseRego(opa: string, path: string): Node | null {
  try {
    const out = execFileSync(opa, ['parse', '--format', 'json', '--json-include', 'locations,-comments', path], { stdio: ['ignore', 'pipe', 'pipe'], timeout: PARSE_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024 });
    return JSON.parse(out.toString('utf8')) as Node;
  } catch {
    return null;
  }
}

function requestSizedRanges(module: Node, file: string): PolicyIssue[] {
  const tainted = taintedNames(module);
  const issues: PolicyIssue[] = [];
  visit(module, (node) => {
    const call = callOf(node);
    if (!call) return;
    const [operator, ...args] = call;
    const builtin = builtinName(operator);
    if (!builtin?.startsWith('numbers.') || !RANGE_BUILTINS.has(builtin.slice('numbers.'.length))) return;
    if (!args.some((arg) => mentionsRequest(arg, tainted))) return;
    const location = (operator?.location ?? node.location) as { row?: number; col?: number } | undefined;
    issues.push({
      severity: 'warning',
      code: 'rego-request-range',
      file,
      line: location?.row ?? 1,
      column: location?.col ?? 1,
      message: `${builtin} takes a bound from the request: its size (time and memory) is the caller's to choose`,
      hint: 'clamp the bound, e.g. min([input.args.n, 1000]), or iterate over the data itself; the engine stops it at timeout_ms / memory_mb, as a deny',
    });
  });
  return issues;
}

/** Names (variables and rules) whose values derive from `input`, to a fixpoint. */
function taintedNames(module: Node): Set<string> {
  const tainted = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    const taint = (operand: unknown) => {
      for (const name of varsIn(operand)) {
        if (!tainted.has(name)) {
          tainted.add(name);
          grew = true;
        }
      }
    };
    visit(module, (node) => {
      const call = callOf(node);
      const operator = call ? builtinName(call[0]) : undefined;
      if (call && operator && BINDERS.has(operator)) {
        const operands = call.slice(1);
        if (operands.some((o) => mentionsRequest(o, tainted))) operands.forEach(taint);
      }
      const head = node.head as Node | undefined;
      if (head && (mentionsRequest(head.value, tainted) || mentionsRequest(head.key, tainted))) taint({ type: 'var', value: head.name });
    });
  }
  return tainted;
}

/** The operator and operands when `node` is a call (a call term, or an expression that calls). */
function callOf(node: Node): Node[] | null {
  if (node.type === 'call' && Array.isArray(node.value)) return node.value as Node[];
  if (Array.isArray(node.terms)) return node.terms as Node[];
  return null;
}

/** `numbers.range` for the ref `numbers.range`; undefined for anything but a plain dotted ref. */
function builtinName(operator: Node | undefined): string | undefined {
  if (operator?.type !== 'ref' || !Array.isArray(operator.value)) return undefined;
  const parts = (operator.value as Node[]).map((part) => part.value);
  return parts.every((part) => typeof part === 'string') ? parts.join('.') : undefined;
}

function mentionsRequest(term: unknown, tainted: ReadonlySet<string>): boolean {
  let found = false;
  visit(term, (node) => {
    if (node.type === 'var' && typeof node.value === 'string' && (node.value === 'input' || tainted.has(node.value))) found = true;
  });
  return found;
}

function varsIn(term: unknown): string[] {
  const names: string[] = [];
  visit(term, (node) => {
    if (node.type === 'var' && typeof node.value === 'string' && node.value !== 'input' && !node.value.startsWith('$')) names.push(node.value);
  });
  return names;
}

/** Calls `each` on every object in the tree (depth first). */
function visit(tree: unknown, each: (node: Node) => void): void {
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) stack.push(...(value as unknown[]));
    else if (typeof value === 'object' && value !== null) {
      each(value as Node);
      for (const [key, child] of Object.entries(value)) if (key !== 'location') stack.push(child);
    }
  }
}
