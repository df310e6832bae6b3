import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('examples/handoff.mjs (docs/identity.md, Hand-offs)', () => {
  it('runs: a sealed hand-off opened; a replay, one for another agent, one from an under-trusted sender and a tampered one refused; all audited', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '../examples/handoff.mjs')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/sealed hand-off from triage\s+output: \{"refunded":"inv-42","for":"triage"\}/);
    expect(result.stdout).toMatch(/the same hand-off again\s+refused: identity:replayed/);
    expect(result.stdout).toMatch(/addressed to another agent\s+refused: identity:audience/);
    expect(result.stdout).toMatch(/from an under-trusted sender\s+refused: identity:insufficient_trust/);
    expect(result.stdout).toMatch(/payload changed after sealing\s+refused: identity:signature/);
    expect(result.stdout).toMatch(/audit: 5 entries, chain verified: true; entries proven as triage \(proof 'handoff'\): 1/);
  });
});
