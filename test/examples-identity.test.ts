import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('examples/identity.mjs (docs/identity.md)', () => {
  it('runs: a signed call allowed on the credential, replays, re-targeting, self-promotion and no proof refused, a session MAC spent once', () => {
    const result = spawnSync(process.execPath, [join(import.meta.dirname, '../examples/identity.mjs')], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/signed read\s+output: \{"customer":7,"name":"Ada"\}/);
    expect(result.stdout).toMatch(/the same envelope again\s+refused: identity:replayed/);
    expect(result.stdout).toMatch(/envelope spent on other arguments\s+refused: identity:signature/);
    expect(result.stdout).toMatch(/self-asserted ring 0\s+refused: identity:self_asserted/);
    expect(result.stdout).toMatch(/no proof at all\s+refused: identity:missing/);
    expect(result.stdout).toMatch(/session-MAC read\s+output: \{"customer":9,"name":"Ada"\}/);
    expect(result.stdout).toMatch(/the same MAC again\s+refused: identity:replayed/);
    expect(result.stdout).toMatch(/audit: 7 entries, chain verified: true; proven entries name 2x the agent's DID/);
  });
});
