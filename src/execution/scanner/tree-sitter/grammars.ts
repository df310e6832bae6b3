import { createRequire } from 'node:module';
import { Language, Parser, type Tree } from 'web-tree-sitter';

/**
 * Tree-sitter parsers for Python and shell, run as WebAssembly (`web-tree-sitter` with the wasm
 * files that the `tree-sitter-python` and `tree-sitter-bash` packages ship): no native build, no
 * network at run time. The runtime and each grammar load once per process, on first use.
 */
export type TreeSitterLanguage = 'python' | 'bash';

const require = createRequire(import.meta.url);
const GRAMMAR_FILES: Record<TreeSitterLanguage, string> = {
  python: 'tree-sitter-python/tree-sitter-python.wasm',
  bash: 'tree-sitter-bash/tree-sitter-bash.wasm',
};

let runtime: Promise<void> | undefined;
const parsers = new Map<TreeSitterLanguage, Promise<Parser>>();

/** A parser for `language`, loading the wasm runtime and grammar the first time. */
function parserFor(language: TreeSitterLanguage): Promise<Parser> {
  let parser = parsers.get(language);
  if (parser === undefined) {
    parser = (async () => {
      runtime ??= Parser.init();
      await runtime;
      const grammar = await Language.load(require.resolve(GRAMMAR_FILES[language]));
      const made = new Parser();
      made.setLanguage(grammar);
      return made;
    })();
    parsers.set(language, parser);
  }
  return parser;
}

/**
 * Parses `text` and hands the tree to `use`, freeing the tree's wasm memory afterwards (trees
 * live outside the JavaScript heap, so nothing else would).
 */
export async function withTree<T>(language: TreeSitterLanguage, text: string, use: (tree: Tree) => T): Promise<T> {
  const parser = await parserFor(language);
  const tree = parser.parse(text);
  if (tree === null) throw new Error(`tree-sitter returned no tree for ${language} source`);
  try {
    return use(tree);
  } finally {
    tree.delete();
  }
}
