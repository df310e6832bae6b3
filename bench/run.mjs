#!/usr/bin/env node
// Benchmark: this library vs @microsoft/agent-governance-sdk (the peer), in one process.
//
//   npm run bench              build, then print a markdown table
//   node bench/run.mjs         (after `npm run build`)
//   node bench/run.mjs --json  machine-readable results on stdout
//   node bench/run.mjs --adapters-only   only the framework adapter rows
//   node bench/run.mjs --worst-only      only the worst-case rows (hostile requests, policies and conditions)
//   node bench/run.mjs --identity-only   only the identity rows (proofs, credentials, JWT and SPIFFE, hand-offs)
//   node bench/run.mjs --execution-only  only the execution control rows (sandbox start-up, code scanner, lifecycle, kill switch, sagas)
//
// Method: each operation is warmed up, then timed one call at a time with
// process.hrtime.bigint() (async calls are awaited). p50/p99 are nearest-rank percentiles of
// those samples; ops/s = samples / total elapsed time of the sampling loop (so it includes the
// ~40 ns timer overhead per call, printed in the header). Ours and the peer run interleaved in
// alternating rounds so that drift (thermal, GC, JIT) affects both sides alike. A checksum of
// every result is printed at the end so no call can be optimized away.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AuditLog, PolicyEvaluator, govern } from '../dist/index.js';
import { PolicyEngine } from '../dist/api/policy.js';
import { engineRows } from './engine-rows.mjs';
import { storeRows } from './store-rows.mjs';
import { adapterRows } from './adapter-rows.mjs';
import { worstRequestRows } from './worst-request-rows.mjs';
import { worstCelRows } from './worst-cel-rows.mjs';
import { worstRegoRows } from './worst-rego-rows.mjs';
import { identityProofRows } from './identity-proof-rows.mjs';
import { identityCredentialRows } from './identity-credentials-rows.mjs';
import { identityExternalRows } from './identity-external-rows.mjs';
import { identityKernelRows } from './identity-kernel-rows.mjs';
import { identityHandoffRows } from './identity-handoff-rows.mjs';
import { executionRows } from './execution-rows.mjs';
import { ringRows } from './ring-rows.mjs';
import { scannerRows } from './scanner-rows.mjs';
import { lifecycleRows } from './lifecycle-rows.mjs';
import { scanLaunchRows } from './scan-launch-rows.mjs';
import { sagaRows } from './saga-rows.mjs';
import {
  AgentMeshClient,
  AuditLogger,
  PolicyEngine as PeerPolicyEngine,
} from '@microsoft/agent-governance-sdk';

const JSON_OUT = process.argv.includes('--json');
const progress = (msg) => process.stderr.write(`  ${msg}\n`);

// A full GC between rows, so one row's garbage is not collected on the next row's clock.
v8.setFlagsFromString('--expose-gc');
// agt-scan-ignore code-eval: a constant 'gc', no input: after setFlagsFromString only a new context sees the gc function
const gc = globalThis.gc ?? vm.runInNewContext('gc');

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

let checksum = 0; // every measured result feeds this; printed at the end (anti dead-code)

const now = process.hrtime.bigint;

/** Times `n` calls of `fn` one by one, after `warm` untimed calls. Returns samples in ns. */
function sampleSync(fn, n, warm) {
  for (let i = 0; i < warm; i++) checksum += fn(i);
  const samples = new Float64Array(n);
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const a = now();
    checksum += fn(i);
    samples[i] = Number(now() - a);
  }
  return { samples, totalNs: Number(now() - t0) };
}

async function sampleAsync(fn, n, warm) {
  for (let i = 0; i < warm; i++) checksum += await fn(i);
  const samples = new Float64Array(n);
  const t0 = now();
  for (let i = 0; i < n; i++) {
    const a = now();
    checksum += await fn(i);
    samples[i] = Number(now() - a);
  }
  return { samples, totalNs: Number(now() - t0) };
}

