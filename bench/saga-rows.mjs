// Bench rows for sagas (issue 11 item 7): what the saga layer costs over the kernel calls it
// makes, and how long undoing a saga takes. Memory audit log, no-op steps, so the rows measure
// the saga's own work (its audit entries, bookkeeping, promise hops). Called by run.mjs.
import { AuditLog, Kernel } from '../dist/index.js';
import { Saga } from '../dist/api/kernel.js';

const section = 'execution (sagas)';
const policy = { apiVersion: 'governance.toolkit/v1', name: 'saga-bench', default_action: 'allow', rules: [] };
const noop = () => 1;
const step = (tool) => ({ tool, args: { n: 1 }, run: noop, compensate: noop });

export async function sagaRows({ pair, progress, rows }) {
  const audit = new AuditLog();
  const kernel = new Kernel({ policy, audit, agent: 'bench-bot' });
  let i = 0;

  progress('saga: 3 steps completed, vs the same 3 kernel.handle calls ...');
  const completed = async () => {
    const saga = new Saga({ kernel, name: `s${i++}` });
    await saga.step('a', step('bench.a'));
    await saga.step('b', step('bench.b'));
    await saga.step('c', step('bench.c'));
    return (await saga.complete()).status === 'completed' ? 1 : 0;
  };
  const bare = async () => {
    for (const tool of ['bench.a', 'bench.b', 'bench.c']) if ((await kernel.handle({ tool, args: { n: 1 } }, noop)).kind !== 'output') throw new Error('bare: expected output');
    return 1;
  };
  if ((await completed()) !== 1) throw new Error('saga: expected completed');
  const r = await pair({ ours: completed, peer: bare, n: 8_000, warm: 1_000, async: true });
  const perStepNs = (r.ours.p50Ns - r.peer.p50Ns) / 3;
  rows.push({
    section,
    what: `saga of 3 no-op steps, completed (memory audit; +${(perStepNs / 1e3).toFixed(1)} us per step over bare kernel.handle at p50)`,
    ours: r.ours, peer: r.peer, peerLabel: '3 bare kernel.handle', refOnly: true, by: 'p50',
    target: '<= 20 us per step over kernel.handle (p50)',
    met: perStepNs <= 20_000,
  });

  progress('saga: 3 steps then compensate() ...');
  const undone = async () => {
    const saga = new Saga({ kernel, name: `u${i++}`, retries: 0 });
    await saga.step('a', step('bench.a'));
    await saga.step('b', step('bench.b'));
    await saga.step('c', step('bench.c'));
    return (await saga.compensate('bench')).status === 'compensated' ? 1 : 0;
  };
  if ((await undone()) !== 1) throw new Error('saga: expected compensated');
  const u = await pair({ ours: undone, peer: completed, n: 8_000, warm: 1_000, async: true });
  rows.push({
    section,
    what: 'saga of 3 no-op steps, then compensate(): 3 compensations, each audited (vs the same saga completed)',
    ours: u.ours, peer: u.peer, peerLabel: 'completed instead', refOnly: true, by: 'p50',
    target: 'p50 <= 1 ms',
    met: u.ours.p50Ns <= 1e6,
  });
  if (!audit.verify().ok) throw new Error('saga bench: audit chain does not verify');
}
