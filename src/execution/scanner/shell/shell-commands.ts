import type { Node } from 'web-tree-sitter';

/** Wrappers that run the command after them (`sudo rm ...`, `env X=1 sh`, `exec bash`). */
const WRAPPERS = new Set(['sudo', 'doas', 'env', 'exec', 'command', 'nohup', 'time', 'xargs']);

/** A simple command as the scanner sees it: the program that runs and its argument nodes. */
export interface SimpleCommand {
  program: string;
  args: Node[];
}

/** The program a `command` node runs (past sudo, env and the like) and its arguments. */
export function simpleCommand(node: Node): SimpleCommand | undefined {
  if (node.type !== 'command') return undefined;
  const name = node.childForFieldName('name');
  if (name === null) return undefined;
  const words = [name, ...node.childrenForFieldName('argument')];
  let start = 0;
  while (start < words.length - 1 && WRAPPERS.has(basename(words[start]?.text ?? ''))) {
    start++;
    // skip the wrapper's own options and env's NAME=value settings
    while (start < words.length - 1 && /^-|^\w+=/.test(words[start]?.text ?? '')) start++;
  }
  const program = words[start];
  return program === undefined ? undefined : { program: basename(unquote(program.text)), args: words.slice(start + 1) };
}

/** The commands of a pipeline, in order (a redirected command counts as its body). */
export function pipelineCommands(node: Node): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  for (const child of node.namedChildren) {
    const body = child?.type === 'redirected_statement' ? child.childForFieldName('body') : child;
    const command = body ? simpleCommand(body) : undefined;
    if (command) out.push(command);
  }
  return out;
}

/** Every descendant of `node` (itself included) of one of `types`. */
export function descendants(node: Node, types: readonly string[]): Node[] {
  return node.descendantsOfType(types as string[]).filter((found): found is Node => found !== null);
}

/** Text of a word with its quotes removed (`'777'` → `777`). */
export function unquote(text: string): string {
  return /^(['"]).*\1$/s.test(text) ? text.slice(1, -1) : text;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
