import ts from 'typescript';

/**
 * Taint within one function: its parameters are input; a variable assigned from an expression
 * that reads a tainted name is tainted too (walked in source order, so a use after the
 * assignment sees it). A name passed to a guard call (an allow-list or validation check) is
 * guarded: an SSRF sink reading only guarded names is not flagged.
 */
export class FunctionTaint {
  private readonly tainted = new Set<string>();
  private readonly guarded = new Set<string>();

  constructor(parameters: readonly ts.ParameterDeclaration[]) {
    for (const parameter of parameters) this.taintBinding(parameter.name);
  }

  /** Marks every name a binding introduces (`x`, `{ a, b }`, `[c]`) as tainted. */
  taintBinding(name: ts.BindingName): void {
    if (ts.isIdentifier(name)) this.tainted.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) this.taintBinding(element.name);
  }

  /** Taints `name` when `value` reads a tainted name. */
  assign(name: ts.BindingName, value: ts.Expression): void {
    if (this.taintedNames(value).length > 0) this.taintBinding(name);
  }

  /** Records that the names `argument` reads have been checked by a guard. */
  guard(argument: ts.Expression): void {
    for (const name of this.taintedNames(argument)) this.guarded.add(name);
  }

  /** True when `expression` reads a tainted name that no guard has checked. */
  unguarded(expression: ts.Expression): boolean {
    return this.taintedNames(expression).some((name) => !this.guarded.has(name));
  }

  /** True when `expression` reads any tainted name. */
  reads(expression: ts.Expression): boolean {
    return this.taintedNames(expression).length > 0;
  }

  /** The tainted names `expression` reads (identifiers, not property names). */
  private taintedNames(expression: ts.Node): string[] {
    if (this.tainted.size === 0) return [];
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        if (this.tainted.has(node.text)) found.push(node.text);
        return;
      }
      if (ts.isPropertyAccessExpression(node)) return visit(node.expression); // `a.b` reads a, not b
      if (ts.isFunctionLike(node)) return; // a nested function is its own scope
      ts.forEachChild(node, visit);
    };
    visit(expression);
    return found;
  }
}
