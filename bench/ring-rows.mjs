// Bench rows for the ring guard (issue 11, item 1): what the guard adds to govern(). The guard is
// always on, so "without" is measured two ways: the guard's own call (checkRing, the common case
// where the agent's own ring covers the tool: a cached Map lookup and an integer compare), and
// govern() of a tool the policy puts at ring 1 (agent ring 1) beside a tool no `tools:` entry
// names. A third row prices an elevated call: the agent's own ring does not cover the tool, so
// the guard reads the live grants from the SQLite state file (one `PRAGMA data_version`).
//
// Called by run.mjs under --execution-only: `await ringRows({ pair, progress, rows })`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, Kernel, PolicyEvaluator, govern } from '../dist/index.js';
import { checkRing } from '../dist/kernel/ring-step.js';
import { MemoryElevationGrantStore } from '../dist/state/elevation-grant-store.js';
import { SqliteElevationGrantStore } from '../dist/state/sqlite-elevation-grant-store.js';

const section = 'execution (rings)';
const HEAD = 'apiVersion: governance.toolkit/v1\nname: ring-bench\ndefault_action: allow\n';

export async function ringRows({ pair, progress, rows }) {
  progress('ring guard: the guard alone, govern() with and without a ring-checked tool, an elevated call ...');
  const checked = PolicyEvaluator.fromYaml(`${HEAD}tools:\n  noop: { ring: 1 }\n`);
  const unchecked = PolicyEvaluator.fromYaml(HEAD);

  // The guard's own cost, on a request as the kernel hands it (frozen, normalized).
  const settings = { grants: new MemoryElevationGrantStore(), clock: Date.now, breach() {}, sweep() {} };
  const request = Object.freeze({ stage: 'pre_tool', tool_name: 'noop', agent: Object.freeze({ id: 'bench', ring: 1 }), args: {}, action: {}, context: {} });
  if (checkRing(request, false, checked, settings) !== undefined) throw new Error('ring bench: expected the guard to pass');
  const alone = await pair({ ours: () => (checkRing(request, false, checked, settings) === undefined ? 1 : 0), n: 400_000, warm: 20_000 });
  rows.push({
    section, what: 'ring guard alone (checkRing: agent ring 1, tool ring 1; Map lookup + compare)',
    ours: alone.ours, peer: null, by: 'p50', target: 'standing + ring <= 0.5 us (p50)', met: alone.ours.p50Ns <= 500,
  });

  const noop = async (args) => (args ? 1 : 0);
  const args = { q: 1 };
  const ringed = govern(noop, { policy: checked, name: 'noop', audit: new AuditLog(), agent: { id: 'bench', ring: 1 } });
  const plain = govern(noop, { policy: unchecked, name: 'noop', audit: new AuditLog(), agent: { id: 'bench', ring: 1 } });
  if ((await ringed(args)) !== 1 || (await plain(args)) !== 1) throw new Error('ring bench: expected both tools to run');
  const g = await pair({ ours: () => ringed(args), peer: () => plain(args), n: 40_000, warm: 5_000, async: true });
  const added = g.ours.p50Ns - g.peer.p50Ns;
  rows.push({
    section, what: `govern() no-op, tool at ring 1 (ring-checked) vs no tools: entry (+${added} ns at p50)`,
    ours: g.ours, peer: g.peer, peerLabel: 'no tools: entry', by: 'p50', target: '<= +0.5 us (p50)', met: added <= 500,
  });

  // Elevated: ring 2 agent, ring 1 tool, a live grant in a SQLite state file.
  const dir = mkdtempSync(join(tmpdir(), 'agt-ring-bench-'));
  try {
    const grants = new SqliteElevationGrantStore(join(dir, 'state.db'));
    grants.add({ id: 'g1', subject: 'bench', ring: 1, grantedAt: Date.now(), expiresAt: Date.now() + 3_600_000, reason: 'bench', decisionId: 'd1', revokedAt: null });
    const kernel = new Kernel({ policy: checked, audit: new AuditLog(), agent: { id: 'bench' }, elevation: { grants } });
    const own = new Kernel({ policy: checked, audit: new AuditLog(), agent: { id: 'bench', ring: 1 } });
    const call = { tool_name: 'noop', args };
    if (!kernel.decide(call).allowed || !own.decide(call).allowed) throw new Error('ring bench: expected the elevated call to be allowed');
    const e = await pair({ ours: () => (kernel.decide(call).allowed ? 1 : 0), peer: () => (own.decide(call).allowed ? 1 : 0), n: 40_000, warm: 5_000 });
    rows.push({
      section, what: `Kernel.decide() elevated by a SQLite grant vs own ring 1 (+${e.ours.p50Ns - e.peer.p50Ns} ns at p50)`,
      ours: e.ours, peer: e.peer, peerLabel: 'own ring covers it', refOnly: true, by: 'p50', target: 'reference (only elevated calls read grants)', met: true,
    });
    grants.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
