import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
// No color, and the default store unless a test names one.
const { AGT_AUDIT_STORE: _store, ...inherited } = process.env;
const env = { ...inherited, NO_COLOR: '1' };

function agt(args: string[], cwd?: string) {
  const result = spawnSync(process.execPath, [AGT, ...args], { encoding: 'utf8', cwd, env });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let store: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agt-audit-cli-'));
  store = join(dir, 'audit.db');
  const demo = agt(['demo', '--store', store]);
  expect(demo.stderr).toBe('');
  expect(demo.code).toBe(0);
});

describe('agt demo', () => {
  it('shows every scene and ends with a verified audit store and where it is', () => {
    const { stdout, code } = agt(['demo', '--store', join(dir, 'again', 'audit.db')]);
    expect(code).toBe(0);
    const line = (step: string) => stdout.split('\n').find((row) => row.includes(step)) ?? '';
    expect(line('look up the refund policy')).toMatch(/search\s+allow\s+search-budget\s+ran/);
    expect(line('clean up old orders')).toMatch(/db\s+deny\s+block-destructive-sql\s+blocked: Destructive SQL/);
    expect(line('a burst past the budget')).toMatch(/rate-limited\s+search-budget\s+blocked: Rate limit exceeded/);
    expect(line('email the customer')).toMatch(/approved\s+email-needs-approval\s+approver \(support-lead\) approved; ran/);
    expect(line('email an outside address')).toMatch(/approval denied\s+email-needs-approval\s+approver \(support-lead\) denied; blocked/);
    expect(line('read the customer record')).toMatch(/transform\s+redact-customer-pii\s+ran → .*"ssn":"\[REDACTED\]"/);
    expect(line('read the customer record')).not.toContain('123-45-6789');
    expect(line('run a shell command')).toMatch(/deny\s+-\s+blocked: No rule matched; default_action is deny/);
    expect(line('read orders, signed')).toMatch(/db\s+allow\s+allow-db-reads\s+ran/);
    expect(line('forged: signed by another key')).toMatch(/db\s+deny\s+-\s+blocked: identity:untrusted_issuer/);
    expect(line('tampered: SQL changed after signing')).toMatch(/db\s+deny\s+-\s+blocked: identity:signature/);
    expect(line('replayed: the first signed call again')).toMatch(/db\s+deny\s+-\s+blocked: identity:replayed/);
    // An operator kills the agent from a second process; its very next call is refused.
    expect(line('operator elsewhere: agt agent kill')).toMatch(/-\s+killed\s+(kill-switch|-)\s+pid \d+ ran agt agent kill; seen here \d+ ms after its commit/);
    expect(line('read the customer record again')).toMatch(/crm\s+deny\s+-\s+blocked: lifecycle:terminated: agent support-agent is terminated/);
    expect(stdout).toMatch(/audit: +\d+ entries appended to .*again\/audit\.db .*verified/);
  });
});

