/**
 * Elevation (issue 11, item 2): an agent asks to act at a more privileged ring for a while; the
 * request is decided through Kernel.handle as `agt.elevate` and always put to a human; the grant
 * lives in state (memory or the deployment's SQLite file, seen by every process), expires by the
 * clock, can be revoked, and each grant, revocation and expiry is in the audit log.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import type { NormalizedRequest } from '../../src/core/types.js';
import type { Outcome } from '../../src/kernel/action.js';
import type { ApprovalHandler } from '../../src/kernel/approvals.js';
import { Kernel, type KernelOptions } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import type { ElevationGrantStore } from '../../src/state/elevation-grant-store.js';
import { SqliteElevationGrantStore } from '../../src/state/sqlite-elevation-grant-store.js';

const START = Date.parse('2026-03-01T12:00:00Z');
const MINUTE = 60_000;
const POLICY = `apiVersion: governance.toolkit/v1
name: p
default_action: allow
tools:
  db.drop: { ring: 1 }
  search: { read_only: true }
rules:
  - { name: no-elevation-for-mallory, condition: "tool_name == 'agt.elevate' && agent.id == 'mallory'", action: deny, message: 'mallory is never elevated' }
  - { name: drop-needs-a-human, condition: "tool_name == 'db.drop' && args.approve == true", action: require_approval }
`;
const run = (): string => 'ran';
const reasonOf = (outcome: Outcome): string => (outcome.kind === 'refused' ? outcome.decision.reason : `(${outcome.kind})`);
const statePath = (): string => join(mkdtempSync(join(tmpdir(), 'agt-elevation-')), 'state.db');

/** A kernel on a steerable clock, with a human who answers `answer` and notes what was asked. */
function setup(answer: 'approved' | 'denied' | null = 'approved', options: Partial<KernelOptions> & { grants?: ElevationGrantStore } = {}) {
  const clock = { now: START };
  const asked: NormalizedRequest[] = [];
  const approvals: ApprovalHandler = (request) => {
    asked.push(request);
    return answer ?? 'denied';
  };
  const audit = new AuditLog();
  const { grants, ...rest } = options;
  const kernel = new Kernel({
    policy: PolicyEvaluator.fromYaml(POLICY),
    audit,
    agent: 'bot',
    ...(answer === null ? {} : { approvals }),
    elevation: { clock: () => clock.now, ...(grants ? { grants } : {}) },
    ...rest,
  });
  return { kernel, clock, asked, audit };
}

