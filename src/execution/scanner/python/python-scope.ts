import type { Node } from 'web-tree-sitter';

/**
 * Taint within one Python function: its parameters are input, a name assigned from an
 * expression that reads a tainted name is tainted, and a name a guard has checked is guarded.
 * Also remembers whether an HMAC comparison has run yet, for `pickle.loads`.
 */
export class PythonScope {
  private readonly tainted = new Set<string>();
  private readonly guarded = new Set<string>();
  hmacChecked = false;

  constructor(readonly owner: Node | undefined) {
    const parameters = owner?.childForFieldName('parameters');
    for (const parameter of parameters?.namedChildren ?? []) {
      const name = parameter?.type === 'identifier' ? parameter : (parameter?.childForFieldName('name') ?? parameter?.namedChildren.find((child) => child?.type === 'identifier'));
      if (name && name.type === 'identifier' && name.text !== 'self' && name.text !== 'cls') this.tainted.add(name.text);
    }
  }

  /** Taints the names on the left of `left = right` when `right` reads a tainted name. */
  assign(left: Node, right: Node): void {
    if (!this.reads(right)) return;
    for (const name of boundNames(left)) this.tainted.add(name);
  }

  /** Marks the tainted names `node` reads as checked. */
  guard(node: Node): void {
    for (const name of this.taintedNames(node)) this.guarded.add(name);
  }

  /** True when `node` reads a tainted name. */
  reads(node: Node): boolean {
    return this.taintedNames(node).length > 0;
  }

  /** True when `node` reads a tainted name no guard has checked. */
  unguarded(node: Node): boolean {
    return this.taintedNames(node).some((name) => !this.guarded.has(name));
  }

  private taintedNames(node: Node): string[] {
    if (this.tainted.size === 0) return [];
    const found: string[] = [];
    const stack: Node[] = [node];
    while (stack.length > 0) {
      const current = stack.pop();
      if (current === undefined) break;
      if (current.type === 'identifier') {
        if (this.tainted.has(current.text)) found.push(current.text);
      } else if (current.type === 'attribute') {
        const object = current.childForFieldName('object'); // `a.b` reads a, not b
        if (object) stack.push(object);
      } else if (current.type !== 'lambda' && current.type !== 'function_definition') {
        for (const child of current.namedChildren) if (child) stack.push(child);
      }
    }
    return found;
  }
}

/** Names bound by an assignment target (`x`, `a, b`, `(c, d)`). */
function boundNames(target: Node): string[] {
  if (target.type === 'identifier') return [target.text];
  if (target.type === 'pattern_list' || target.type === 'tuple_pattern' || target.type === 'list_pattern') {
    return target.namedChildren.flatMap((child) => (child ? boundNames(child) : []));
  }
  return [];
}
