// Worst cases for the Rego engine (wasm, in-process API, evaluated on a bounded worker): hostile
// requests and policies, each decided through Kernel.decide. Before the bounds, the first of these
// held the calling thread for 1.4 s (numbers.range at 1e6) to minutes (3e7, then an opa_malloc
// abort). Target: every one decided or refused in <= 50 ms (p99), with the reason checked before
// anything is timed. Called by run.mjs with its harness.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Kernel, PolicyEvaluator } from '../dist/index.js';
import { parsePolicyText } from '../dist/api/policy.js';
import { findOpaBinary } from '../dist/policy/engines/opa-binary.js';

const TARGET_MS = 50;

/** The hostile rules, shared with test/policy/engines/rego-bounds.test.ts. */
const HOSTILE_REGO = readFileSync(new URL('../test/fixtures/engines/hostile.rego', import.meta.url), 'utf8');

/** Each case: the rule, its engine options, the request's args, the runtime error it must end in. */
const CASES = [
  ['numbers.range(1, input.args.big), big = 1e6', 'range_allow', '', { big: 1e6 }, 'rego_timeout'],
  ['numbers.range(1, input.args.big), big = 3e7', 'range_allow', '', { big: 3e7 }, 'rego_timeout'],
  ['comprehension nested over a 10^4-element request array', 'nested_allow', '', { a: Array.from({ length: 10_000 }, (_, i) => i) }, 'rego_input'],
  ['comprehension nested over a 5,000-element request array', 'nested_allow', '', { a: Array.from({ length: 5_000 }, (_, i) => i) }, 'rego_timeout'],
  ['walk nested over a 5,000-value request tree', 'walk_allow', '', { tree: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, { v: [i, i, i] }])) }, 'rego_timeout'],
  ['sprintf (a JS builtin) per element of a request-sized range', 'sprintf_allow', '', { big: 1e6, s: 'x'.repeat(100) }, 'rego_timeout'],
  ['a 1 MiB request of 500,000 numbers', 'fine', '', { ids: Array(500_000).fill(0) }, 'rego_input'],
  ['memory exhaustion (memory_mb: 16, timeout_ms: 2000)', 'range_allow', ', memory_mb: 16, timeout_ms: 2000', { big: 5e6 }, 'rego_memory'],
];

function kernelFor(dir, rule, options) {
  const yaml = `apiVersion: governance.toolkit/v1\nname: worst\nengines:\n  rego: { source: worst.rego, query: hostile/${rule}${options} }\n`;
  const policy = new PolicyEvaluator({ sources: [parsePolicyText(yaml, join(dir, 'worst.yaml'), join(dir, 'worst.yaml'))] });
  // agt-scan-ignore no-audit-sink: the benchmark times decisions alone; audit rows are measured on their own
  return new Kernel({ policy, audit: false });
}

export async function worstRegoRows({ pair, progress, rows }) {
  if (!findOpaBinary()) {
    progress('worst-case Rego rows skipped: no OPA binary');
    return;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'agt-bench-worst-'));
  try {
    writeFileSync(join(dir, 'worst.rego'), HOSTILE_REGO);
    for (const [what, rule, options, args, kind] of CASES) {
      progress(`worst case: ${what} ...`);
      const kernel = kernelFor(dir, rule, options);
      const request = { agent: { id: 'bench' }, tool_name: 'db', action: { type: 'read' }, args };
      const check = kernel.decide(request);
      if (check.verdict !== 'deny' || !check.reason.startsWith(`runtime_error:${kind}:`)) {
        throw new Error(`worst case '${what}': expected a ${kind} deny, got ${check.verdict}: ${check.reason}`);
      }
      // Back to back, as an attacker would send them: refusals while a stopped worker is replaced count too.
      const r = await pair({ ours: () => (kernel.decide(request).allowed ? 0 : 1), peer: null, n: 12, warm: 1, rounds: 2 });
      rows.push({
        section: 'worst cases',
        what: `Rego: ${what} (Kernel.decide, refused: runtime_error:${kind})`,
        ours: r.ours, peer: null, by: 'p50',
        target: `p50 <= ${TARGET_MS} ms`,
        met: r.ours.p50Ns / 1e6 <= TARGET_MS,
      });
    }

    progress('worst case: a normal decision right after a stopped one ...');
    const hostile = kernelFor(dir, 'range_allow', '');
    const normal = kernelFor(dir, 'fine', '');
    const attack = { agent: { id: 'bench' }, tool_name: 'db', action: { type: 'read' }, args: { big: 3e7 } };
    const search = { agent: { id: 'bench' }, tool_name: 'search', action: { type: 'read' }, args: {} };
    if (!normal.decide(search).allowed) throw new Error('worst case: the normal policy did not allow');
    // Timed by hand: each pair after a pause in which the replaced worker's standby starts again.
    const samples = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const started = process.hrtime.bigint();
      hostile.decide(attack);
      if (!normal.decide(search).allowed) throw new Error('worst case: the decision after a stopped one was not an allow');
      samples.push(Number(process.hrtime.bigint() - started));
    }
    samples.sort((a, b) => a - b);
    const r = { ours: { n: samples.length, opsPerSec: samples.length / (samples.reduce((a, b) => a + b, 0) / 1e9), p50Ns: samples[Math.ceil(samples.length / 2) - 1], p99Ns: samples[samples.length - 1] } };
    rows.push({
      section: 'worst cases',
      what: 'Rego: a stopped evaluation (3e7 range) and the normal decision right after it, together',
      ours: r.ours, peer: null, by: 'p50',
      target: `p50 <= ${TARGET_MS} ms`,
      met: r.ours.p50Ns / 1e6 <= TARGET_MS,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
