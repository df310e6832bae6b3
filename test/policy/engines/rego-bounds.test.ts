import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../../src/kernel/kernel.js';
import { evaluationPool } from '../../../src/policy/engines/wasm-pool.js';
import { loadPoliciesSync } from '../../../src/policy/loader.js';
import { loadIssues, policyWith, tree } from './tree.js';

/**
 * The bounds of a local (wasm) Rego evaluation: a deadline and a memory maximum. Before them, each
 * hostile request here held the calling thread for seconds (`numbers.range` at 3e7: minutes, then
 * an opa_malloc abort); now each is a deny naming the bound, in about the deadline, and the next
 * request decides as before.
 */

/** Rules that are cheap to write and costly to run on a hostile request (shared with bench/worst-rego-rows.mjs). */
const HOSTILE_REGO = readFileSync(new URL('../../fixtures/engines/hostile.rego', import.meta.url), 'utf8');

/** A decision's wall-clock time in ms. */
function timed<T>(fn: () => T): [T, number] {
  const started = performance.now();
  const value = fn();
  return [value, performance.now() - started];
}

function evaluatorFor(query: string, bounds = '') {
  const root = tree({ 'h.rego': HOSTILE_REGO, 'p.yaml': policyWith(`  rego: { source: h.rego, query: hostile/${query}${bounds} }\n`) });
  return loadPoliciesSync(join(root, 'p.yaml'));
}

/**
 * Waits until the pool's workers have started. A stopped evaluation's worker is replaced by
 * the standby, and a new standby starts in the background; a second stop before it is up makes
 * calls refused meanwhile (tested below). Tests that stop evaluations one after another wait here.
 */
