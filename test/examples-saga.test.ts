import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('examples/saga.mjs (docs/sagas.md)', () => {
  it('runs: a completed saga, a failed step undone with a retried refund, a denied step undone, a verified chain', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '../examples/saga.mjs')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/order-1\s+completed\s+steps: reserve=done charge=done ship=done; undone: nothing/);
    expect(result.stdout).toMatch(/ERR_AGT_SAGA_STEP_FAILED: saga 'order-2' stopped: step 'ship' failed: Error: no courier today/);
    expect(result.stdout).toMatch(/order-2\s+compensated\s+.*undone: charge done \(2 attempts\), reserve done \(1 attempt\)/);
    expect(result.stdout).toMatch(/ERR_AGT_SAGA_STEP_DENIED: .*policy rule 'charge-cap'/);
    expect(result.stdout).toMatch(/order-3\s+compensated\s+steps: reserve=done charge=denied; undone: reserve done/);
    expect(result.stdout).toContain('still held: [A1]; still charged: [ch-900]');
    expect(result.stdout).toMatch(/chain verified/);
    expect(result.stdout).toMatch(/saga\.compensation\.attempt_failed saga\.order-2\.compensate\.charge/);
  });
});
