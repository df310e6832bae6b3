import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * src/policy/ is laid out by stage, each depending only on those before it (see eslint.config.js,
 * which enforces the same order while linting). This test reads the import lines itself, so the
 * layout holds even if the lint rule were loosened, and checks that the lint rule does bite.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const policyDir = join(root, 'src/policy');

/** Each stage folder, in order; a folder may import those before it (and itself). */
const ORDER = ['language', 'document', 'compile', 'evaluate', 'engines'];
/** On top of every stage; they may also use the top-level composition, except index.ts. */
const ON_TOP = ['lint', 'testing'];
const COMPOSITION = ['loader.ts', 'evaluator.ts'];

interface Import {
  file: string;
  specifier: string;
  /** What it names, relative to src/policy/ (e.g. `compile/compile.ts`), or outside it (`../kernel/...`). */
  target: string;
}

function filesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesIn(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const specifier = (match[1] ?? match[2]) as string;
    if (!specifier.startsWith('.')) continue;
    const target = relative(policyDir, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts');
    found.push({ file: relative(policyDir, file), specifier, target });
  }
  return found;
}

const folderOf = (path: string): string => (path.includes('/') ? (path.split('/')[0] as string) : '.');
const allImports = filesIn(policyDir).flatMap(importsOf);

describe('src/policy layout', () => {
  it('has the stage folders and finds imports in each', () => {
    const folders = new Set(readdirSync(policyDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
    expect([...folders].sort()).toEqual([...ORDER, ...ON_TOP].sort());
    for (const stage of [...ORDER.slice(1), ...ON_TOP]) expect(allImports.some((i) => folderOf(i.file) === stage)).toBe(true);
  });

  it('no stage imports a later stage, the folders on top, or the top level', () => {
    const bad = allImports.filter(({ file, target }) => {
      const from = ORDER.indexOf(folderOf(file));
      if (from < 0 || target.startsWith('..')) return false;
      const to = folderOf(target);
      return to === '.' || ON_TOP.includes(to) || ORDER.indexOf(to) > from;
    });
    expect(bad).toEqual([]);
  });

  it('lint/ and testing/ use the stages and the composition, never index.ts or each other', () => {
    const bad = allImports.filter(({ file, target }) => {
      const from = folderOf(file);
      if (!ON_TOP.includes(from) || target.startsWith('..')) return false;
      const to = folderOf(target);
      return to === '.' ? !COMPOSITION.includes(target) : to !== from && !ORDER.includes(to);
    });
    expect(bad).toEqual([]);
  });

  it('the top-level modules other than index.ts do not import lint/, testing/ or index.ts', () => {
    const bad = allImports.filter(({ file, target }) => folderOf(file) === '.' && file !== 'index.ts' && (ON_TOP.includes(folderOf(target)) || target === 'index.ts'));
    expect(bad).toEqual([]);
  });

  it('nothing in src/policy imports the kernel, the adapters or the CLI', () => {
    const bad = allImports.filter(({ target }) => /^\.\.\/(kernel|adapters|cli)(\/|\.ts$)/.test(target));
    expect(bad).toEqual([]);
  });

  it('compile/ does no I/O: engines arrive loaded', () => {
    const io = filesIn(join(policyDir, 'compile')).filter((file) => /from ['"]node:(fs|child_process|path|net|http|https)['"]/.test(readFileSync(file, 'utf8')));
    expect(io.map((file) => relative(policyDir, file))).toEqual([]);
  });

  it('the lint rule bites: ESLint refuses a forbidden import in each stage', async () => {
    const eslint = new ESLint({ cwd: root });
    const cases: [string, string][] = [
      ['language/x.ts', '../document/schema.js'],
      ['document/x.ts', '../compile/compile.js'],
      ['compile/x.ts', '../evaluate/decide.js'],
      ['evaluate/x.ts', '../engines/load-engines.js'],
      ['engines/x.ts', '../loader.js'],
      ['lint/x.ts', '../index.js'],
      ['testing/x.ts', '../lint/lint.js'],
      ['loader.ts', './testing/policy-test.js'],
      ['document/x.ts', '../../kernel/govern.js'],
      ['index.ts', '../cli/agt.js'],
    ];
    for (const [file, specifier] of cases) {
      const [result] = await eslint.lintText(`import { x } from '${specifier}';\nexport const y = x;\n`, { filePath: join(policyDir, file) });
      const rules = result?.messages.map((m) => m.ruleId);
      expect(rules, `${file} importing ${specifier}`).toContain('no-restricted-imports');
    }
    const [allowed] = await eslint.lintText(`import { x } from '../document/schema.js';\nexport const y = x;\n`, { filePath: join(policyDir, 'compile/x.ts') });
    expect(allowed?.messages.map((m) => m.ruleId)).not.toContain('no-restricted-imports');
  }, 60_000);
});
