import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Hardening: files the CLI cannot read as policies or keys are reported in one line with exit
// 1 or 2, never a hang (spawnSync's timeout turns one into a failure) or exit 70 ("a bug").

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const posix = process.platform !== 'win32';
const doc = 'apiVersion: governance.toolkit/v1\nname: a\nrules: []\n';

function agt(args: string[]) {
  const result = spawnSync(process.execPath, [AGT, ...args], { encoding: 'utf8', timeout: 8000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function policyDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'agt-cli-loading-'));
  writeFileSync(join(root, 'a.yaml'), doc);
  return root;
}

describe('agt on files that are not regular policy files', () => {
  it('policy eval: a folder named x.yaml is a one-line load error, exit 2', { timeout: 15000 }, () => {
    const root = policyDir();
    mkdirSync(join(root, 'x.yaml'));
    const { code, stderr } = agt(['policy', 'eval', '--policy', root, '--input', '{}']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*x\.yaml: is a directory/)]);
  });

  it.runIf(posix)('policy eval and lint-policy: a FIFO named *.yaml does not hang', { timeout: 25000 }, () => {
    const root = policyDir();
    execFileSync('mkfifo', [join(root, 'f.yaml')]);
    const evaluated = agt(['policy', 'eval', '--policy', root, '--input', '{}']);
    expect(evaluated.code).toBe(2);
    expect(evaluated.stderr).toMatch(/f\.yaml: is not a regular file/);
    const linted = agt(['lint-policy', join(root, 'f.yaml')]);
    expect(linted.code).toBe(1);
    expect(linted.stdout).toMatch(/f\.yaml.*not-a-regular-file/);
  });

  it.runIf(posix)('audit verify: a FIFO as --public-key is a usage error, not a hang', { timeout: 15000 }, () => {
    const root = policyDir();
    execFileSync('mkfifo', [join(root, 'key.pem')]);
    const { code, stderr } = agt(['audit', 'verify', '--store', join(root, 'none.db'), '--public-key', join(root, 'key.pem')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: .*key\.pem.*not a regular file/);
  });
});
