// Bench rows for the lifecycle (issue 11, item 3): what the standing guard adds to a governed
// call, and how long a kill in one process takes to deny the next call in another. The kill row
// spawns bench/lifecycle-child.mjs, which calls a governed tool in a loop over the same SQLite
// state store; this process kills the agent the child is acting as and measures, on the wall
// clock both share, from the kill's commit to the child's first denial. Called by run.mjs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { govern } from '../dist/index.js';
import { Lifecycle } from '../dist/execution/lifecycle/lifecycle.js';
import { openLifecycleStore } from '../dist/state/sqlite-lifecycle-store.js';

const section = 'execution (lifecycle)';
const KILLS = 20;
const policy = { apiVersion: 'governance.toolkit/v1', name: 'standing-bench', default_action: 'allow', quarantine: { allow: ['search'] } };

export async function lifecycleRows({ pair, progress, rows }) {
  const dir = mkdtempSync(join(tmpdir(), 'agt-bench-lifecycle-'));
  try {
    await standingRows({ pair, progress, rows, dir });
    await killRow({ progress, rows, dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function standingRows({ pair, progress, rows, dir }) {
  progress('lifecycle: standing guard ...');
  const lifecycle = new Lifecycle({ store: openLifecycleStore(join(dir, 'standing.db')) });
  // Other agents stopped, so the guard's map is not empty; the caller itself is active.
  for (let i = 0; i < 100; i++) await lifecycle.suspend(`other-${i}`);
  const withGuard = govern(async () => 1, { policy, audit: false, name: 'search', agent: 'bench-agent', lifecycle });
  const without = govern(async () => 1, { policy, audit: false, name: 'search', agent: 'bench-agent', lifecycle: false });
  const n = 200_000;
  const result = await pair({ ours: () => withGuard({ q: 1 }), peer: () => without({ q: 1 }), n, warm: 20_000, rounds: 8, async: true });
  const diffNs = result.ours.p50Ns - result.peer.p50Ns;
  rows.push({
    section,
    what: `standing guard: govern() with a SQLite lifecycle (100 agents stopped) vs lifecycle: false ("peer" column); p50 difference ${diffNs.toFixed(0)} ns`,
    ours: result.ours,
    peer: result.peer,
    by: 'p50',
    target: '<= 0.5 us added (shared with the ring guard)',
    met: diffNs <= 500,
  });
  const check = await pair({ ours: (i) => (lifecycle.standing(i & 1 ? 'bench-agent' : 'other-7').kind === 'active' ? 1 : 0), n: 2_000_000, warm: 100_000 });
  rows.push({ section, what: 'standing guard alone: lifecycle.standing(agent), SQLite store, cache current', ours: check.ours, peer: null, by: 'p50', target: '<= 0.5 us', met: check.ours.p50Ns <= 500 });
  lifecycle.close();
}

async function killRow({ progress, rows, dir }) {
  progress(`lifecycle: ${KILLS} kills seen by another process ...`);
  const statePath = join(dir, 'kill.db');
  const lifecycle = new Lifecycle({ store: openLifecycleStore(statePath) });
  const child = spawn(process.execPath, [join(import.meta.dirname, 'lifecycle-child.mjs'), statePath, String(KILLS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = () => new Promise((resolve) => lines.once('line', resolve));
  await next(); // ready
  const latencies = [];
  for (let round = 0; round < KILLS; round++) {
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 40)); // land anywhere in the child's poll period
    const reported = next();
    const result = await lifecycle.kill(`a${round}`, { reason: 'bench' });
    const committedAt = performance.timeOrigin + performance.now();
    if (!result.ok) throw new Error(result.message);
    const [, seenRound, at] = String(await reported).split(' ');
    if (Number(seenRound) !== round) throw new Error(`child reported round ${seenRound}, expected ${round}`);
    latencies.push(Math.max(0, Number(at) - committedAt) * 1e6);
  }
  await new Promise((resolve) => child.on('exit', resolve));
  lifecycle.close();
  latencies.sort((a, b) => a - b);
  const pct = (q) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)];
  rows.push({
    section,
    what: `kill in one process -> next call denied in another (SQLite state, ${KILLS} kills; ms from the kill's commit to the other process's first denial)`,
    ours: { n: KILLS, opsPerSec: 0, p50Ns: pct(0.5), p99Ns: pct(0.99) },
    peer: null,
    by: 'p50',
    target: '<= 100 ms',
    met: pct(0.99) <= 100e6,
  });
}