describe('elevation: granted by a human, time-boxed', () => {
  it('approved: the agent acts at ring 1 until the grant expires, then is denied again; grant and expiry are recorded', async () => {
    const { kernel, clock, asked, audit } = setup();
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient: agent ring 2 /);
    const outcome = await kernel.requestElevation({ ring: 1, durationMs: 10 * MINUTE, reason: 'drop the staging table' });
    expect(outcome.granted).toBe(true);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ tool_name: 'agt.elevate', args: { ring: 1, durationMs: 10 * MINUTE, reason: 'drop the staging table' } });
    if (!outcome.granted) return;
    expect(outcome.grant).toMatchObject({ subject: 'bot', ring: 1, expiresAt: START + 10 * MINUTE });
    expect(outcome.decision.reason).toMatch(/^elevation:granted: ring 1 until 2026-03-01T12:10:00.000Z/);
    expect(kernel.elevations()).toHaveLength(1);

    clock.now = START + 10 * MINUTE - 1;
    expect((await kernel.handle({ tool: 'db.drop' }, run)).kind).toBe('output');
    clock.now = START + 10 * MINUTE;
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient: agent ring 2 /);
    expect(kernel.elevations()).toHaveLength(0);
    const text = JSON.stringify(audit.entries());
    expect(text).toContain('elevation:granted');
    expect(text.match(/elevation:expired/g)).toHaveLength(1); // recorded once, though looked at twice
  });

  it('defaults to 5 minutes', async () => {
    const { kernel } = setup();
    const outcome = await kernel.requestElevation({ ring: 1, reason: 'x' });
    expect(outcome.granted && outcome.grant.expiresAt - outcome.grant.grantedAt).toBe(5 * MINUTE);
  });

  it('denied by the human: not granted, and the tool stays denied', async () => {
    const { kernel, asked } = setup('denied');
    const outcome = await kernel.requestElevation({ ring: 1, durationMs: MINUTE, reason: 'please' });
    expect(outcome).toMatchObject({ granted: false, reason: expect.stringMatching(/approval denied/) });
    expect(asked).toHaveLength(1);
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient/);
    expect(kernel.elevations()).toHaveLength(0);
  });

  it('without an approval handler nobody can approve it: refused', async () => {
    const { kernel } = setup(null);
    expect(await kernel.requestElevation({ ring: 1, reason: 'x' })).toMatchObject({ granted: false, reason: expect.stringMatching(/no approver is configured/) });
  });

  it('the policy can deny the request before a human sees it', async () => {
    const { kernel, asked } = setup('approved', { agent: 'mallory' });
    expect(await kernel.requestElevation({ ring: 1, reason: 'trust me' })).toMatchObject({ granted: false, reason: 'mallory is never elevated' });
    expect(asked).toHaveLength(0);
  });

  it('refuses, before asking anyone: over 1 hour, ring 0, two rings at once, its own ring, no reason, odd values, an unnamed agent', async () => {
    const { kernel, asked } = setup();
    const cases: [Parameters<Kernel['requestElevation']>[0], RegExp][] = [
      [{ ring: 1, durationMs: 60 * MINUTE + 1, reason: 'x' }, /longer than the 3600000 ms \(1 hour\)/],
      [{ ring: 0, reason: 'x' }, /never be elevated to ring 0/],
      [{ ring: 1, durationMs: 0, reason: 'x' }, /durationMs must be a whole number/],
      [{ ring: 1, durationMs: -5, reason: 'x' }, /durationMs must be a whole number/],
      [{ ring: 1, durationMs: 1.5, reason: 'x' }, /durationMs must be a whole number/],
      [{ ring: 1.5, reason: 'x' }, /ring must be 1, 2 or 3/],
      [{ ring: '1' as unknown as number, reason: 'x' }, /ring must be 1, 2 or 3/],
      [{ ring: 2, reason: 'x' }, /already acts at ring 2/],
      [{ ring: 3, reason: 'x' }, /already acts at ring 2/],
      [{ ring: 1, reason: '  ' }, /reason must say why/],
      [{ ring: 1, reason: 'x'.repeat(501) }, /at most 500/],
      [{ ring: 1, reason: 'x', agent: { id: 'anonymous' } }, /names none/],
    ];
    for (const [request, reason] of cases) {
      const outcome = await kernel.requestElevation(request);
      expect(outcome.granted, JSON.stringify(request)).toBe(false);
      expect(outcome.granted ? '' : outcome.reason, JSON.stringify(request)).toMatch(reason);
      expect(outcome.decision.diagnostics.step).toBe('elevation');
    }
    expect(await kernel.requestElevation({ ring: 1, durationMs: 60 * MINUTE, reason: 'exactly one hour' })).toMatchObject({ granted: true });
    expect(asked).toHaveLength(1);
    const ring3 = await kernel.requestElevation({ ring: 1, reason: 'x', agent: { id: 'worker', ring: 3 } });
    expect(ring3.granted ? '' : ring3.reason).toMatch(/2 rings above the agent's ring 3; one elevation climbs at most 1/);
  });

  it('revoked early: the next call is denied, and the revocation is recorded', async () => {
    const { kernel, audit } = setup();
    const outcome = await kernel.requestElevation({ ring: 1, reason: 'x' });
    if (!outcome.granted) throw new Error(outcome.reason);
    expect((await kernel.handle({ tool: 'db.drop' }, run)).kind).toBe('output');
    expect(kernel.revokeElevation(outcome.grant.id, 'done early')).toMatchObject({ id: outcome.grant.id });
    expect(kernel.revokeElevation(outcome.grant.id)).toBeNull();
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient/);
    expect(JSON.stringify(audit.entries())).toMatch(/elevation:revoked: ring 1 grant .* ended early: done early/);
  });

  it('an approved call whose agent lost its elevation while it waited is refused', async () => {
    // Framework flow: held under a call id, settled later.
    const { kernel } = setup();
    const granted = await kernel.requestElevation({ ring: 1, reason: 'x' });
    if (!granted.granted) throw new Error(granted.reason);
    const held = await kernel.handle({ tool: 'db.drop', args: { approve: true }, callId: 'c1' });
    expect(held.kind).toBe('approval');
    kernel.revokeElevation(granted.grant.id);
    const settled = await kernel.settle('c1', true);
    expect(settled.kind).toBe('refused');
    expect(settled.decision.reason).toMatch(/^ring:insufficient: agent ring 2 is less privileged than the ring 1 this tool requires \(its elevation ended/);

    // Kernel flow: the grant expires while the approval handler is asked.
    const clock = { now: START };
    const kernel2: Kernel = new Kernel({
      policy: PolicyEvaluator.fromYaml(POLICY),
      audit: new AuditLog(),
      agent: 'bot',
      elevation: { clock: () => clock.now },
      approvals: (request) => {
        if (request.tool_name === 'db.drop') clock.now += 6 * MINUTE;
        return 'approved';
      },
    });
    const second = await kernel2.requestElevation({ ring: 1, reason: 'x' });
    expect(second.granted).toBe(true);
    const outcome = await kernel2.handle({ tool: 'db.drop', args: { approve: true } }, run);
    expect(reasonOf(outcome)).toMatch(/^ring:insufficient: .*elevation ended/);
  });
});