async function standbyStarted(): Promise<void> {
  for (let waited = 0; !evaluationPool().settled(); waited += 20) {
    if (waited > 15_000) throw new Error('the evaluation workers did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Sanity bound, not a performance assertion: the deadline is 25 ms; main took 1.4 s to 4 minutes here.
const WELL_UNDER_A_SECOND = 900;

describe('Rego wasm evaluation is bounded', () => {
  it('numbers.range(1, input.args.big) at 1e6 and 3e7 is stopped at the deadline: a typed deny, then the next call decides', { timeout: 30_000 }, async () => {
    const evaluator = evaluatorFor('range_allow');
    expect(evaluator.evaluate({ tool_name: 't', args: { big: 10 } }).verdict).toBe('allow');
    for (const big of [1e6, 3e7]) {
      await standbyStarted();
      const [decision, ms] = timed(() => evaluator.evaluate({ tool_name: 't', args: { big } }));
      expect(decision.verdict, String(big)).toBe('deny');
      expect(decision.reason).toMatch(/^runtime_error:rego_timeout: rego:hostile\/range_allow: the evaluation did not finish within timeout_ms \(25 ms\)/);
      expect(decision.diagnostics.errors).toContainEqual(expect.objectContaining({ kind: 'rego_timeout' }));
      expect(ms).toBeLessThan(WELL_UNDER_A_SECOND);
      // The stopped worker was replaced: the very next call decides normally.
      expect(evaluator.evaluate({ tool_name: 't', args: { big: 3 } }).verdict).toBe('allow');
    }
  });

  it('a comprehension nested over a 10^4-element request array, walk nested over a tree, sprintf per element: each a typed deny', { timeout: 30_000 }, async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['nested_allow', { a: Array.from({ length: 10_000 }, (_, i) => i) }, 'rego_input'], // more values than 25 ms reads: refused before evaluation
      ['nested_allow', { a: Array.from({ length: 5_000 }, (_, i) => i) }, 'rego_timeout'], // read, then 25 million iterations: stopped
      ['walk_allow', { tree: Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`k${i}`, { v: [i, i, i] }])) }, 'rego_timeout'],
      ['sprintf_allow', { big: 1e6, s: 'x'.repeat(100) }, 'rego_timeout'], // a JavaScript builtin per element: stopped too
    ];
    for (const [query, args, kind] of cases) {
      const evaluator = evaluatorFor(query);
      await standbyStarted();
      const [decision, ms] = timed(() => evaluator.evaluate({ tool_name: 't', args }));
      expect(decision.verdict, query).toBe('deny');
      expect(decision.reason, query).toMatch(new RegExp(`^runtime_error:${kind}: `));
      expect(ms, query).toBeLessThan(WELL_UNDER_A_SECOND);
    }
  });

  it('an evaluation that needs more than memory_mb is a rego_memory deny, and the next call decides correctly', () => {
    // A generous deadline, so that it is the memory bound that stops it.
    const evaluator = evaluatorFor('range_allow', ', memory_mb: 8, timeout_ms: 5000');
    const decision = evaluator.evaluate({ tool_name: 't', args: { big: 2_000_000 } });
    expect(decision).toMatchObject({ verdict: 'deny', reason: 'runtime_error:rego_memory: rego:hostile/range_allow: the evaluation needed more than memory_mb (8 MiB) and was stopped' });
    expect(evaluator.evaluate({ tool_name: 't', args: { big: 5 } }).verdict).toBe('allow');
    expect(evaluator.evaluate({ tool_name: 't', args: { big: 2_000_000 } }).reason).toMatch(/^runtime_error:rego_memory: /);
    expect(evaluator.evaluate({ tool_name: 't', args: { big: 7 } }).verdict).toBe('allow');
  });

  it('stops in a row, before a new standby is up, refuse the calls meanwhile: fail closed, in about the deadline', { timeout: 30_000 }, async () => {
    const evaluator = evaluatorFor('range_allow');
    await standbyStarted();
    const decisions = Array.from({ length: 6 }, (_, i) => timed(() => evaluator.evaluate({ tool_name: 't', args: { big: i % 2 ? 3 : 3e7 } })));
    for (const [decision, ms] of decisions) {
      expect(decision.verdict === 'deny' || decision.reason === 'Rego rule hostile/range_allow allows').toBe(true);
      expect(ms).toBeLessThan(WELL_UNDER_A_SECOND);
    }
    expect(decisions.filter((_, i) => i % 2 === 0).every(([d]) => /^runtime_error:rego_timeout: /.test(d.reason))).toBe(true);
    await standbyStarted();
    expect(evaluator.evaluate({ tool_name: 't', args: { big: 3 } })).toMatchObject({ verdict: 'allow' });
  });

  it('a request with more JSON values than the deadline can parse is refused before evaluation (rego_input), and any 1 MiB request fits the default memory', { timeout: 30_000 }, async () => {
    await standbyStarted();
    const evaluator = evaluatorFor('fine');
    const [decision, ms] = timed(() => evaluator.evaluate({ tool_name: 'search', args: { ids: Array(12_000).fill(0) } }));
    expect(decision.reason).toBe('runtime_error:rego_input: rego:hostile/fine: the request has more than 10000 JSON values, more than the policy can read within timeout_ms (25 ms); refused before evaluation');
    expect(ms).toBeLessThan(WELL_UNDER_A_SECOND);
    expect(evaluator.evaluate({ tool_name: 'search', args: { ids: Array(5_000).fill(0) } })).toMatchObject({ verdict: 'allow' });
    // The worst 1 MiB for wasm memory: 500,000 numbers need about 92 MiB; with a deadline that lets them be read, they fit the default 128.
    const patient = evaluatorFor('fine', ', timeout_ms: 10000');
    expect(patient.evaluate({ tool_name: 'search', args: { ids: Array(500_000).fill(0) } })).toMatchObject({ verdict: 'allow' });
  });

  it('reasons never carry the request: only the bound that stopped it', async () => {
    await standbyStarted();
    const evaluator = evaluatorFor('sprintf_allow');
    const secret = 'sk-live-SECRET-0123456789';
    const decision = evaluator.evaluate({ tool_name: 't', args: { big: 1e7, s: secret } });
    expect(decision.verdict).toBe('deny');
    expect(JSON.stringify(decision)).not.toContain(secret);
  });

  it('through the kernel: a hostile request is refused, the next one allowed', async () => {
    await standbyStarted();
    const kernel = new Kernel({ policy: evaluatorFor('range_allow'), audit: false });
    expect(kernel.decide({ tool_name: 't', args: { big: 3e7 } })).toMatchObject({ verdict: 'deny', allowed: false });
    expect(kernel.decide({ tool_name: 't', args: { big: 2 } })).toMatchObject({ verdict: 'allow', allowed: true });
  });

  it('every engine keeps its own bounds and answers; a policy that behaves is unaffected by another that was stopped', async () => {
    await standbyStarted();
    const fine = evaluatorFor('fine');
    const hostile = evaluatorFor('range_allow');
    expect(hostile.evaluate({ tool_name: 't', args: { big: 3e7 } }).reason).toMatch(/rego_timeout/);
    expect(fine.evaluate({ tool_name: 'search' }).verdict).toBe('allow');
    expect(fine.evaluate({ tool_name: 'other' }).verdict).toBe('deny');
  });

  it('timeout_ms and memory_mb are validated, located, and refused beside remote', () => {
    const root = tree({
      'h.rego': HOSTILE_REGO,
      'zero.yaml': policyWith('  rego: { source: h.rego, query: hostile/fine, timeout_ms: 0 }\n'),
      'huge.yaml': policyWith('  rego: { source: h.rego, query: hostile/fine, memory_mb: 100000 }\n'),
      'remote.yaml': policyWith('  rego:\n    remote: { url: "http://127.0.0.1:1" }\n    query: hostile/fine\n    timeout_ms: 50\n'),
      'data.json': JSON.stringify({ blob: 'x'.repeat(3 * 1024 * 1024) }),
      'tight.yaml': policyWith('  rego:\n    source: h.rego\n    data: data.json\n    query: hostile/fine\n    memory_mb: 1\n'),
    });
    expect(loadIssues(join(root, 'zero.yaml'))[0]).toMatchObject({ key: 'engines.rego.timeout_ms', line: 4 });
    expect(loadIssues(join(root, 'huge.yaml'))[0]).toMatchObject({ key: 'engines.rego.memory_mb' });
    expect(loadIssues(join(root, 'remote.yaml'))[0]).toMatchObject({ key: 'engines.rego.timeout_ms', line: 7, message: expect.stringMatching(/set remote\.timeout_ms instead/) as string });
    expect(loadIssues(join(root, 'tight.yaml'))[0]).toMatchObject({
      code: 'rego-wasm',
      key: 'engines.rego.memory_mb',
      line: 8,
      message: expect.stringMatching(/do not fit in memory_mb \(1 MiB\)/) as string,
      hint: 'raise engines.rego.memory_mb',
    });
  });

  it('a process that used a Rego engine, even one stopped mid-evaluation, exits on its own', { timeout: 30_000 }, () => {
    const root = tree({ 'h.rego': HOSTILE_REGO, 'p.yaml': policyWith('  rego: { source: h.rego, query: hostile/range_allow }\n') });
    const dist = new URL('../../../dist/index.js', import.meta.url).href;
    const script = `import { loadPoliciesSync } from ${JSON.stringify(dist)};
const e = loadPoliciesSync(${JSON.stringify(join(root, 'p.yaml'))});
const a = e.evaluate({ tool_name: 't', args: { big: 3e7 } }).reason.split(':')[1];
const b = e.evaluate({ tool_name: 't', args: { big: 2 } }).verdict;
console.log(a, b);`;
    const [out, ms] = timed(() => execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 15_000 }).toString().trim());
    expect(out).toBe('rego_timeout allow');
    expect(ms).toBeLessThan(15_000);
  });
});
