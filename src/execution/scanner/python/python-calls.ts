import type { Node } from 'web-tree-sitter';
import type { RuleId } from '../rules.js';
import type { PythonScope } from './python-scope.js';

const EVALUATORS = new Set(['eval', 'exec']);
const SHELL_ALWAYS = new Set(['os.system', 'os.popen']);
const SUBPROCESS = new Set(['subprocess.run', 'subprocess.call', 'subprocess.check_call', 'subprocess.check_output', 'subprocess.Popen']);
const SUBPROCESS_SHELL = new Set(['subprocess.getoutput', 'subprocess.getstatusoutput', 'asyncio.create_subprocess_shell']);
const DESERIALIZERS = new Set([
  'pickle.load', 'pickle.Unpickler', 'cPickle.load', 'cPickle.loads', 'dill.load', 'dill.loads',
  'marshal.load', 'marshal.loads', 'yaml.unsafe_load', 'shelve.open', 'jsonpickle.decode',
]);
const SAFE_YAML_LOADERS = /(?:^|\.)(?:Safe|CSafe|Base)Loader$/;
const HTTP_CLIENTS = /^(?:requests|httpx|aiohttp|urllib3)\.(?:get|post|put|patch|delete|head|options|request|stream)$|^urllib\.request\.urlopen$|^urlopen$/;
/** A call whose name says it checks a value (`is_allowed(url)`, `validate_url(u)`). */
const GUARD_NAME = /allow|guard|valid|check|safe|permit|trust|verify/i;

/** What one Python call is, if a rule cares: the rule and a message naming the call. */
export function classifyCall(name: string, call: Node, scope: PythonScope): { rule: RuleId; message: string } | undefined {
  const args = call.childForFieldName('arguments');
  const positional = args?.namedChildren.filter((child) => child !== null && child.type !== 'keyword_argument' && child.type !== 'comment') ?? [];
  if (EVALUATORS.has(name)) return { rule: 'code-eval', message: `${name}() runs a string as Python code` };
  if (SHELL_ALWAYS.has(name)) return { rule: 'os-system', message: `${name}() runs its command through /bin/sh` };
  if (SUBPROCESS_SHELL.has(name)) return { rule: 'shell-injection', message: `${name}() always runs its command through a shell` };
  if (SUBPROCESS.has(name)) {
    const shell = keyword(args, 'shell');
    if (shell !== undefined && shell.text !== 'False') return { rule: 'shell-injection', message: `${name}(..., shell=${shell.text}) runs its command through /bin/sh` };
    if (positional[0] && isInterpolated(positional[0])) return { rule: 'shell-injection', message: `${name}() is given a command string built by interpolation` };
    return undefined;
  }
  if (name === 'pickle.loads') {
    return scope.hmacChecked ? undefined : { rule: 'pickle-without-hmac', message: 'pickle.loads() with no hmac.compare_digest check before it in this function' };
  }
  if (DESERIALIZERS.has(name)) return { rule: 'unsafe-deserialization', message: `${name}() can run code embedded in the data` };
  if (name === 'yaml.load') {
    const loader = keyword(args, 'Loader') ?? positional[1];
    if (loader === undefined || !SAFE_YAML_LOADERS.test(loader.text)) return { rule: 'unsafe-deserialization', message: 'yaml.load() without Loader=yaml.SafeLoader can build arbitrary objects' };
    return undefined;
  }
  if (name === 'torch.load' && keyword(args, 'weights_only')?.text !== 'True') {
    return { rule: 'unsafe-deserialization', message: 'torch.load() without weights_only=True unpickles arbitrary objects' };
  }
  if (HTTP_CLIENTS.test(name)) {
    const url = keyword(args, 'url') ?? positional[name.endsWith('.request') ? 1 : 0];
    if (url && scope.unguarded(url)) return { rule: 'ssrf', message: `${name}() fetches a URL built from this function's input without an allow-list check` };
  }
  return undefined;
}

/** True when the call's name says it is a guard; its arguments then count as checked. */
export function isGuard(name: string): boolean {
  return GUARD_NAME.test(name);
}

/** The value of keyword argument `name`, if given. */
function keyword(args: Node | null, name: string): Node | undefined {
  for (const child of args?.namedChildren ?? []) {
    if (child?.type === 'keyword_argument' && child.childForFieldName('name')?.text === name) return child.childForFieldName('value') ?? undefined;
  }
  return undefined;
}

/** An f-string with a substitution, `'...' + x`, `'...' % x` or `'...'.format(x)`. */
function isInterpolated(node: Node): boolean {
  if (node.type === 'string') return node.namedChildren.some((child) => child?.type === 'interpolation');
  if (node.type === 'binary_operator') return true;
  if (node.type === 'call') return node.childForFieldName('function')?.type === 'attribute' && node.childForFieldName('function')?.childForFieldName('attribute')?.text === 'format';
  return false;
}
