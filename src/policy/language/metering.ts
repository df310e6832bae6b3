import type { ASTNode } from '@marcbachmann/cel-js';
import { EvaluationBudget } from './budget.js';

/**
 * Metering: charges a condition's work, as it runs, to the budget of the decision it is part of
 * (see budget.ts for what costs). cel-js has no cost accounting, so after a condition is
 * type-checked, {@link meterCondition} wraps functions on its syntax tree:
 *
 * - each comprehension's per-iteration body (its `step` node's `evaluate`) pays the body's size
 *   before running it;
 * - each comprehension over a map pays the map's size (cel-js lists its keys up front);
 * - each operator and function call (their checked `handle`) pays the size of the lists, maps
 *   and strings it was given, before doing the work.
 *
 * Why wrap rather than rewrite the condition into calls of a charging function: the wrappers cost
 * a subtraction and a comparison, with no function-overload dispatch, and keep the condition's
 * static types. The price is reliance on cel-js internals (the `meta.evaluate` a node resolves
 * its `evaluate` from on first use, the `handle` its type check sets, the `comprehension` node a
 * macro expands to). They are those of @marcbachmann/cel-js 8.0.0, pinned exactly in
 * package.json, and test/policy/cel-internals.test.ts fails loudly if they change.
 *
 * Spent: cel-js's `all` and `exists` catch every error a step throws and keep iterating (CEL's
 * error absorption), so throwing alone would finish the loop. Once the budget is spent, a
 * quantifier's step instead returns the value that ends its loop (`false` for `all`, `true` for
 * `exists`), the other comprehensions' steps and every operator throw one preallocated error,
 * and nothing nested runs again: the rest of the condition costs a few steps. What the condition
 * then returns is meaningless, and `CompiledCondition.test` discards it (the budget is spent).
 */

/** The budget conditions charge: set by {@link useBudget} before each evaluation (evaluation is synchronous). */
let meter = new EvaluationBudget(Number.POSITIVE_INFINITY);

/** Makes `budget` the one the next condition evaluations charge. */
export function useBudget(budget: EvaluationBudget): void {
  meter = budget;
}

/** Thrown inside a metered condition once the budget is spent; preallocated, so rethrowing is cheap. */
const SPENT = new Error('evaluation budget spent');

/** Characters of a string that cost one unit (2^6 = 64); a regular expression pays a unit per character scanned on top (re2js: up to ~40 ns). */
const STRING_CHARS_PER_UNIT_SHIFT = 6;
/** Functions whose string argument is scanned by a regular expression. */
const REGEX_FUNCTIONS = new Set(['matches', 're2_matches']);
/** Binary operators whose work grows with their operands (list membership, deep equality, concatenation, string order). */
const SIZED_OPERATORS = new Set(['in', '==', '!=', '+', '<', '<=', '>', '>=']);

/** The cel-js 8.0.0 node internals metering reads and replaces (not in the package's types). */
export interface InternalNode {
  readonly op: string;
  readonly args: unknown;
  readonly meta: { evaluate?: EvaluateFn; alternate?: InternalNode; macro?: Record<string, unknown> };
  handle?: HandleFn;
  setMeta(key: string, value: unknown): InternalNode;
}

/** A comprehension node's `args`, as cel-js 8.0.0's macros build them. */
export interface ComprehensionArgs {
  iterable: InternalNode;
  init: InternalNode;
  step: InternalNode;
  kind?: string;
  errorsAreFatal?: boolean;
  condition?: (accu: unknown) => boolean;
}

type EvaluateFn = (this: InternalNode, ev: unknown, ast: InternalNode, ctx: unknown) => unknown;
type HandleFn = (a: unknown, b: unknown, c: unknown, d: unknown) => unknown;

/**
 * Wraps the comprehension steps and the sized operators of a checked condition so they charge
 * the current budget. Returns the number of wrapped places: 0 means the condition costs nothing
 * to meter (it has no comprehension and no operator or call).
 */
export function meterCondition(ast: ASTNode): number {
  return meterNode(ast as unknown as InternalNode);
}

