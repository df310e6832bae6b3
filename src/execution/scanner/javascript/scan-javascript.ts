import ts from 'typescript';
import type { Finding } from '../finding.js';
import { finding } from '../rules.js';
import { looksLikeSecret } from '../secrets.js';
import { checkCall, propertyName } from './call-rules.js';
import { FunctionTaint } from './function-taint.js';
import { GovernanceFacts } from './governance-facts.js';
import { ModuleBindings } from './module-bindings.js';
import { nodeRange, parseScript } from './parse.js';

/**
 * Scans one JavaScript or TypeScript file in a single walk of its syntax tree. Code that does
 * not parse yields a `parse-error` finding plus whatever the recovered tree still shows.
 */
export function scanJavaScript(file: string, text: string): Finding[] {
  const { source, syntaxError } = parseScript(file, text);
  const findings: Finding[] = [];
  if (syntaxError) findings.push(finding('parse-error', file, syntaxError.range, `does not parse: ${syntaxError.message}`));
  const bindings = new ModuleBindings();
  const governance = new GovernanceFacts();
  const report = (found: Finding): void => void findings.push(found);
  let taint: FunctionTaint | undefined;

  const visit = (node: ts.Node): void => {
    switch (node.kind) {
      case ts.SyntaxKind.Identifier:
        governance.identifier(node as ts.Identifier);
        return;
      case ts.SyntaxKind.ImportDeclaration:
        bindings.record(node);
        return;
      case ts.SyntaxKind.VariableDeclaration: {
        const declaration = node as ts.VariableDeclaration;
        bindings.record(declaration);
        if (declaration.initializer) {
          taint?.assign(declaration.name, declaration.initializer);
          checkSecret(ts.isIdentifier(declaration.name) ? declaration.name.text : undefined, declaration.initializer, source, file, report);
        }
        break;
      }
      case ts.SyntaxKind.BinaryExpression: {
        const binary = node as ts.BinaryExpression;
        if (binary.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
          const target = assignedName(binary.left);
          if (ts.isIdentifier(binary.left)) taint?.assign(binary.left, binary.right);
          checkSecret(target, binary.right, source, file, report);
        }
        break;
      }
      case ts.SyntaxKind.PropertyAssignment: {
        const property = node as ts.PropertyAssignment;
        checkSecret(propertyName(property.name), property.initializer, source, file, report);
        break;
      }
      case ts.SyntaxKind.ObjectLiteralExpression:
        governance.objectLiteral(node as ts.ObjectLiteralExpression);
        break;
      case ts.SyntaxKind.CallExpression:
      case ts.SyntaxKind.NewExpression:
        // Arguments first, so a guard or assignment inside them is seen before the call's rules.
        ts.forEachChild(node, visit);
        checkCall(node as ts.CallExpression, { file, source, bindings, taint, report });
        governance.call(node as ts.CallExpression);
        return;
    }
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const outer = taint;
      taint = new FunctionTaint(node.parameters);
      ts.forEachChild(node, visit);
      taint = outer;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  findings.push(...governance.findings(file, source));
  return findings;
}

/** The name a value is assigned to (`x = ...`, `obj.apiKey = ...`). */
function assignedName(target: ts.Expression): string | undefined {
  if (ts.isIdentifier(target)) return target.text;
  if (ts.isPropertyAccessExpression(target)) return target.name.text;
  return undefined;
}

function checkSecret(name: string | undefined, value: ts.Expression, source: ts.SourceFile, file: string, report: (found: Finding) => void): void {
  if (!ts.isStringLiteral(value) && !ts.isNoSubstitutionTemplateLiteral(value)) return;
  if (looksLikeSecret(name, value.text)) {
    report(finding('hardcoded-secret', file, nodeRange(value, source), `${name === undefined ? 'a string literal' : `'${name}'`} holds what looks like a credential`));
  }
}
