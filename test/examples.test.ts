import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('examples/quickstart.mjs (the README quick start)', () => {
  it('runs: each kind of decision, and a verified chain', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '../examples/quickstart.mjs')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/denied {2}db drop users/);
    expect(result.stdout).toMatch(/ok {6}email a colleague \(approved\)/);
    expect(result.stdout).toMatch(/denied {2}search #4/);
    expect(result.stdout).toContain('"ssn":"[REDACTED]"');
    expect(result.stdout).toMatch(/hash chain verified/);
  });
});
