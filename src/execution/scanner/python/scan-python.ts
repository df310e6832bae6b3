import type { Node } from 'web-tree-sitter';
import type { Finding } from '../finding.js';
import { finding } from '../rules.js';
import { looksLikeSecret } from '../secrets.js';
import { withTree } from '../tree-sitter/grammars.js';
import { firstSyntaxError, treeRange, walkTree } from '../tree-sitter/syntax-nodes.js';
import { classifyCall, isGuard } from './python-calls.js';
import { PythonImports } from './python-imports.js';
import { PythonScope } from './python-scope.js';

/** A comparison that checks a value against an allow-list (`host in ALLOWED_HOSTS`). */
const ALLOW_LIST = /allow|trusted|permit/i;

/** The node types the walk below acts on. */
const VISITED = new Set(['import_statement', 'import_from_statement', 'function_definition', 'assignment', 'keyword_argument', 'pair', 'comparison_operator', 'call']);

/**
 * Scans one Python file with the tree-sitter Python grammar, in one walk: imports resolve call
 * names, each function is a taint scope, and code that does not parse is a `parse-error`.
 */
export function scanPython(file: string, text: string): Promise<Finding[]> {
  return withTree('python', text, (tree) => {
    const findings: Finding[] = [];
    const broken = firstSyntaxError(tree);
    if (broken) findings.push(finding('parse-error', file, treeRange(broken), `does not parse: unexpected ${broken.isMissing ? `end, missing ${broken.type}` : `'${broken.text.slice(0, 80).replace(/\s+/g, ' ').slice(0, 40)}'`}`));
    const imports = new PythonImports();
    const scopes: PythonScope[] = [new PythonScope(undefined)];
    const scope = (): PythonScope => scopes[scopes.length - 1] as PythonScope;

    const enter = (node: Node): void => {
      switch (node.type) {
        case 'import_statement':
        case 'import_from_statement':
          imports.record(node);
          break;
        case 'function_definition':
          scopes.push(new PythonScope(node));
          break;
        case 'assignment': {
          const left = node.childForFieldName('left');
          const right = node.childForFieldName('right');
          if (left && right) {
            scope().assign(left, right);
            checkSecret(left.type === 'attribute' ? left.childForFieldName('attribute')?.text : left.text, right, file, findings);
          }
          break;
        }
        case 'keyword_argument': {
          const value = node.childForFieldName('value');
          if (value) checkSecret(node.childForFieldName('name')?.text, value, file, findings);
          break;
        }
        case 'pair': {
          const key = node.childForFieldName('key');
          const value = node.childForFieldName('value');
          if (key && value) checkSecret(literalString(key), value, file, findings);
          break;
        }
        case 'comparison_operator':
          if (ALLOW_LIST.test(node.text)) scope().guard(node);
          break;
        case 'call': {
          const callee = node.childForFieldName('function');
          const name = callee ? imports.resolve(callee) : undefined;
          if (name === undefined) break;
          if (name === 'hmac.compare_digest' || name === 'secrets.compare_digest') scope().hmacChecked = true;
          if (isGuard(name)) for (const argument of node.childForFieldName('arguments')?.namedChildren ?? []) if (argument) scope().guard(argument);
          const matched = classifyCall(name, node, scope());
          if (matched) findings.push(finding(matched.rule, file, treeRange(node), matched.message));
          break;
        }
      }
    };
    const leave = (node: Node): void => {
      if (node.type === 'function_definition' && scopes.length > 1) scopes.pop();
    };
    walkTree(tree, VISITED, enter, leave);
    return findings;
  });
}

/** The value of a plain string literal (no f-string substitutions), else undefined. */
function literalString(node: Node): string | undefined {
  if (node.type !== 'string' || node.namedChildren.some((child) => child?.type === 'interpolation')) return undefined;
  return node.namedChildren.filter((child) => child?.type === 'string_content').map((child) => child?.text ?? '').join('');
}

function checkSecret(name: string | undefined, value: Node, file: string, findings: Finding[]): void {
  const literal = literalString(value);
  if (literal !== undefined && looksLikeSecret(name, literal)) {
    findings.push(finding('hardcoded-secret', file, treeRange(value), `${name === undefined ? 'a string literal' : `'${name}'`} holds what looks like a credential`));
  }
}
