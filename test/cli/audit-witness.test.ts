import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tamper, witnessedStore } from '../audit/witness-fixtures.js';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const { AGT_AUDIT_STORE: _store, AGT_AUDIT_WITNESS: _witness, ...inherited } = process.env;

function agt(args: string[], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [AGT, ...args], { encoding: 'utf8', env: { ...inherited, NO_COLOR: '1', ...extraEnv } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('agt audit verify with witnesses', () => {
  it('holds the store to the witness it records, and says how far completeness was proven', () => {
    const { path } = witnessedStore(25, 10);
    const ok = agt(['audit', 'verify', '--store', path]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/^OK {2}.*: 25 entries, 3 checkpoints verified; complete up to checkpoint 25 \(signed .*\) held by its witness\n$/);
  });

  it('a tail truncated with its checkpoints: exit 1, naming the missing entries', () => {
    const { path } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec('DELETE FROM entries WHERE seq > 22; DELETE FROM checkpoints WHERE size > 22'));
    const { code, stdout } = agt(['audit', 'verify', '--store', path]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^TAMPERED {2}.*: entries 23\.\.30 are missing: a witness saw 30 entries at .* \(truncated\)\nfirst bad sequence number: 23\nbad checkpoint: size 30\n$/);
    expect(JSON.parse(agt(['audit', 'verify', '--store', path, '--json']).stdout)).toMatchObject({ ok: false, firstBadSeq: 23, witnessed: null });
  });

  it('--witness and $AGT_AUDIT_WITNESS find a witness the store no longer names; without one, a warning', () => {
    const { path, witness } = witnessedStore(30, 10);
    tamper(path, (db) => db.exec("DELETE FROM entries WHERE seq > 22; DELETE FROM checkpoints WHERE size > 22; DELETE FROM meta WHERE key = 'witnesses'"));
    const alone = agt(['audit', 'verify', '--store', path]);
    expect(alone.code).toBe(0);
    expect(alone.stderr).toMatch(/^warning: completeness not checked: no witness given or recorded/);
    expect(agt(['audit', 'verify', '--store', path, '--witness', witness]).code).toBe(1);
    expect(agt(['audit', 'verify', '--store', path], { AGT_AUDIT_WITNESS: witness }).stdout).toContain('entries 23..30 are missing');
    expect(agt(['audit', 'verify', '--store', path, '--witness', join(witness, '..', 'nope.jsonl')]).stdout).toMatch(/witness .*nope\.jsonl cannot be read: it does not exist/);
  });
});
