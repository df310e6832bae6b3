import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// README "Identity": the five-minute walk-through, exactly as examples/identity-walkthrough.sh
// runs it, in an empty folder: every command works as written, and each step has the outcome
// the README promises.

const SCRIPT = join(import.meta.dirname, '../../examples/identity-walkthrough.sh');
const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');

describe('examples/identity-walkthrough.sh (README, Identity)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agt-walkthrough-'));
  const { AGT_CONFIG: _config, AGT_AUDIT_STORE: _store, ...inherited } = process.env;
  const run = spawnSync('sh', [SCRIPT], { cwd: dir, encoding: 'utf8', env: { ...inherited, NO_COLOR: '1', AGT: `${process.execPath} ${AGT}` } });
  const lines = run.stdout.split('\n');
  /** The decision lines printed by the n-th `agt policy eval` of the script (0-based). */
  const evalRun = (n: number) => {
    const runs: string[][] = [];
    for (const line of lines) {
      if (!/^ +\d+ {2}(allow|deny)/.test(line)) continue;
      if (line.trimStart().startsWith('1  ')) runs.push([]);
      runs.at(-1)?.push(line);
    }
    return runs[n] ?? [];
  };

  it('runs to the end with no error', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(statSync(join(dir, 'keys/issuer.jwk')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'agt.config.yaml'), 'utf8')).toMatch(/mode: zero-trust/);
  });

  it('decide: signed calls within the credential are allowed as its DID; a tool outside it and the replayed line are denied', () => {
    const did = /wrote agent\.cred: credential \S+ for (did:key:\S+)/.exec(run.stdout)?.[1];
    const decided = evalRun(0);
    expect(decided).toHaveLength(4);
    expect(decided[0]).toMatch(new RegExp(`allow .*rule=allow-reads .*agent=${did} proof=envelope$`));
    expect(decided[1]).toMatch(/allow .*rule=allow-reads/);
    expect(decided[2]).toMatch(/deny .*identity:not_granted/);
    expect(decided[3]).toMatch(/^ +4 {2}deny .*identity:replayed/);
  });

  it('delegate: the helper is held to the narrower grant (crm.lookup only), and named as delegated', () => {
    expect(readFileSync(join(dir, 'helper.cred'), 'utf8').trim().split('\n')).toHaveLength(2);
    const decided = evalRun(1);
    expect(decided.map((line) => /(allow|deny)/.exec(line)?.[1])).toEqual(['deny', 'allow', 'deny']);
    expect(decided[0]).toMatch(/identity:not_granted/);
    expect(decided[1]).toMatch(/proof=envelope delegated$/);
  });

  it('revoke: every later action of the agent, and of the helper it delegated to, is denied identity:revoked', () => {
    expect(run.stdout).toMatch(/revoked did:key:\S+ in .*\.agt\/state\.db; its next action is denied/);
    for (const n of [2, 3]) {
      const decided = evalRun(n);
      expect(decided).toHaveLength(3);
      for (const line of decided) expect(line).toMatch(/deny .*identity:revoked/);
    }
  });
});

describe('README "Identity": the five-minute block, exactly as printed', () => {
  // A reader copies the block into a shell with `agt` as the README says to define it; every
  // command must work as written (a file the block reads must be one it writes).
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('**Five minutes, from the CLI**'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const dir = mkdtempSync(join(tmpdir(), 'agt-readme-walkthrough-'));
  const { AGT_CONFIG: _config, AGT_AUDIT_STORE: _store, ...inherited } = process.env;
  const script = `set -eu\nagt() { "${process.execPath}" "${AGT}" "$@"; }\n${block}`;
  const run = spawnSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8', env: { ...inherited, NO_COLOR: '1' } });

  it('runs to the end with no error, deciding the signed batch and revoking', () => {
    expect(block).toMatch(/agt init/);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ +4 {2}deny .*identity:replayed/m);
    expect(run.stdout).toMatch(/revoked did:key:\S+ in /);
  });

  it('the script runs without AGT set: it finds this clone\'s CLI itself (npx agt would not, outside the clone)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'agt-walkthrough-default-'));
    const bare = spawnSync('sh', [SCRIPT], { cwd: empty, encoding: 'utf8', env: { ...inherited, NO_COLOR: '1' } });
    expect(bare.stderr).toBe('');
    expect(bare.status).toBe(0);
  });
});
