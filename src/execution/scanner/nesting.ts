import type { SourceRange } from './finding.js';

/**
 * Deepest bracket nesting the scanner hands to a parser. The parsers recurse per level
 * (TypeScript's overflows the stack near 1,000 nested arrays; tree-sitter's wasm aborts, and
 * takes its runtime with it, on far deeper input), and real code stays far below this.
 */
export const MAX_NESTING = 400;

/**
 * Where `text` first nests `(`, `[` or `{` deeper than {@link MAX_NESTING}, or undefined.
 * One linear pass over the raw text; brackets inside strings count too, which can only make a
 * file look deeper than it is (it is then reported, never silently passed).
 */
export function tooDeep(text: string): SourceRange | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 40 || code === 91 || code === 123) {
      if (++depth > MAX_NESTING) return { line, column: at - lineStart + 1, endLine: line, endColumn: at - lineStart + 2 };
    } else if (code === 41 || code === 93 || code === 125) {
      if (depth > 0) depth--;
    } else if (code === 10) {
      line++;
      lineStart = at + 1;
    }
  }
  return undefined;
}
