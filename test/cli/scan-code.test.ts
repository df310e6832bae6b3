import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const CORPUS = join(import.meta.dirname, '../execution/scanner/corpus');

function agt(args: string[]) {
  const result = spawnSync(process.execPath, [AGT, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('agt scan code', () => {
  it('prints each finding with its location, rule, ASI tag and fix; exit 1', () => {
    const { code, stdout, stderr } = agt(['scan', 'code', join(CORPUS, 'shell', 'chmod-777.vuln.sh')]);
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(stdout).toContain('chmod-777.vuln.sh:2:1  medium   chmod-777 (ASI03)  chmod 777 lets every user write\n    fix: Grant the least access');
    expect(stdout).toMatch(/1 file \(\d+ lines\) scanned: 2 findings\n$/);
  });

  it('exit 0 and "no findings" on clean code', () => {
    const { code, stdout } = agt(['scan', 'code', join(CORPUS, 'shell', 'chmod-777.fixed.sh')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/scanned: no findings\n$/);
  });

  it('honours agt-scan-ignore comments with a reason, counts them, and marks them suppressed in SARIF', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-scan-ignore-'));
    try {
      writeFileSync(join(dir, 'a.sh'), 'rm -rf $DIR/x  # agt-scan-ignore rm-rf-variable: DIR is checked above\n');
      const text = agt(['scan', 'code', dir]);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/scanned: no findings \(1 suppressed by agt-scan-ignore comments; --format json lists them\)\n$/);
      const sarif = JSON.parse(agt(['scan', 'code', dir, '--format', 'sarif']).stdout) as { runs: { results: { ruleId: string; suppressions?: { kind: string }[] }[] }[] };
      expect(sarif.runs[0]?.results).toEqual([expect.objectContaining({ ruleId: 'rm-rf-variable', suppressions: [{ kind: 'inSource' }] })]);
      writeFileSync(join(dir, 'a.sh'), 'rm -rf $DIR/x  # agt-scan-ignore rm-rf-variable\n');
      expect(agt(['scan', 'code', dir]).code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--min-severity drops findings below it', () => {
    const { code, stdout } = agt(['scan', 'code', join(CORPUS, 'shell'), '--min-severity', 'critical', '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { findings: { severity: string; ruleId: string }[] };
    expect(new Set(report.findings.map((found) => found.ruleId))).toEqual(new Set(['curl-pipe-shell']));
  });

  it('--format sarif prints a SARIF 2.1.0 log', () => {
    const { stdout } = agt(['scan', 'code', join(CORPUS, 'python'), '--format', 'sarif']);
    const sarif = JSON.parse(stdout) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results.length).toBeGreaterThan(10);
  });

  it('a missing path or a wrong flag: exit 2 with one line naming it, no stack trace', () => {
    expect(agt(['scan', 'code', '/no/such/file.py'])).toEqual({ code: 2, stdout: '', stderr: 'error: /no/such/file.py: no such file or directory\n' });
    expect(agt(['scan', 'code', CORPUS, '--format', 'xml'])).toEqual({ code: 2, stdout: '', stderr: "error: --format: 'xml' is not one of text, json, sarif\n" });
    expect(agt(['scan', 'code', CORPUS, '--min-severity', 'urgent']).stderr).toBe("error: --min-severity: 'urgent' is not one of low, medium, high, critical\n");
  });
});
