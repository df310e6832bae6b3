// Bench rows for execution control (issue 11): the bubblewrap sandbox's start-up cost, measured
// as the time from asking for a run to the first byte of its output, against the same command
// run bare (no namespaces, no limits). The sandbox refuses on a machine without bubblewrap; the
// row then says so instead of measuring. Called by run.mjs with its harness.
import { spawn } from 'node:child_process';
import { sandbox, sandboxAvailability } from '../dist/execution/sandbox/index.js';

const section = 'execution (sandbox)';
const PYTHON = '/usr/bin/python3';

/** Resolves at the first byte on stdout of a sandboxed `python3 -c 'print(1)'`; the run is then awaited. */
async function sandboxedFirstByte() {
  let firstByteNs = 0n;
  const started = process.hrtime.bigint();
  const outcome = await sandbox.run({ command: [PYTHON, '-c', 'print(1)'] }, {
    onStdout: () => {
      if (firstByteNs === 0n) firstByteNs = process.hrtime.bigint() - started;
    },
  });
  if (outcome.outcome !== 'ran' || outcome.stdout !== '1\n') throw new Error(`sandboxed run failed: ${JSON.stringify(outcome)}`);
  return Number(firstByteNs);
}

/** The same command without the sandbox: spawn to first byte. */
function bareFirstByte() {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let firstByteNs = 0n;
    const child = spawn(PYTHON, ['-c', 'print(1)'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', () => {
      if (firstByteNs === 0n) firstByteNs = process.hrtime.bigint() - started;
    });
    child.on('error', reject);
    child.on('close', () => resolve(Number(firstByteNs)));
  });
}

/** Nearest-rank percentiles of first-byte latencies, in run.mjs's summary shape. */
function summary(samples, totalNs) {
  const sorted = Float64Array.from(samples).sort();
  const pct = (q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return { n: sorted.length, opsPerSec: sorted.length / (totalNs / 1e9), p50Ns: pct(0.5), p99Ns: pct(0.99) };
}

export async function executionRows({ progress, rows }) {
  const availability = sandboxAvailability();
  if (!availability.available) {
    progress(`sandbox rows skipped: ${availability.reason}`);
    rows.push({ section, what: `sandbox start to first byte: skipped (${availability.reason})`, ours: { n: 0, opsPerSec: 0, p50Ns: 0, p99Ns: 0 }, peer: null, by: 'p50', target: '<= 50 ms over bare', met: false });
    return;
  }
  progress('sandbox start to first byte, python3 -c print(1) ...');
  const N = 60;
  const ours = [];
  const bare = [];
  let oursTotal = 0;
  let bareTotal = 0;
  for (let i = 0; i < 5; i++) { await sandboxedFirstByte(); await bareFirstByte(); } // warm the page cache
  // Interleaved, so drift affects both alike; each sample is first-byte latency, not the whole run.
  for (let i = 0; i < N; i++) {
    let t = process.hrtime.bigint();
    ours.push(await sandboxedFirstByte());
    oursTotal += Number(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    bare.push(await bareFirstByte());
    bareTotal += Number(process.hrtime.bigint() - t);
  }
  const o = summary(ours, oursTotal);
  const b = summary(bare, bareTotal);
  const overheadNs = o.p50Ns - b.p50Ns;
  rows.push({
    section,
    what: `sandbox start to first byte, python3 -c 'print(1)' (bwrap, all namespaces, prlimit; vs bare spawn; +${(overheadNs / 1e6).toFixed(1)} ms at p50)`,
    ours: o, peer: b, peerLabel: 'bare process', refOnly: true, by: 'p50',
    bare: b, overheadNs,
    target: '<= 50 ms over bare (p50)',
    met: overheadNs <= 50e6,
  });
}
