import type { ASTNode } from '@marcbachmann/cel-js';
import { children, type InternalNode } from '../language/metering.js';

/**
 * Finds comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) nested inside one another
 * where each ranges over request data: their work is the product of the lengths of lists the
 * caller chooses (`args.items.all(x, args.items.all(y, ...))` runs n² times), so a long list
 * spends the decision's evaluation budget and the request is denied with `runtime_error:budget`.
 * Lint warns so the author can bound the lists (`size(args.items) <= 100 && ...`) or restructure.
 *
 * Request data: a range whose root is a name the request binds (`args`, `input`, `context`, ...)
 * or the variable of an enclosing comprehension over request data. A range read from the element
 * being visited (`args.items.all(x, x.children.all(...))`) does not multiply: it visits each part
 * of the request once.
 */

/** One chain of nested comprehensions over request data, outermost first. */
export interface NestedComprehension {
  /** The ranges as written, e.g. `['args.items', 'args.items']`. */
  ranges: string[];
}

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
const REQUEST_ROOTS = new Set(['agent', 'action', 'args', 'input', 'output', 'context']);

/** The deepest chains of nested comprehensions over request data in `ast`, in source order. */
export function findNestedComprehensions(ast: ASTNode): NestedComprehension[] {
  const chains: string[][] = [];
  walk(ast as unknown as InternalNode, [], new Map(), (chain) => chains.push(chain));
  // keep only the deepest: drop a chain that another extends
  const deepest = chains.filter((chain) => !chains.some((other) => other.length > chain.length && chain.every((range, i) => other[i] === range)));
  const seen = new Set<string>();
  return deepest.filter((chain) => !seen.has(chain.join('\u0000')) && seen.add(chain.join('\u0000'))).map((ranges) => ({ ranges }));
}

function walk(node: InternalNode, chain: readonly string[], bound: ReadonlyMap<string, string>, found: (chain: string[]) => void): void {
  if (node.op === 'rcall') {
    const [name, target, args] = node.args as [string, InternalNode, InternalNode[]];
    const variable = args[0];
    if (COMPREHENSIONS.has(name) && variable?.op === 'id') {
      walk(target, chain, bound, found);
      const range = requestRange(target, bound);
      // A range read from the element being visited (`x.children`, `args[k]`) is linear in the
      // request overall: each part of it is visited once. Only an independent range multiplies.
      const multiplies = range !== null && !mentionsAny(target, bound);
      const inner = multiplies ? [...chain, range] : [...chain];
      if (multiplies && inner.length >= 2) found(inner);
      const innerBound = new Map(bound);
      if (range !== null) innerBound.set(variable.args as string, range);
      else innerBound.delete(variable.args as string);
      for (const arg of args.slice(1)) walk(arg, inner, innerBound, found);
      return;
    }
  }
  for (const child of children(node)) walk(child, chain, bound, found);
}

/** True when `node` reads one of the `bound` comprehension variables. */
function mentionsAny(node: InternalNode, bound: ReadonlyMap<string, string>): boolean {
  if (node.op === 'id') return bound.has(node.args as string);
  return children(node).some((child) => mentionsAny(child, bound));
}

/** The range as written when it is request data (see above); null otherwise. */
function requestRange(target: InternalNode, bound: ReadonlyMap<string, string>): string | null {
  let node = target;
  for (;;) {
    if (node.op === '.' || node.op === '.?' || node.op === '[]' || node.op === '[?]') node = (node.args as [InternalNode])[0];
    else if (node.op === 'rcall') node = (node.args as [string, InternalNode])[1];
    else break;
  }
  if (node.op !== 'id') return null;
  const root = node.args as string;
  const text = (target as unknown as { input: string; start: number; end: number }).input.slice((target as unknown as { start: number }).start, (target as unknown as { end: number }).end);
  if (bound.has(root)) return text;
  return REQUEST_ROOTS.has(root) ? text : null;
}

/** `iterates up to n² elements of args.items`, `... n·m elements of args.a × args.b`. */
export function describeNesting(ranges: readonly string[]): string {
  const distinct = [...new Set(ranges)];
  if (distinct.length === 1) return `iterates up to n${superscript(ranges.length)} elements of ${distinct[0] as string} (n = its length)`;
  const letters = ranges.map((range) => LETTERS[distinct.indexOf(range)] ?? '?');
  return `iterates up to ${letters.join('·')} elements of ${ranges.join(' × ')} (${distinct.map((range, i) => `${LETTERS[i] ?? '?'} = length of ${range}`).join(', ')})`;
}

const LETTERS = ['n', 'm', 'k', 'p', 'q'];
const SUPERSCRIPTS = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

function superscript(count: number): string {
  return [...String(count)].map((digit) => SUPERSCRIPTS[Number(digit)]).join('');
}
