import type { Node, Tree } from 'web-tree-sitter';
import type { SourceRange } from '../finding.js';

/** 1-based range of a tree-sitter node (tree-sitter's rows and columns are 0-based). */
export function treeRange(node: Node): SourceRange {
  return {
    line: node.startPosition.row + 1,
    column: node.startPosition.column + 1,
    endLine: node.endPosition.row + 1,
    endColumn: node.endPosition.column + 1,
  };
}

/**
 * Calls `enter` for every node whose type is in `types`, in source order, with an explicit
 * cursor rather than recursion, so a long or nested file cannot overflow the stack. `leave` runs
 * when such a node's subtree is done (for scopes such as function bodies). Other nodes are
 * stepped over by type name alone: making a Node object for each of them would double the walk.
 */
export function walkTree(tree: Tree, types: ReadonlySet<string>, enter: (node: Node) => void, leave?: (node: Node) => void): void {
  const cursor = tree.walk();
  try {
    for (;;) {
      if (types.has(cursor.nodeType)) enter(cursor.currentNode);
      if (cursor.gotoFirstChild()) continue;
      for (;;) {
        if (leave && types.has(cursor.nodeType)) leave(cursor.currentNode);
        if (cursor.gotoNextSibling()) break;
        if (!cursor.gotoParent()) return;
      }
    }
  } finally {
    cursor.delete();
  }
}

/** The first node that did not parse (an ERROR node or a MISSING token), if the tree has one. */
export function firstSyntaxError(tree: Tree): Node | undefined {
  if (!tree.rootNode.hasError) return undefined;
  let found: Node | undefined;
  const cursor = tree.walk();
  try {
    for (;;) {
      const node = cursor.currentNode;
      if (node.isError || node.isMissing) {
        found = node;
        break;
      }
      // Only subtrees that contain an error are worth entering.
      if (node.hasError && cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return found;
    }
  } finally {
    cursor.delete();
  }
  return found;
}
