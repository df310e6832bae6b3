import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('examples/kernel.mjs (docs/kernel.md)', () => {
  it('runs: a checked copy runs, a deny, approvals counted by limits, an approval bound to its identity', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '../examples/kernel.mjs')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/read orders\s+output: \{"rows":2,"table":"orders"\}/);
    expect(result.stdout).toMatch(/drop orders\s+refused: No rule matched; default_action is deny/);
    expect(result.stdout).toMatch(/email eve@example.com\s+refused: Rate limit exceeded for rule 'mail-budget'/);
    expect(result.stdout).toMatch(/human approves call-7\s+run: \{"to":"cy@example.com"\}/);
    expect(result.stdout).toMatch(/run call-7, other arguments\s+refused: runtime_error:identity_mismatch/);
    expect(result.stdout).toMatch(/chain verified; every decision carries its input identity: yes/);
  });
});