function meterNode(node: InternalNode): number {
  const meta = node.meta;
  if (meta.alternate) return meterNode(meta.alternate);
  if (meta.macro) return macroChildren(meta.macro).reduce((n, child) => n + meterNode(child), 0);
  let wrapped = children(node).reduce((n, child) => n + meterNode(child), 0);
  if (node.op === 'comprehension') {
    const args = node.args as ComprehensionArgs;
    meterStep(args, 1 + bodyUnits(args.step));
    meterMapRange(node);
    wrapped += 2;
  } else if (node.handle && (node.op === 'call' || node.op === 'rcall' || (SIZED_OPERATORS.has(node.op) && !boundedByLiteral(node)))) {
    meterOperator(node);
    wrapped += 1;
  }
  return wrapped;
}

/**
 * A comparison with a literal (`tool_name == 'x'`, `args.rows > 5`, `x in ['a', 'b']`) does work
 * bounded by the literal, whatever the other side holds: left unmetered, it costs nothing.
 */
function boundedByLiteral(node: InternalNode): boolean {
  const [left, right] = (node.args as InternalNode[]).map(resolved) as [InternalNode, InternalNode];
  if (node.op === 'in') return right.op === 'list' && (right.args as InternalNode[]).every((item) => resolved(item).op === 'value');
  return left.op === 'value' || right.op === 'value';
}

function resolved(node: InternalNode): InternalNode {
  return node.meta.alternate ?? node;
}

/** The syntax nodes a node evaluates (a comprehension's `init` is a constant). */
export function children(node: InternalNode): InternalNode[] {
  const args = node.args;
  switch (node.op) {
    case 'value':
    case 'id':
    case 'accuValue':
    case 'accuInc':
      return [];
    case 'comprehension': {
      const c = args as ComprehensionArgs;
      return [c.iterable, c.step];
    }
    case '.':
    case '.?':
      return [(args as [InternalNode])[0]];
    case 'call':
      return (args as [string, InternalNode[]])[1];
    case 'rcall': {
      const [, receiver, rest] = args as [string, InternalNode, InternalNode[]];
      return [receiver, ...rest];
    }
    case 'map':
      return (args as [InternalNode, InternalNode][]).flat();
    case '!_':
    case '-_':
    case 'accuPush':
      return [args as InternalNode];
    default:
      return Array.isArray(args) ? (args as InternalNode[]) : [];
  }
}

/** The syntax nodes inside a non-expanding macro (`has()`, `cel.bind()`). */
function macroChildren(macro: Record<string, unknown>): InternalNode[] {
  const found: InternalNode[] = [];
  for (const key of ['args', 'val', 'exp']) {
    const value = macro[key];
    for (const item of Array.isArray(value) ? value : [value]) if (isNode(item)) found.push(item);
  }
  return found;
}

function isNode(value: unknown): value is InternalNode {
  return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string' && 'meta' in value;
}

/**
 * The units one run of a body costs: a unit per syntax node, and {@link OPERATOR_UNITS} per
 * operator or function call (cel-js resolves the overload of an operand typed `dyn`, as request
 * fields are, on every call: about ten times the cost of reading a field or a literal). A nested comprehension
 * counts its range, not its body (that charges itself).
 */
function bodyUnits(node: InternalNode): number {
  const meta = node.meta;
  if (meta.alternate) return bodyUnits(meta.alternate);
  if (meta.macro) return 1 + macroChildren(meta.macro).reduce((n, child) => n + bodyUnits(child), 0);
  if (node.op === 'comprehension') return 1 + bodyUnits((node.args as ComprehensionArgs).iterable);
  const own = OPERATORS.has(node.op) ? OPERATOR_UNITS : 1;
  return own + children(node).reduce((n, child) => n + bodyUnits(child), 0);
}

/** Units of one operator or function call in a comprehension's body, beyond what its operands cost. */
const OPERATOR_UNITS = 10;
const OPERATORS = new Set(['call', 'rcall', 'in', '==', '!=', '+', '-', '*', '/', '%', '<', '<=', '>', '>=', '!_', '-_']);

