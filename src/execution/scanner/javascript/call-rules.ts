import ts from 'typescript';
import type { Finding } from '../finding.js';
import { finding, type RuleId } from '../rules.js';
import type { FunctionTaint } from './function-taint.js';
import type { ModuleBindings } from './module-bindings.js';
import { nodeRange } from './parse.js';

/** What a call rule needs to know about where the call is. */
export interface CallSite {
  file: string;
  source: ts.SourceFile;
  bindings: ModuleBindings;
  /** Taint of the innermost enclosing function, if any. */
  taint: FunctionTaint | undefined;
  report(finding: Finding): void;
}

const VM_RUNNERS = new Set(['vm.runInThisContext', 'vm.runInNewContext', 'vm.runInContext', 'vm.compileFunction', 'vm.Script']);
const SHELL_RUNNERS = new Set(['child_process.exec', 'child_process.execSync']);
const PROCESS_RUNNERS = new Set([
  'child_process.spawn', 'child_process.spawnSync', 'child_process.execFile', 'child_process.execFileSync', 'child_process.fork',
]);
const HTTP_REQUESTS = new Set(['http.get', 'http.request', 'https.get', 'https.request']);
const HTTP_CLIENTS = new Set(['axios', 'got', 'ky', 'superagent', 'request', 'undici', 'needle']);
/** A call whose callee says it checks a value (`isAllowedHost(u)`, `ALLOWED.has(u.host)`). */
const GUARD_NAME = /allow|guard|valid|check|safe|permit|trust|verify/i;

/** Applies every call rule to a call or `new` expression. */
export function checkCall(call: ts.CallExpression | ts.NewExpression, site: CallSite): void {
  const callee = call.expression;
  const args = call.arguments ?? ts.factory.createNodeArray<ts.Expression>();
  const resolved = site.bindings.resolve(callee);
  const name = calleeText(callee);
  const report = (rule: RuleId, message: string): void => site.report(finding(rule, site.file, nodeRange(call, site.source), message));

  if (ts.isIdentifier(callee) && (callee.text === 'eval' || callee.text === 'Function')) {
    report('code-eval', `${ts.isNewExpression(call) ? 'new ' : ''}${callee.text}(...) evaluates a string as code`);
  } else if (resolved !== undefined && VM_RUNNERS.has(resolved)) {
    report('code-eval', `${resolved} runs a string as code in this process`);
  } else if (resolved !== undefined && SHELL_RUNNERS.has(resolved) && args[0] !== undefined && !isConstant(args[0])) {
    report('shell-injection', `${resolved} runs a command built at run time through /bin/sh`);
  } else if (resolved !== undefined && PROCESS_RUNNERS.has(resolved) && requestsShell(args)) {
    report('shell-injection', `${resolved} with shell: true runs its command through /bin/sh`);
  } else if (isHttpRequest(callee, resolved) && args[0] !== undefined && site.taint?.unguarded(args[0]) === true) {
    report('ssrf', `${name}(...) fetches a URL built from this function's input without an allow-list check`);
  }
  if (site.taint !== undefined && GUARD_NAME.test(name)) for (const argument of args) site.taint.guard(argument);
}

/** A string literal, or a template with no substitutions: nothing from outside gets in. */
function isConstant(expression: ts.Expression): boolean {
  return ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression);
}

/** An options object with `shell` set to anything but `false`. */
function requestsShell(args: readonly ts.Expression[]): boolean {
  return args.some(
    (argument) =>
      ts.isObjectLiteralExpression(argument) &&
      argument.properties.some(
        (property) =>
          ts.isPropertyAssignment(property) && propertyName(property.name) === 'shell' && property.initializer.kind !== ts.SyntaxKind.FalseKeyword,
      ),
  );
}

function isHttpRequest(callee: ts.Expression, resolved: string | undefined): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'fetch' || HTTP_CLIENTS.has(callee.text);
  if (resolved !== undefined && HTTP_REQUESTS.has(resolved)) return true;
  return ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && HTTP_CLIENTS.has(callee.expression.text);
}

/** `a.b.c` for a callee made of names, else its kind (for messages and guard names). */
export function calleeText(callee: ts.Expression): string {
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return `${calleeText(callee.expression)}.${callee.name.text}`;
  return 'expression';
}

/** The text of a property name that is written literally. */
export function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}