describe('agt demo --json', () => {
  it('prints one object per step and a summary, and nothing else', () => {
    const { code, stdout } = agt(['demo', '--store', join(dir, 'json', 'audit.db'), '--json']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(17); // ten governed steps, four proven ones, the kill and the call after it, the summary
    expect(lines[3]).toMatchObject({ step: 4, tool: 'db', decision: 'deny', rule: 'block-destructive-sql' });
    expect(lines.slice(11, 14).map((l) => String(l.outcome).split(':').slice(0, 2).join(':'))).toEqual(['blocked: identity', 'blocked: identity', 'blocked: identity']);
    expect(lines.slice(11, 14).map((l) => String(l.outcome).split(':')[2])).toEqual(['untrusted_issuer', 'signature', 'replayed']);
    expect(lines[14]).toMatchObject({ step: 15, decision: 'killed' });
    expect(lines[15]).toMatchObject({ step: 16, tool: 'crm', decision: 'deny', outcome: expect.stringMatching(/^blocked: lifecycle:terminated/) });
    expect(lines[16]).toMatchObject({ summary: { 'rate-limited': 1, approved: 1, 'approval denied': 1, transform: 1, killed: 1 }, verified: true });
  });
});

describe('agt audit', () => {
  it('verify: OK on an intact store, exit 0', () => {
    const { code, stdout } = agt(['audit', 'verify', '--store', store]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^OK {2}.*audit\.db: \d+ entries, \d+ checkpoints verified\n$/);
  });

  it('verify: names the first bad sequence number and exits 1 when tampered', () => {
    const copy = join(dir, 'tampered.db');
    writeFileSync(copy, readFileSync(store));
    const db = new Database(copy);
    db.prepare(`UPDATE entries SET content = CAST(replace(CAST(content AS TEXT), '"verdict":"deny"', '"verdict":"allow"') AS BLOB) WHERE seq = (SELECT min(seq) FROM entries WHERE CAST(content AS TEXT) LIKE '%"verdict":"deny"%')`).run();
    const seq = db.prepare(`SELECT min(seq) FROM entries WHERE CAST(content AS TEXT) LIKE '%block-destructive-sql%'`).pluck().get() as number;
    db.close();
    const { code, stdout } = agt(['audit', 'verify', '--store', copy]);
    expect(code).toBe(1);
    expect(stdout).toContain(`first bad sequence number: ${seq}`);
    const json = JSON.parse(agt(['audit', 'verify', '--store', copy, '--json']).stdout) as { ok: boolean; firstBadSeq: number };
    expect(json).toMatchObject({ ok: false, firstBadSeq: seq });
  });

  it('verify --public-key: a key that is not the store\'s fails every checkpoint', () => {
    const other = join(dir, 'other', 'audit.db');
    agt(['demo', '--store', other]);
    const key = join(dir, 'other.pem');
    writeFileSync(key, agt(['audit', 'key', '--store', other]).stdout);
    expect(agt(['audit', 'verify', '--store', other, '--public-key', key]).code).toBe(0);
    const { code, stdout } = agt(['audit', 'verify', '--store', store, '--public-key', key]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/checkpoint at size \d+: signature does not match/);
  });

  it('tail, stats: readable and JSON', () => {
    const tail = agt(['audit', 'tail', '--store', store, '-n', '3']);
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(3);
    const lines = agt(['audit', 'tail', '--store', store, '-n', '2', '--json']).stdout.trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual(expect.arrayContaining([expect.any(Number)]));
    const stats = JSON.parse(agt(['audit', 'stats', '--store', store, '--json']).stdout) as { entries: number; byRule: Record<string, { deny?: number }>; byAgent: Record<string, unknown> };
    expect(stats.byRule['block-destructive-sql']?.deny).toBe(1);
    // the governed steps' agent, the proven agent's DID, and the refused (unproven) calls
    expect(Object.keys(stats.byAgent)).toEqual(['support-agent', expect.stringMatching(/^did:key:z6Mk/), 'anonymous']);
    expect(agt(['audit', 'stats', '--store', store]).stdout).toMatch(/rule +total +allow +deny/);
  });

  it('export → import round-trips (JSONL and CloudEvents) and the imported store verifies', () => {
    const jsonl = join(dir, 'export.jsonl');
    expect(agt(['audit', 'export', '--store', store, '-o', jsonl]).code).toBe(0);
    const restored = join(dir, 'restored', 'audit.db');
    const imported = agt(['audit', 'import', jsonl, '--store', restored]);
    expect(imported.stdout).toMatch(/^imported \d+ entries/);
    expect(agt(['audit', 'verify', '--store', restored]).code).toBe(0);
    expect(agt(['audit', 'export', '--store', restored]).stdout).toBe(readFileSync(jsonl, 'utf8'));

    const events = join(dir, 'events.json');
    expect(agt(['audit', 'export', '--store', store, '--format', 'cloudevents', '-o', events]).code).toBe(0);
    const batch = JSON.parse(readFileSync(events, 'utf8')) as { specversion: string; type: string; id: string; data: { entryId: string } }[];
    expect(batch[0]).toMatchObject({ specversion: '1.0', type: 'dev.agentgovernance.audit.decision.v1', datacontenttype: 'application/json' });
    expect(batch.every((event) => event.id === event.data.entryId)).toBe(true);
    const fromEvents = join(dir, 'from-events', 'audit.db');
    expect(agt(['audit', 'import', events, '--store', fromEvents]).code).toBe(0);
    expect(agt(['audit', 'export', '--store', fromEvents]).stdout).toBe(readFileSync(jsonl, 'utf8'));
  });

  it('import refuses a tampered export (exit 1, nothing written) and a store that has entries (exit 2)', () => {
    const jsonl = join(dir, 'bad.jsonl');
    const lines = agt(['audit', 'export', '--store', store]).stdout.split('\n');
    lines[2] = (lines[2] as string).replace('"verdict":"allow"', '"verdict":"deny"');
    writeFileSync(jsonl, lines.join('\n'));
    const target = join(dir, 'bad', 'audit.db');
    const refused = agt(['audit', 'import', jsonl, '--store', target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/does not verify: entry 3: .*nothing was imported/);
    expect(agt(['audit', 'stats', '--store', target, '--json']).stdout).toMatch(/"entries": 0/);
    const busy = agt(['audit', 'import', join(dir, 'export.jsonl'), '--store', store]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toMatch(/already holds entries/);
  });

  it('prove: an inclusion proof checks with the public key alone; an edited entry, a wrong path or another key does not', () => {
    const key = join(dir, 'store.pem');
    writeFileSync(key, agt(['audit', 'key', '--store', store]).stdout);
    const proved = agt(['audit', 'prove', '5', '--store', store]);
    expect(proved.code).toBe(0);
    const proof = JSON.parse(proved.stdout) as { kind: string; leafIndex: number; entry: { seq: number; verdict: string }; proof: string[] };
    expect(proof).toMatchObject({ kind: 'inclusion', leafIndex: 4, entry: { seq: 5 } });
    const file = join(dir, 'proof.json');
    writeFileSync(file, proved.stdout);
    expect(agt(['audit', 'check-proof', file, '--public-key', key])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^VALID {2}entry 5 is in the log of \d+ entries/) });

    const check = (doc: unknown, publicKey = key) => {
      writeFileSync(file, JSON.stringify(doc));
      return agt(['audit', 'check-proof', file, '--public-key', publicKey]);
    };
    expect(check({ ...proof, entry: { ...proof.entry, verdict: 'deny' } })).toMatchObject({ code: 1, stdout: expect.stringContaining('does not hash to its hash') });
    expect(check({ ...proof, proof: proof.proof.slice(1) })).toMatchObject({ code: 1, stdout: expect.stringContaining('does not lead to the checkpoint root') });
    const otherKey = join(dir, 'other.pem');
    agt(['demo', '--store', join(dir, 'third', 'audit.db')]);
    writeFileSync(otherKey, agt(['audit', 'key', '--store', join(dir, 'third', 'audit.db')]).stdout);
    expect(check(proof, otherKey)).toMatchObject({ code: 1, stdout: expect.stringContaining('checkpoint:') });
  });

  it('prove --consistency: a later checkpoint extends an earlier one', () => {
    const grow = join(dir, 'grow', 'audit.db');
    agt(['demo', '--store', grow]);
    const firstSize = JSON.parse(agt(['audit', 'verify', '--store', grow, '--json']).stdout).entries as number;
    agt(['demo', '--store', grow]);
    const proved = agt(['audit', 'prove', '--consistency', String(firstSize), '--store', grow]);
    expect(proved.code).toBe(0);
    const file = join(dir, 'consistency.json');
    writeFileSync(file, proved.stdout);
    const key = join(dir, 'grow.pem');
    writeFileSync(key, agt(['audit', 'key', '--store', grow]).stdout);
    expect(agt(['audit', 'check-proof', file, '--public-key', key]).stdout).toMatch(new RegExp(`^VALID {2}the log of ${2 * firstSize} entries .* extends the log of ${firstSize}`));
  });

  it('user errors are one line, exit 2, no stack trace', () => {
    const missing = agt(['audit', 'verify', '--store', join(dir, 'nope.db')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: no audit store at ${join(dir, 'nope.db')}; run \`agt demo\` to make one, or pass --store PATH\n`);
    const foreign = join(dir, 'foreign.db');
    writeFileSync(foreign, 'not a database at all');
    const bad = agt(['audit', 'verify', '--store', foreign]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: .*foreign\.db.*\n$/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