function meterStep(args: ComprehensionArgs, weight: number): void {
  const step = args.step;
  const inner = step.meta.evaluate;
  if (!inner) throw new Error(`cannot meter a comprehension step of kind '${step.op}'`);
  // A quantifier (all, exists) absorbs thrown errors; the value that makes its condition false ends it.
  const stop = args.kind === 'quantifier' && !args.errorsAreFatal && args.condition ? quantifierStop(args.condition) : undefined;
  step.setMeta('evaluate', function meteredStep(this: InternalNode, ev: unknown, ast: InternalNode, ctx: unknown): unknown {
    if ((meter.remaining -= weight) < 0) {
      if (stop !== undefined) return stop;
      throw SPENT;
    }
    return inner.call(this, ev, ast, ctx);
  });
}

function quantifierStop(condition: (accu: unknown) => boolean): boolean | undefined {
  if (!condition(false)) return false;
  if (!condition(true)) return true;
  return undefined;
}

/** cel-js lists a map's keys before iterating it, whether or not the loop ends early. */
function meterMapRange(node: InternalNode): void {
  const inner = node.handle;
  if (!inner) throw new Error('cannot meter a comprehension without a checked handle');
  node.handle = (items, args, ev, ctx) => {
    if (!Array.isArray(items)) charge(sizeOf(items));
    return inner(items, args, ev, ctx);
  };
}

function meterOperator(node: InternalNode): void {
  const inner = node.handle as HandleFn;
  if (node.op === 'call' || node.op === 'rcall') {
    const name = (node.args as [string])[0];
    const regex = REGEX_FUNCTIONS.has(name);
    // call: handle(values, ast, ev); rcall: handle([receiver, ...values], ev, ast)
    node.handle = (values, b, c, d) => {
      let units = 0;
      for (const value of values as unknown[]) {
        units += sizeOf(value);
        if (regex && typeof value === 'string') units += value.length;
      }
      if (units > 0) charge(units);
      return inner(values, b, c, d);
    };
  } else if (node.op === 'in') {
    // Membership in a map is a lookup; in a list, a deep comparison with each element.
    node.handle = (left, right, ast, ev) => {
      const units = sizeOf(left) + (Array.isArray(right) ? sizeOf(right) : 1);
      charge(units);
      return inner(left, right, ast, ev);
    };
  } else {
    node.handle = (left, right, ast, ev) => {
      const units = sizeOf(left) + sizeOf(right);
      if (units > 0) charge(units);
      return inner(left, right, ast, ev);
    };
  }
}

function charge(units: number): void {
  if ((meter.remaining -= units) < 0) throw SPENT;
}

/** Cost of handing `value` to an operation: 0 for scalars, a unit per 64 characters, deep element and entry count for containers. */
function sizeOf(value: unknown): number {
  if (typeof value === 'string') return value.length >>> STRING_CHARS_PER_UNIT_SHIFT;
  if (typeof value !== 'object' || value === null) return 0;
  return containerSize(value);
}

/** Sizes of frozen containers (the kernel freezes requests), so a list searched in every iteration is walked once. */
const knownSizes = new WeakMap<object, number>();

function containerSize(container: object): number {
  const known = knownSizes.get(container);
  if (known !== undefined) return known;
  let size = 0;
  if (Array.isArray(container)) {
    size = container.length;
    for (const item of container as unknown[]) if (typeof item === 'object' || typeof item === 'string') size += sizeOf(item);
  } else if (container instanceof Map || container instanceof Set) {
    size = container.size;
  } else {
    for (const key in container) {
      size += 1 + (key.length >>> STRING_CHARS_PER_UNIT_SHIFT);
      const item = (container as Record<string, unknown>)[key];
      if (typeof item === 'object' || typeof item === 'string') size += sizeOf(item);
    }
  }
  if (Object.isFrozen(container)) knownSizes.set(container, size);
  return size;
}

/** True when `error` is the one metering throws once the budget is spent. */
export function isBudgetSignal(error: unknown): boolean {
  return error === SPENT;
}
