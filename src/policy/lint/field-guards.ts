import type { ASTNode } from '@marcbachmann/cel-js';

/**
 * Finds reads of request fields that a request need not carry, made without a guard. Reading a
 * missing field (`args.table` when the call has no `table`) is a runtime error in CEL, and an
 * error counts in the rule's restrictive direction: a deny rule matches, an allow rule does not.
 * That is safe but rarely what the author meant, so lint points it out.
 *
 * What is always present: the top-level names (`stage`, `tool_name`, `agent`, `action`, `args`,
 * `input`, `output`, `context`) and `action.type` (it defaults to the tool name; a request that
 * names neither a tool nor an action is not a tool call). Every field below `agent`, `action`,
 * `args`, `context`, `input` and `output` is optional: the request schema says nothing of them.
 *
 * What guards a read of `x.y` (and, for deeper reads, every prefix needs its own guard:
 * `has(context.user) && has(context.user.role)`; `has()` itself reads everything but the last
 * field):
 * - `has(x.y)`, or `'y' in x`, anywhere in the same `&&` chain. CEL's `&&` and `||` absorb an
 *   error when the other side decides the result (`error && false` is false), so a guard after
 *   the read protects it as well as one before it.
 * - `!has(x.y)` (or `!('y' in x)`) on the other side of an `||`: `!has(x.y) || x.y == 1`.
 * - the condition of a `?:` for its branches: `has(x.y) ? x.y : 'none'`.
 * `x.y in [...]` is not a guard: it reads `x.y`.
 */

/** A read of an optional request field that no guard protects. */
export interface UnguardedRead {
  /** The field read, e.g. `context.user.role`. */
  field: string;
  /** The prefixes that need a guard, shortest first, e.g. `['context.user', 'context.user.role']`. */
  unguarded: string[];
  /** The guards to write for them, e.g. `['has(context.user)', 'has(context.user.role)']`. */
  guards: string[];
}

/** Names a request always binds whose fields are free-form (and so optional). */
const OPEN_ROOTS = new Set(['agent', 'action', 'args', 'context', 'input', 'output']);
/** Fields a request always has. */
const ALWAYS_PRESENT = new Set(['action.type']);
/** Macros whose first argument names a variable bound in their body. */
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

type Facts = ReadonlySet<string>;
const NO_FACTS: Facts = new Set();

/** Every unguarded read of an optional field in `ast`, each field once, in source order. */
export function findUnguardedReads(ast: ASTNode): UnguardedRead[] {
  const found = new Map<string, UnguardedRead>();
  walk(ast, NO_FACTS, NO_FACTS, (path, guarded) => {
    const unguarded: string[] = [];
    const guards: string[] = [];
    for (let length = 2; length <= path.length; length++) {
      const prefix = fieldName(path.slice(0, length));
      if (ALWAYS_PRESENT.has(prefix) || guarded.has(prefix)) continue;
      unguarded.push(prefix);
      guards.push(guardFor(path.slice(0, length)));
    }
    const field = fieldName(path);
    if (unguarded.length > 0 && !found.has(field)) found.set(field, { field, unguarded, guards });
  });
  return [...found.values()];
}

type OnRead = (path: readonly string[], guarded: Facts) => void;

/** Visits every field read in `node`, knowing which fields are proven present there. */
function walk(node: ASTNode, guarded: Facts, bound: Facts, onRead: OnRead): void {
  switch (node.op) {
    case '&&': {
      const [a, b] = node.args;
      walk(a, union(guarded, presentWhenTrue(b, bound)), bound, onRead);
      walk(b, union(guarded, presentWhenTrue(a, bound)), bound, onRead);
      return;
    }
    case '||': {
      const [a, b] = node.args;
      walk(a, union(guarded, presentWhenFalse(b, bound)), bound, onRead);
      walk(b, union(guarded, presentWhenFalse(a, bound)), bound, onRead);
      return;
    }
    case '?:': {
      const [test, then, otherwise] = node.args;
      walk(test, guarded, bound, onRead);
      walk(then, union(guarded, presentWhenTrue(test, bound)), bound, onRead);
      walk(otherwise, union(guarded, presentWhenFalse(test, bound)), bound, onRead);
      return;
    }
    case '.':
    case '[]': {
      const path = fieldPath(node, bound);
      if (path) {
        if (path.length >= 2) onRead(path, guarded);
        return;
      }
      walk(node.args[0], guarded, bound, onRead);
      if (node.op === '[]') walk(node.args[1], guarded, bound, onRead);
      return;
    }
    case '.?':
      // optional selection (`x.?y`) never fails on a missing field, but it reads `x`
      walk(node.args[0], guarded, bound, onRead);
      return;
    case '[?]':
      walk(node.args[0], guarded, bound, onRead);
      walk(node.args[1], guarded, bound, onRead);
      return;
    case 'call': {
      const [name, args] = node.args;
      const subject = args[0];
      if (name === 'has' && args.length === 1 && subject?.op === '.') {
        // has(x.y) tests y but reads x.
        walk(subject.args[0], guarded, bound, onRead);
        return;
      }
      for (const arg of args) walk(arg, guarded, bound, onRead);
      return;
    }
    case 'rcall': {
      const [name, target, args] = node.args;
      walk(target, guarded, bound, onRead);
      const variable = args[0];
      if (COMPREHENSIONS.has(name) && variable?.op === 'id') {
        const inner = union(bound, new Set([variable.args]));
        for (const arg of args.slice(1)) walk(arg, guarded, inner, onRead);
        return;
      }
      for (const arg of args) walk(arg, guarded, bound, onRead);
      return;
    }
    case 'list':
      for (const item of node.args) walk(item, guarded, bound, onRead);
      return;
    case 'map':
      for (const [key, value] of node.args) {
        walk(key, guarded, bound, onRead);
        walk(value, guarded, bound, onRead);
      }
      return;
    case '!_':
    case '-_':
      walk(node.args, guarded, bound, onRead);
      return;
    case 'value':
    case 'id':
      return;
    default: {
      // binary operators: ==, !=, in, <, +, ...
      const [a, b] = node.args;
      walk(a, guarded, bound, onRead);
      walk(b, guarded, bound, onRead);
    }
  }
}