function summarize(parts) {
  const n = parts.reduce((s, p) => s + p.samples.length, 0);
  const all = new Float64Array(n);
  let off = 0;
  let totalNs = 0;
  for (const p of parts) {
    all.set(p.samples, off);
    off += p.samples.length;
    totalNs += p.totalNs;
  }
  all.sort();
  const pct = (q) => all[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
  return { n, opsPerSec: n / (totalNs / 1e9), p50Ns: pct(0.5), p99Ns: pct(0.99) };
}

/**
 * Measures ours and the peer in `rounds` alternating rounds (ours, peer, ours, peer, ...), each
 * round warming up then sampling n/rounds calls. Either side may be null.
 */
async function pair({ ours, peer, n, peerN = n, warm, peerWarm = warm, rounds = 4, async = false }) {
  const parts = { ours: [], peer: [] };
  const run = async (fn, count, w) => (async ? sampleAsync(fn, count, w) : sampleSync(fn, count, w));
  for (let r = 0; r < rounds; r++) {
    const w = r === 0 ? 1 : 0.1; // full warm-up first round, a short re-warm after that
    if (ours) parts.ours.push(await run(ours, Math.ceil(n / rounds), Math.ceil(warm * w)));
    if (peer) parts.peer.push(await run(peer, Math.ceil(peerN / rounds), Math.ceil(peerWarm * w)));
  }
  gc();
  return {
    ours: ours ? summarize(parts.ours) : null,
    peer: peer ? summarize(parts.peer) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const POLICY_HEADER = 'apiVersion: governance.toolkit/v1\n';

/** n rules, rule i: `tool_name == 'tool_i' && args.rows > i`, alternating allow/deny. */
function oursConditionYaml(n, name = `bench-${n}`) {
  let y = `${POLICY_HEADER}name: ${name}\ndefault_action: deny\nrules:\n`;
  for (let i = 0; i < n; i++) {
    y += `  - name: rule-${i}\n    condition: "tool_name == 'tool_${i}' && args.rows > ${i}"\n    action: ${i % 2 ? 'deny' : 'allow'}\n    priority: ${i % 10}\n`;
  }
  return y;
}

function peerConditionRules(n) {
  return Array.from({ length: n }, (_, i) => ({
    name: `rule-${i}`,
    condition: `tool_name == 'tool_${i}' and args.rows > ${i}`,
    ruleAction: i % 2 ? 'deny' : 'allow',
    priority: i % 10,
  }));
}

function peerConditionYaml(n) {
  let y = `name: bench-${n}\ndefault_action: deny\nrules:\n`;
  for (let i = 0; i < n; i++) {
    y += `  - name: rule-${i}\n    condition: "tool_name == 'tool_${i}' and args.rows > ${i}"\n    ruleAction: ${i % 2 ? 'deny' : 'allow'}\n    priority: ${i % 10}\n`;
  }
  return y;
}

function conditionFixtures(n) {
  const hit = n / 2; // a rule in the middle; even index => allow
  const request = { tool_name: `tool_${hit}`, action: { type: 'call' }, args: { rows: 5000 }, agent: { id: 'bench' } };
  const peerCtx = { tool_name: `tool_${hit}`, action: { type: 'call' }, args: { rows: 5000 } };

  const ours = PolicyEvaluator.fromYaml(oursConditionYaml(n));
  const peer = new PeerPolicyEngine();
  peer.loadPolicy({ name: `bench-${n}`, default_action: 'deny', rules: peerConditionRules(n) });

  // Both sides must reach the same, non-default answer before anything is timed.
  const d = ours.evaluate(request);
  const p = peer.evaluatePolicy('did:mesh:agent-1', peerCtx);
  if (!d.allowed || d.rule !== `rule-${hit}`) throw new Error(`ours: unexpected decision ${JSON.stringify({ verdict: d.verdict, rule: d.rule, reason: d.reason })}`);
  if (!p.allowed || p.matchedRule !== `rule-${hit}`) throw new Error(`peer: unexpected decision ${JSON.stringify(p)}`);
  return {
    ours: () => (ours.evaluate(request).allowed ? 1 : 0),
    peer: () => (peer.evaluatePolicy('did:mesh:agent-1', peerCtx).allowed ? 1 : 0),
  };
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

const rows = [];
const us = (ns) => ns / 1e3;

async function rowEvaluate(n, sampleN, peerN, targetUs) {
  progress(`evaluate, ${n} rules ...`);
  const f = conditionFixtures(n);
  const r = await pair({ ours: f.ours, peer: f.peer, n: sampleN, peerN, warm: 5000, peerWarm: Math.min(2000, peerN) });
  rows.push({
    what: `evaluate, ${n.toLocaleString('en-US')} rules w/ conditions`,
    ours: r.ours, peer: r.peer, by: 'p50',
    target: `p50 <= ${targetUs} us`,
    met: us(r.ours.p50Ns) <= targetUs,
  });
}

async function rowSimple() {
  progress('simple rule API, 100 glob rules ...');
  const rules = Array.from({ length: 99 }, (_, i) => ({ action: `ns${i}.*`, effect: 'deny' }));
  rules.push({ action: 'tools.*', effect: 'allow' });
  const ours = new PolicyEngine(rules);
  const peer = new PeerPolicyEngine(rules.map((x) => ({ ...x })));
  if (ours.evaluate('tools.web_search') !== 'allow' || peer.evaluate('tools.web_search') !== 'allow') throw new Error('simple API: expected allow');
  const r = await pair({
    ours: () => (ours.evaluate('tools.web_search') === 'allow' ? 1 : 0),
    peer: () => (peer.evaluate('tools.web_search') === 'allow' ? 1 : 0),
    n: 50_000, warm: 5000,
  });
  rows.push({
    what: 'simple API, 100 glob rules (last matches; ours memoized)',
    ours: r.ours, peer: r.peer, by: 'p50',
    target: 'faster than peer',
    met: r.ours.p50Ns < r.peer.p50Ns,
  });
}

async function rowGovern() {
  progress('govern() no-op tool ...');
  const noop = async (args) => (args ? 1 : 0);
  const evaluator = PolicyEvaluator.fromYaml(
    `${POLICY_HEADER}name: govern-bench\ndefault_action: deny\nrules:\n  - name: allow-noop\n    condition: "tool_name == 'noop'"\n    action: allow\n`,
  );
  const audit = new AuditLog();
  const governed = govern(noop, { policy: evaluator, name: 'noop', audit });

  const client = AgentMeshClient.create('bench-agent', {
    policyRules: [{ action: 'tool.*', effect: 'allow' }],
    audit: { maxEntries: Infinity },
  });
  const peerGoverned = async (args) => {
    const g = await client.executeWithGovernance('tool.noop', args);
    if (g.decision !== 'allow') throw new Error(`peer denied: ${g.decision}`);
    return noop(args);
  };
  const args = { q: 1 };
  if ((await governed(args)) !== 1 || (await peerGoverned(args)) !== 1) throw new Error('govern: expected the tool to run');

  const r = await pair({ ours: () => governed(args), peer: () => peerGoverned(args), n: 40_000, warm: 5000, async: true });
  if (!audit.verify().ok) throw new Error('ours: govern audit chain does not verify');
  rows.push({
    what: 'govern() no-op async tool, memory audit',
    ours: r.ours, peer: r.peer, by: 'p50',
    target: 'p50 <= 5 us, p99 <= 25 us',
    met: us(r.ours.p50Ns) <= 5 && us(r.ours.p99Ns) <= 25,
  });
}

async function rowAppend() {
  progress('audit append ...');
  const evaluator = PolicyEvaluator.fromYaml(oursConditionYaml(10, 'audit-bench'));
  const request = { tool_name: 'tool_4', action: { type: 'call' }, args: { table: 'users', rows: 5 }, agent: { id: 'bench' } };
  const decision = evaluator.evaluate(request);
  if (!decision.allowed) throw new Error('audit fixture: expected allow');
  const entry = { request, decision };
  const log = new AuditLog();
  const peerLog = new AuditLogger({ maxEntries: Infinity });
  const r = await pair({
    ours: () => log.append(entry).seq & 1,
    peer: () => (peerLog.log({ agentId: 'bench', action: 'tool_4', decision: 'allow' }), 1),
    n: 100_000, warm: 5000,
  });
  rows.push({
    what: 'audit append, hash-chained, memory',
    ours: r.ours, peer: r.peer, by: 'ops/s',
    target: '>= 500,000/s',
    met: r.ours.opsPerSec >= 500_000,
  });
}

async function rowVerify() {
  progress('verify 100,000 entries ...');
  const N = 100_000;
  const evaluator = PolicyEvaluator.fromYaml(oursConditionYaml(10, 'verify-bench'));
  const request = { tool_name: 'tool_4', action: { type: 'call' }, args: { table: 'users', rows: 5 }, agent: { id: 'bench' } };
  const decision = evaluator.evaluate(request);
  let log = new AuditLog();
  for (let i = 0; i < N; i++) log.append({ request, decision });
  let peerLog = new AuditLogger({ maxEntries: Infinity });
  for (let i = 0; i < N; i++) peerLog.log({ agentId: 'bench', action: `tool.call.${i}`, decision: 'allow' });
  gc();
  const r = await pair({
    ours: () => {
      const v = log.verify();
      if (!v.ok || v.entries !== N) throw new Error(`ours: verify failed ${JSON.stringify(v)}`);
      return v.entries;
    },
    peer: () => {
      if (peerLog.verify() !== true) throw new Error('peer: verify failed');
      return N;
    },
    n: 8, warm: 1, rounds: 2,
  });
  log = peerLog = null;
  gc();
  for (const side of [r.ours, r.peer]) side.opsPerSec *= N; // entries/s
  rows.push({
    what: 'verify 100,000 entries (ops/s = entries/s)',
    ours: r.ours, peer: r.peer, by: 'p50',
    target: 'p50 <= 100 ms',
    met: r.ours.p50Ns / 1e6 <= 100,
  });
}

async function rowLoad() {
  progress('load + compile 100-rule YAML ...');
  const oursYaml = oursConditionYaml(100, 'load-bench');
  const peerYaml = peerConditionYaml(100);
  const r = await pair({
    ours: () => PolicyEvaluator.fromYaml(oursYaml).policyNames.length,
    peer: () => {
      const e = new PeerPolicyEngine();
      e.loadYaml(peerYaml);
      return 1;
    },
    n: 200, warm: 20, rounds: 2,
  });
  rows.push({
    // The peer's loadYaml only parses (it interprets condition strings on every evaluation),
    // so its time is shown for reference, not as a like-for-like speed-up.
    what: 'load + compile 100-rule YAML policy (peer: loadYaml, parse only)',
    ours: r.ours, peer: r.peer, by: 'p50', refOnly: true,
    target: 'p50 <= 20 ms',
    met: r.ours.p50Ns / 1e6 <= 20,
  });
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function fmtTime(ns) {
  if (ns < 1e3) return `${(ns / 1e3).toFixed(2)} us`;
  if (ns < 1e5) return `${(ns / 1e3).toFixed(1)} us`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(0)} us`;
  return `${(ns / 1e6).toFixed(1)} ms`;
}

function fmtOps(x) {
  return Math.round(x).toLocaleString('en-US');
}

function speedup(row) {
  if (!row.peer) return null;
  return row.by === 'ops/s' ? row.ours.opsPerSec / row.peer.opsPerSec : row.peer.p50Ns / row.ours.p50Ns;
}

/** Section headings for rows that name one; a row without a section goes in the first table. */
const SECTION_TITLES = { 'worst cases': 'worst cases (hostile requests: decided or refused)' };

function table(env) {
  const out = [env];
  const main = rows.filter((r) => r.section === undefined);
  if (main.length) out.push('', tableOf(main));
  for (const section of new Set(rows.map((r) => r.section).filter((name) => name !== undefined))) {
    out.push('', `### ${SECTION_TITLES[section] ?? section}`, '', tableOf(rows.filter((r) => r.section === section)));
  }
  return out.join('\n');
}

function tableOf(rows) {
  const header = ['what', 'impl', 'ops/s', 'p50', 'p99', 'speed-up', 'target', 'met?'];
  const lines = [];
  for (const row of rows) {
    const s = speedup(row);
    lines.push([row.what, 'ours', fmtOps(row.ours.opsPerSec), fmtTime(row.ours.p50Ns), fmtTime(row.ours.p99Ns),
      s === null ? '' : row.refOnly ? 'n/a (ref.)' : `${s >= 10 ? s.toFixed(0) : s.toPrecision(2)}x (${row.by})`, row.target, row.met ? 'yes' : 'NO']);
    if (row.peer) {
      lines.push(['', row.peerLabel ?? 'peer', fmtOps(row.peer.opsPerSec), fmtTime(row.peer.p50Ns), fmtTime(row.peer.p99Ns), '', '', '']);
    }
  }
  const right = new Set([2, 3, 4, 5]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c].length)));
  const cell = (v, c) => (right.has(c) ? v.padStart(widths[c]) : v.padEnd(widths[c]));
  const fmt = (l) => `| ${l.map(cell).join(' | ')} |`;
  const sep = `|${widths.map((w, c) => (right.has(c) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [fmt(header), sep, ...lines.map(fmt)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

const cpus = os.cpus();
let peerVersion = '?';
try {
  peerVersion = JSON.parse(readFileSync(new URL('../node_modules/@microsoft/agent-governance-sdk/package.json', import.meta.url), 'utf8')).version;
} catch {
  // version is informational only
}
const env = {
  node: process.version,
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  platform: `${os.platform()} ${os.arch()}`,
  peer: `@microsoft/agent-governance-sdk@${peerVersion}`,
};

// Timer overhead: one back-to-back pair of hrtime.bigint() calls, as used per sample.
let overheadNs;
{
  const k = 200_000;
  const s = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const a = now();
    s[i] = Number(now() - a);
  }
  s.sort();
  overheadNs = s[k >> 1];
}

const started = Date.now();
progress(`${env.node}, ${env.cpu}, ${env.cores} cores — running (about two minutes) ...`);
// --adapters-only: just the framework adapter rows (they need no store and run in seconds).
const only = ['adapters', 'worst', 'identity', 'execution'].find((name) => process.argv.includes(`--${name}-only`)) ?? null;
if (only === null) {
  await rowEvaluate(100, 50_000, 5_000, 1);
  await rowEvaluate(1000, 50_000, 500, 2);
  await rowSimple();
  await rowGovern();
  await rowAppend();
  await rowVerify();
  await rowLoad();
  await storeRows({ pair, progress, gc, rows });
  await engineRows({ pair, progress, gc, rows });
}
if (only === null || only === 'adapters') await adapterRows({ pair, progress, gc, rows });
// Worst cases last: their inputs (100 MiB strings, 10^6-key objects) would leave garbage and a
// grown heap behind for the rows after them.
if (only === null || only === 'identity') {
  await identityProofRows({ pair, progress, gc, rows });
  await identityCredentialRows({ pair, progress, gc, rows });
  await identityExternalRows({ pair, progress, gc, rows });
  await identityKernelRows({ pair, progress, gc, rows });
  await identityHandoffRows({ pair, progress, gc, rows });
}
if (only === null || only === 'execution') {
  await executionRows({ pair, progress, gc, rows });
  await ringRows({ pair, progress, gc, rows });
  await scannerRows({ pair, progress, gc, rows });
  await lifecycleRows({ pair, progress, gc, rows });
  await scanLaunchRows({ pair, progress, gc, rows });
  await sagaRows({ pair, progress, gc, rows });
}
if (only === null || only === 'worst') {
  await worstRequestRows({ pair, progress, gc, rows });
  await worstCelRows({ pair, progress, gc, rows });
  await worstRegoRows({ pair, progress, gc, rows });
}
const elapsedS = (Date.now() - started) / 1000;
progress(`done in ${elapsedS.toFixed(1)} s`);

if (JSON_OUT) {
  const out = {
    env: { ...env, timerOverheadNs: overheadNs },
    rows: rows.map((r) => ({
      what: r.what,
      target: r.target,
      met: r.met,
      speedup: r.refOnly ? null : speedup(r),
      speedupBy: r.by,
      ours: r.ours,
      peer: r.peer,
      ...(r.overheadNs === undefined ? {} : { bare: r.bare, overheadNs: r.overheadNs }),
    })),
    checksum,
    elapsedS,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} else {
  const envLine = `node ${env.node} | ${env.cpu} | ${env.cores} cores | ${env.platform} | peer ${env.peer} | timer overhead ~${overheadNs} ns/sample`;
  process.stdout.write(`${table(envLine)}\n\nchecksum ${checksum} | ${rows.filter((r) => r.met).length}/${rows.length} targets met | ${elapsedS.toFixed(1)} s\n`);
}
