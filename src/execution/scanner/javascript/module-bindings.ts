import ts from 'typescript';

/**
 * Which local names come from which Node module, so `exec(cmd)` is flagged only when `exec` is
 * child_process's: `import { exec } from 'node:child_process'`, `import * as cp from ...`,
 * `const cp = require('child_process')`, `const { execSync: run } = require(...)`.
 */
export class ModuleBindings {
  /** local name → module name, for a namespace (`cp`). */
  private readonly namespaces = new Map<string, string>();
  /** local name → `module.member` (`exec` → `child_process.exec`). */
  private readonly members = new Map<string, string>();

  /** Records the bindings a statement introduces, if it imports or requires a module. */
  record(node: ts.Node): void {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const module = moduleName(node.moduleSpecifier.text);
      const clause = node.importClause;
      if (clause?.name) this.namespaces.set(clause.name.text, module);
      const named = clause?.namedBindings;
      if (named && ts.isNamespaceImport(named)) this.namespaces.set(named.name.text, module);
      if (named && ts.isNamedImports(named)) {
        for (const element of named.elements) {
          this.members.set(element.name.text, `${module}.${(element.propertyName ?? element.name).text}`);
        }
      }
    } else if (ts.isVariableDeclaration(node) && node.initializer) {
      const module = requiredModule(node.initializer);
      if (module === undefined) return;
      if (ts.isIdentifier(node.name)) this.namespaces.set(node.name.text, module);
      else if (ts.isObjectBindingPattern(node.name)) {
        for (const element of node.name.elements) {
          if (!ts.isIdentifier(element.name)) continue;
          const imported = element.propertyName && ts.isIdentifier(element.propertyName) ? element.propertyName.text : element.name.text;
          this.members.set(element.name.text, `${module}.${imported}`);
        }
      }
    }
  }

  /** `module.member` a callee names (`cp.exec`, `exec`, `require('vm').runInThisContext`), if known. */
  resolve(callee: ts.Expression): string | undefined {
    if (ts.isIdentifier(callee)) return this.members.get(callee.text);
    if (ts.isPropertyAccessExpression(callee)) {
      const target = callee.expression;
      const module = ts.isIdentifier(target) ? this.namespaces.get(target.text) : requiredModule(target);
      return module === undefined ? undefined : `${module}.${callee.name.text}`;
    }
    return undefined;
  }
}

/** `require('x')` → `x` (without a `node:` prefix). */
function requiredModule(expression: ts.Expression): string | undefined {
  if (!ts.isCallExpression(expression) || !ts.isIdentifier(expression.expression) || expression.expression.text !== 'require') return undefined;
  const [argument] = expression.arguments;
  return argument !== undefined && ts.isStringLiteralLike(argument) ? moduleName(argument.text) : undefined;
}

function moduleName(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}
