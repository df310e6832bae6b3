import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('examples/audit-witness.mjs (docs/audit.md, witnesses)', () => {
  it('runs: the honest store is complete up to its last checkpoint, the truncated one names what is missing', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '../examples/audit-witness.mjs')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^honest store: OK, complete up to checkpoint 250\n/);
    expect(result.stdout).toMatch(/after truncation: TAMPERED: entries 201\.\.250 are missing: a witness saw 250 entries at .* and the store has 200 \(truncated\)\n$/);
  });
});
