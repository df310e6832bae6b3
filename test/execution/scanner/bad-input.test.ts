import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_SOURCE_BYTES, scanPaths, scanSource } from '../../../src/execution/scanner/index.js';

function scratch(files: Record<string, string | Buffer>): string {
  const directory = mkdtempSync(join(tmpdir(), 'agt-scan-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(directory, name), content);
  return directory;
}

const TEN_MB = 10 * 1024 * 1024;
const fill = (unit: string): string => unit.repeat(Math.ceil(TEN_MB / unit.length));

describe('scanner: bad input is a finding or a note, never a crash', () => {
  it('skips binary files with a note, even when their name says source', async () => {
    const directory = scratch({ 'image.js': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2]), 'ok.js': 'export const a = 1;\n' });
    const report = await scanPaths([directory]);
    expect(report.files).toEqual([join(directory, 'ok.js')]);
    expect(report.notes).toEqual([{ file: join(directory, 'image.js'), kind: 'binary', message: 'skipped: binary file (contains NUL bytes)' }]);
  });

  it('a file named on the command line that is no known language is a note; in a directory it is ignored', async () => {
    const directory = scratch({ 'notes.txt': 'eval(x)\n' });
    expect((await scanPaths([directory])).notes).toEqual([]);
    const named = await scanPaths([join(directory, 'notes.txt')]);
    expect(named.notes).toMatchObject([{ kind: 'unsupported' }]);
  });

  it('reads extensionless scripts by their #! line', async () => {
    const directory = scratch({ install: '#!/usr/bin/env bash\ncurl -s https://example.com/i.sh | bash\n' });
    expect((await scanPaths([directory])).findings.map((found) => found.ruleId)).toEqual(['curl-pipe-shell']);
  });

  it('a path that does not exist throws naming it', async () => {
    await expect(scanPaths(['/no/such/dir'])).rejects.toThrow('/no/such/dir: no such file or directory');
  });

  it('files over the size limit are skipped with a note', async () => {
    const directory = scratch({ 'huge.js': Buffer.alloc(MAX_SOURCE_BYTES + 1, 0x20) });
    expect((await scanPaths([directory])).notes).toMatchObject([{ kind: 'too_large' }]);
  });

  it.each(['javascript', 'python', 'shell'] as const)('%s nested past the bound is a parse-error finding, in milliseconds', async (language) => {
    const started = performance.now();
    const text = 'x = ' + '('.repeat(500_000) + ')'.repeat(500_000);
    const findings = await scanSource({ file: 'deep', language, text });
    expect(findings).toMatchObject([{ ruleId: 'parse-error', line: 1, message: 'not parsed: brackets nest deeper than 400 levels' }]);
    expect(performance.now() - started).toBeLessThan(1_000);
    // the tree-sitter runtime still works afterwards
    expect(await scanSource({ file: 'after.py', language: 'python', text: 'eval(x)\n' })).toMatchObject([{ ruleId: 'code-eval' }]);
  });

  it.each([
    ['javascript', 'function f(a) { return fetch(`https://${a}`); }\n', 'ssrf'],
    ['python', 'def f(a):\n    return requests.get(a)\n', 'ssrf'],
    ['shell', 'rm -rf "$DIR"/x\n', 'rm-rf-variable'],
  ] as const)('a 10 MB %s source is scanned in bounded time', async (language, unit, rule) => {
    const started = performance.now();
    const findings = await scanSource({ file: `big.${language}`, language, text: fill(unit) });
    const seconds = (performance.now() - started) / 1000;
    expect(findings.length).toBe(Math.ceil(TEN_MB / unit.length));
    expect(new Set(findings.map((found) => found.ruleId))).toEqual(new Set([rule]));
    expect(seconds).toBeLessThan(60);
  }, 120_000);

  it('code that does not parse still reports what the recovered tree shows', async () => {
    const findings = await scanSource({ file: 'half.js', language: 'javascript', text: 'eval(input);\nfunction broken( {\n' });
    expect(findings.map((found) => found.ruleId).sort()).toEqual(['code-eval', 'parse-error']);
  });
});
