import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };

/**
 * The public API is what package.json's exports map names: the root and each subpath. This test
 * reads their exports with the TypeScript compiler and holds them to the rules the API is built
 * on: every export is documented, no name is exported twice, and internals stay out.
 */

const ROOT = join(import.meta.dirname, '..');
const ENTRIES: Record<string, string> = {};
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target !== 'object' || !('import' in target)) continue;
  ENTRIES[subpath] = join(ROOT, target.import.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

const program = ts.createProgram(Object.values(ENTRIES), { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true });
const checker = program.getTypeChecker();

interface Exported {
  name: string;
  documented: boolean;
}

function exportsOf(file: string): Exported[] {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`not in the program: ${file}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return [];
  return checker.getExportsOfModule(moduleSymbol).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const documented = target.getDocumentationComment(checker).length > 0 || (target.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0);
    return { name: symbol.getName(), documented };
  });
}

const EXPORTS = Object.fromEntries(Object.entries(ENTRIES).map(([subpath, file]) => [subpath, exportsOf(file)]));

describe('the public API', () => {
  it('maps every subpath to a source entry', () => {
    expect(Object.keys(ENTRIES)).toEqual(expect.arrayContaining(['.', './policy', './audit', './kernel', './core', './state', './reliability', './execution', './adapters', './mcp', './ai-sdk', './openai-agents', './langchain', './mastra']));
    for (const file of Object.values(ENTRIES)) expect(() => readFileSync(file)).not.toThrow();
  });

  it('documents every export with TSDoc', () => {
    const undocumented = Object.entries(EXPORTS).flatMap(([subpath, names]) => names.filter((e) => !e.documented).map((e) => `${subpath}: ${e.name}`));
    expect(undocumented).toEqual([]);
  });

  it('exports each name once: subpaths do not repeat the root or each other', () => {
    const seen = new Map<string, string>();
    const repeated: string[] = [];
    for (const [subpath, names] of Object.entries(EXPORTS)) {
      for (const { name } of names) {
        const first = seen.get(name);
        if (first !== undefined) repeated.push(`${name}: ${first} and ${subpath}`);
        else seen.set(name, subpath);
      }
    }
    expect(repeated).toEqual([]);
  });

  it('keeps internals out of the root, and gives it what a user needs', () => {
    const root = new Set(EXPORTS['.']?.map((e) => e.name));
    for (const internal of ['derive', 'normalizeRequest', 'rewriteDialect', 'uuidv7', 'documentSchema', 'InvalidRequest', 'validatePolicyData', 'ToolCallGovernor']) expect(root.has(internal), internal).toBe(false);
    for (const needed of ['govern', 'Kernel', 'PolicyEvaluator', 'loadPolicies', 'GovernanceDenied', 'GovernanceError', 'PolicyLoadError', 'AuditLog', 'SqliteAuditSink', 'verifySqliteStore']) expect(root.has(needed), needed).toBe(true);
  });
});
