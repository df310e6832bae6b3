import ts from 'typescript';
import type { SourceRange } from '../finding.js';

/**
 * Parsing JavaScript and TypeScript with TypeScript's own parser (`ts.createSourceFile`).
 *
 * Why this parser: one parser reads .js/.mjs/.cjs/.jsx/.ts/.mts/.cts/.tsx, it recovers from
 * syntax errors (so a broken file still yields a tree and a located error), and it was the
 * fastest full TypeScript parser measured on node_modules/zod (828 files, 159k lines, warm):
 * typescript 400k lines/s, @babel/parser 325k, oxc-parser 190k (its AST crosses from native code
 * as JSON), while acorn, faster still, cannot read TypeScript (503 of the 828 files failed).
 * Only the parser is used: no program, no type checker, no lib files.
 */

/** A parsed file and its first syntax error, if any. */
export interface ParsedScript {
  source: ts.SourceFile;
  syntaxError?: { range: SourceRange; message: string };
}

/** Parses `text` as the kind of script its file name says. Never throws on bad syntax. */
export function parseScript(file: string, text: string): ParsedScript {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, scriptKind(file));
  const first = parseDiagnostics(source)[0];
  if (first === undefined) return { source };
  const start = first.start ?? 0;
  return {
    source,
    syntaxError: {
      range: rangeOf(source, start, start + (first.length ?? 0)),
      message: ts.flattenDiagnosticMessageText(first.messageText, ' '),
    },
  };
}

/** The script kind for a file name; unknown endings read as JavaScript. */
function scriptKind(file: string): ts.ScriptKind {
  if (/\.tsx$/i.test(file)) return ts.ScriptKind.TSX;
  if (/\.[mc]?ts$/i.test(file)) return ts.ScriptKind.TS;
  if (/\.jsx$/i.test(file)) return ts.ScriptKind.JSX;
  return ts.ScriptKind.JS;
}

/**
 * The parser's syntax errors. TypeScript keeps them on the source file without declaring them in
 * its public types (the checker API reaches them through a Program, which would cost a full
 * program per file), so they are read defensively here.
 */
function parseDiagnostics(source: ts.SourceFile): readonly ts.Diagnostic[] {
  const held: unknown = (source as unknown as Record<string, unknown>)['parseDiagnostics'];
  return Array.isArray(held) ? (held as ts.Diagnostic[]) : [];
}

/** 1-based line/column range of the offsets `start`..`end` in `source`. */
export function rangeOf(source: ts.SourceFile, start: number, end: number): SourceRange {
  const from = source.getLineAndCharacterOfPosition(start);
  const to = source.getLineAndCharacterOfPosition(Math.max(start, end));
  return { line: from.line + 1, column: from.character + 1, endLine: to.line + 1, endColumn: to.character + 1 };
}

/**
 * 1-based range of a node, without its leading trivia. The source is passed in because trees
 * are parsed without parent links (a third faster), so a node cannot find its file.
 */
export function nodeRange(node: ts.Node, source: ts.SourceFile): SourceRange {
  return rangeOf(source, node.getStart(source), node.getEnd());
}
