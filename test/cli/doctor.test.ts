import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
// No color, and the default store unless a test names one.
const { AGT_AUDIT_STORE: _store, ...inherited } = process.env;
const env = { ...inherited, NO_COLOR: '1' };

function agt(args: string[], cwd: string) {
  const result = spawnSync(process.execPath, [AGT, ...args], { encoding: 'utf8', cwd, env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Report {
  ok: boolean;
  checks: { check: string; status: string; detail: string }[];
}

describe('agt doctor', () => {
  it('on a fresh project: Node and native modules pass; no store and no policies are warnings, exit 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-doctor-'));
    const { code, stdout } = agt(['doctor'], dir);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^PASS {2}node +Node\.js \d+\.\d+\.\d+$/m);
    expect(stdout).toMatch(/^PASS {2}native modules +better-sqlite3 loads \(SQLite 3\.\d+\.\d+\)$/m);
    expect(stdout).toMatch(/^WARN {2}audit store +\.agt\/audit\.db does not exist yet/m);
    expect(stdout).toMatch(/^WARN {2}policies +no policies\/ directory/m);
    expect(stdout).toMatch(/^PASS {2}sandbox +bubblewrap \d+\.\d+\.\d+ at \/usr\/bin\/bwrap creates namespaces/m);
    expect(stdout).toMatch(/all required checks pass, 2 warning\(s\)\n$/);
  });

  it('passes after the demo, with a clean policies/ directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-doctor-'));
    expect(agt(['demo'], dir).code).toBe(0);
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'p.yaml'), 'apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules: []\n');
    const report = JSON.parse(agt(['doctor', '--json'], dir).stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
  });

  it('fails (exit 1) on a tampered store and on policies with errors, saying what to do', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-doctor-'));
    expect(agt(['demo'], dir).code).toBe(0);
    const db = new Database(join(dir, '.agt', 'audit.db'));
    db.prepare('DELETE FROM entries WHERE seq = 3').run();
    db.close();
    mkdirSync(join(dir, 'policies'));
    writeFileSync(join(dir, 'policies', 'bad.yaml'), 'apiVersion: governance.toolkit/v1\nname: bad\nrules:\n  - name: r\n    action: dney\n');
    const { code, stdout } = agt(['doctor'], dir);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^FAIL {2}audit store +\.agt\/audit\.db does not verify: entry 3: .*missing/m);
    expect(stdout).toMatch(/→ investigate with `agt audit verify --store \.agt\/audit\.db`/);
    expect(stdout).toMatch(/^FAIL {2}policies +policies\/: 1 error/m);
    expect(stdout).toMatch(/2 failed/);
  });

  it('warns when the signing key is readable by others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-doctor-'));
    expect(agt(['demo'], dir).code).toBe(0);
    chmodSync(join(dir, '.agt', 'audit-signing-key.pem'), 0o644);
    const report = JSON.parse(agt(['doctor', '--json'], dir).stdout) as Report;
    expect(report.checks.find((c) => c.check === 'audit store')).toMatchObject({ status: 'warn', detail: expect.stringContaining('readable by others') });
  });
});