describe('elevation: state shared by every process, failing closed', () => {
  it('a grant written through one connection is seen through another, and so is its revocation', async () => {
    const path = statePath();
    const a = setup('approved', { grants: new SqliteElevationGrantStore(path) });
    const b = setup('approved', { grants: new SqliteElevationGrantStore(path) });
    const outcome = await a.kernel.requestElevation({ ring: 1, reason: 'x' });
    if (!outcome.granted) throw new Error(outcome.reason);
    expect((await b.kernel.handle({ tool: 'db.drop' }, run)).kind).toBe('output');
    a.kernel.revokeElevation(outcome.grant.id);
    expect(reasonOf(await b.kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient/);
  });

  it('a grant written by another process lets the next call through; its revocation there denies the next', async () => {
    const path = statePath();
    const { kernel } = setup('approved', { grants: new SqliteElevationGrantStore(path) });
    const child = join(import.meta.dirname, '../fixtures/execution/elevation-in-child.ts');
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient/);
    const grant = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', child, path, 'grant', 'bot', String(START)], { encoding: 'utf8' })) as { id: string };
    expect((await kernel.handle({ tool: 'db.drop' }, run)).kind).toBe('output');
    execFileSync(process.execPath, ['--import', 'tsx', child, path, 'revoke', grant.id, String(START + 1)], { encoding: 'utf8' });
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient/);
  });

  it('a read-only store: the approved elevation is refused, not granted in memory', async () => {
    const path = statePath();
    new SqliteElevationGrantStore(path).close();
    const { kernel } = setup('approved', { grants: new SqliteElevationGrantStore(path, { readonly: true }) });
    const outcome = await kernel.requestElevation({ ring: 1, reason: 'x' });
    expect(outcome.granted ? '' : outcome.reason).toMatch(/^runtime_error:guard: approved, but the grant could not be stored/);
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient/);
  });

  it('a locked store: refused after the wait, never granted', async () => {
    const path = statePath();
    const { kernel } = setup('approved', { grants: new SqliteElevationGrantStore(path, { busyTimeoutMs: 50 }) });
    const locker = new Database(path);
    locker.exec('BEGIN EXCLUSIVE');
    try {
      const outcome = await kernel.requestElevation({ ring: 1, reason: 'x' });
      expect(outcome.granted ? '' : outcome.reason).toMatch(/could not be stored .*locked/);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient/);
  });

  it('a store that cannot be read: a call that needs the elevation is denied, saying why; one that does not goes on', async () => {
    const path = statePath();
    const grants = new SqliteElevationGrantStore(path);
    const { kernel } = setup('approved', { grants });
    expect((await kernel.requestElevation({ ring: 1, reason: 'x' })).granted).toBe(true);
    grants.close();
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^runtime_error:guard: the elevation grants could not be read .* agent ring 2 is less privileged than the ring 1/);
    expect((await kernel.handle({ tool: 'search' }, run)).kind).toBe('output');
  });

  it('a file that is not a database is refused when opened', () => {
    const path = statePath();
    execFileSync('sh', ['-c', `head -c 4096 /dev/urandom > '${path}'`]);
    expect(() => new SqliteElevationGrantStore(path)).toThrow();
  });
});

describe('elevation: the policy shapes it', () => {
  it('a policy transform of the request (a shorter duration) is what is granted', async () => {
    const clock = { now: START };
    const kernel = new Kernel({
      policy: PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: p
default_action: allow
rules:
  - { name: short-elevations, condition: "tool_name == 'agt.elevate'", action: transform, set: { durationMs: 60000 } }
`),
      audit: new AuditLog(),
      agent: 'bot',
      approvals: () => 'approved',
      elevation: { clock: () => clock.now },
    });
    const outcome = await kernel.requestElevation({ ring: 1, durationMs: 30 * MINUTE, reason: 'x' });
    expect(outcome.granted && outcome.grant.expiresAt).toBe(START + MINUTE);
  });
});
