import type { Node } from 'web-tree-sitter';

/**
 * What a Python name refers to after `import x as y` and `from x import a as b`, so a call can be
 * named by its module path (`pk.loads` → `pickle.loads`, `system` → `os.system`).
 */
export class PythonImports {
  private readonly aliases = new Map<string, string>();

  /** Records the names an `import_statement` or `import_from_statement` binds. */
  record(node: Node): void {
    if (node.type === 'import_statement') {
      for (const name of node.childrenForFieldName('name')) this.bind(name, undefined);
    } else if (node.type === 'import_from_statement') {
      const module = node.childForFieldName('module_name')?.text;
      if (module === undefined) return;
      for (const name of node.childrenForFieldName('name')) this.bind(name, module);
    }
  }

  private bind(name: Node, module: string | undefined): void {
    const dotted = name.type === 'aliased_import' ? name.childForFieldName('name') : name;
    const alias = name.type === 'aliased_import' ? name.childForFieldName('alias')?.text : undefined;
    if (dotted === null) return;
    const path = module === undefined ? dotted.text : `${module}.${dotted.text}`;
    // `import os.path` binds `os`; `import os.path as p` binds `p` to os.path.
    const local = alias ?? (module === undefined ? dotted.text.split('.')[0] : dotted.text);
    if (local !== undefined) this.aliases.set(local, alias === undefined && module === undefined ? local : path);
  }

  /** The dotted path a callee names (`pk.loads` → `pickle.loads`), or its text when unknown. */
  resolve(callee: Node): string | undefined {
    const dotted = dottedName(callee);
    if (dotted === undefined) return undefined;
    const [head, ...rest] = dotted.split('.');
    const bound = head === undefined ? undefined : this.aliases.get(head);
    return bound === undefined ? dotted : [bound, ...rest].join('.');
  }
}

/** `a.b.c` for an identifier or a chain of attributes on one, else undefined. */
export function dottedName(node: Node): string | undefined {
  if (node.type === 'identifier') return node.text;
  if (node.type !== 'attribute') return undefined;
  const object = node.childForFieldName('object');
  const attribute = node.childForFieldName('attribute');
  const head = object === null ? undefined : dottedName(object);
  return head === undefined || attribute === null ? undefined : `${head}.${attribute.text}`;
}