/** Fields proven present whenever `node` evaluates to true (without error). */
function presentWhenTrue(node: ASTNode, bound: Facts): Facts {
  switch (node.op) {
    case 'call': {
      const [name, args] = node.args;
      const subject = args[0];
      if (name !== 'has' || args.length !== 1 || subject?.op !== '.') return NO_FACTS;
      const path = fieldPath(subject, bound);
      return path ? prefixes(path) : NO_FACTS;
    }
    case 'in': {
      const [key, container] = node.args;
      const path = fieldPath(container, bound);
      return key.op === 'value' && typeof key.args === 'string' && path ? prefixes([...path, key.args]) : NO_FACTS;
    }
    case '&&':
      return union(presentWhenTrue(node.args[0], bound), presentWhenTrue(node.args[1], bound));
    case '||':
      return intersection(presentWhenTrue(node.args[0], bound), presentWhenTrue(node.args[1], bound));
    case '!_':
      return presentWhenFalse(node.args, bound);
    default:
      return NO_FACTS;
  }
}

/** Fields proven present whenever `node` evaluates to false (without error). */
function presentWhenFalse(node: ASTNode, bound: Facts): Facts {
  switch (node.op) {
    case '||':
      return union(presentWhenFalse(node.args[0], bound), presentWhenFalse(node.args[1], bound));
    case '&&':
      return intersection(presentWhenFalse(node.args[0], bound), presentWhenFalse(node.args[1], bound));
    case '!_':
      return presentWhenTrue(node.args, bound);
    default:
      return NO_FACTS;
  }
}

/**
 * `args.a.b` / `args['a'].b` → ['args', 'a', 'b'] when the chain starts at a request name (not a
 * comprehension variable) and every step is a field name or a string key; null otherwise.
 */
function fieldPath(node: ASTNode, bound: Facts): string[] | null {
  switch (node.op) {
    case 'id':
      return OPEN_ROOTS.has(node.args) && !bound.has(node.args) ? [node.args] : null;
    case '.': {
      const base = fieldPath(node.args[0], bound);
      return base ? [...base, node.args[1]] : null;
    }
    case '[]': {
      const [object, key] = node.args;
      const base = fieldPath(object, bound);
      return base && key.op === 'value' && typeof key.args === 'string' ? [...base, key.args] : null;
    }
    default:
      return null;
  }
}

/** `['context', 'user', 'role']` → {'context.user', 'context.user.role'}: a present field's parents are present. */
function prefixes(path: readonly string[]): Facts {
  const facts = new Set<string>();
  for (let length = 2; length <= path.length; length++) facts.add(fieldName(path.slice(0, length)));
  return facts;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ['args', 'a', 'b-c'] → `args.a["b-c"]`: how the field is written in a condition. */
function fieldName(path: readonly string[]): string {
  let name = path[0] ?? '';
  for (const step of path.slice(1)) name += IDENTIFIER.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  return name;
}

/** `has(x.y)`, or `'y-z' in x` for a key has() cannot name. */
function guardFor(path: readonly string[]): string {
  const last = path[path.length - 1] as string;
  return IDENTIFIER.test(last) ? `has(${fieldName(path)})` : `${JSON.stringify(last)} in ${fieldName(path.slice(0, -1))}`;
}

function union(a: Facts, b: Facts): Facts {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  return new Set([...a, ...b]);
}

function intersection(a: Facts, b: Facts): Facts {
  if (a.size === 0 || b.size === 0) return NO_FACTS;
  return new Set([...a].filter((fact) => b.has(fact)));
}
