import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { AuditLog } from '../audit/audit-log.js';
import type { AuditEntry } from '../audit/entry.js';
import type { AuditRecord, AuditSink } from '../audit/sink.js';
import type { SqliteAuditSink } from '../audit/sqlite-sink.js';
import { openStoreReadOnly, verifySqliteStore } from '../audit/sqlite-verify.js';
import { GovernanceDenied } from '../core/errors.js';
import { identitySteps } from './demo-identity.js';
import { DEMO_AGENT, demoDeployment, killFromOutside } from './demo-kill.js';
import { DEMO_POLICY, DEMO_STEPS, DEMO_TOOLS, demoApprover } from './demo-scenario.js';
import { EXIT, UsageError } from './errors.js';
import { formatVerdict, paint, useColor } from './output.js';
import { requireFileOrNothing } from './paths.js';
import { checkWritableStore, openWritableStore, storeOption } from './store.js';

interface DemoOptions {
  store: string;
  delay?: number;
  json?: boolean;
}

/** `agt demo`: a governed agent at work on embedded defaults, its audit verified at the end. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('watch a governed support agent work: allowed, denied, rate-limited, approved, redacted, forged and replayed')
    .addOption(storeOption())
    .option('--delay <ms>', 'pause between steps (default 150 on a terminal, 0 otherwise)', (value) => Number.parseInt(value, 10))
    .option('--json', 'one JSON object per step, then a summary object')
    .addHelpText(
      'after',
      `
The demo writes its policy to demo-policy.yaml beside the store, governs five tools with it,
runs a scripted plan, appends every decision to the SQLite audit store, and verifies it. Its
last steps prove each call with a signed envelope: a forged signature, an argument changed after
signing and a replayed call are denied with their identity: reasons.

Examples:
  agt demo
  agt demo --store /tmp/demo/audit.db && agt audit verify --store /tmp/demo/audit.db`,
    )
    .action(async (options: DemoOptions) => {
      process.exitCode = await runDemo(options);
    });
}

async function runDemo(options: DemoOptions): Promise<number> {
  const color = useColor(process.stdout);
  const delay = options.json ? 0 : (options.delay ?? (process.stdout.isTTY ? 150 : 0));
  // The readable table, or (with --json) nothing but one JSON object per step and a summary.
  const out = options.json ? () => {} : (line = '') => process.stdout.write(line + '\n');
  const emit = (value: object) => options.json && process.stdout.write(JSON.stringify(value) + '\n');

  const policyPath = writeDemoPolicy(options.store);
  const [{ govern }, { loadPoliciesSync }] = await Promise.all([import('../kernel/govern.js'), import('../policy/index.js')]);
  const evaluator = loadPoliciesSync(policyPath);
  const tap = new TapSink(openWritableStore(options.store));
  const audit = new AuditLog({ sink: tap });
  const startSeq = audit.length;

  const approvals = async (request: { args?: unknown }) => {
    const answer = demoApprover((request.args ?? {}) as Record<string, unknown>);
    tap.note = `approver (support-lead) ${answer}`;
    return answer;
  };
  // The agent's standing lives in a state store another process can write (the kill scene).
  const deployment = demoDeployment(options.store, audit);
  const tools = Object.fromEntries(
    Object.entries(DEMO_TOOLS).map(([name, fn]) => [name, govern(fn as (args: Record<string, unknown>) => Promise<unknown>, { policy: evaluator, audit, agent: DEMO_AGENT, name, approvals, lifecycle: deployment.lifecycle })]),
  );

  out(paint(`agt demo: a support agent under policy support-agent-demo (${policyPath})`, 'cyan', color));
  out(paint('every tool call is decided before it runs and recorded in the audit store\n', 'dim', color));
  out(`${'#'.padStart(3)}  ${'the agent wants to'.padEnd(38)} ${'tool'.padEnd(7)} ${'decision'.padEnd(16)} ${'rule'.padEnd(22)} what happened`);
  out('-'.repeat(120));

  const governed: Step[] = DEMO_STEPS.map((step) => ({
    intent: step.intent,
    tool: step.tool,
    run: async () => {
      try {
        const result = await (tools[step.tool] as (args: Record<string, unknown>) => Promise<unknown>)(step.args);
        return `ran → ${JSON.stringify(result)}`;
      } catch (error) {
        if (!(error instanceof GovernanceDenied)) throw error;
        return `blocked: ${error.decision.reason}`;
      }
    },
  }));
  // Then the same agent under zero-trust identity: every call signed, forged and replayed ones refused.
  const proven = await identitySteps(evaluator, audit);
  // Last, an operator in another terminal kills the agent: its very next call is refused.
  const killScene: Step[] = [
    { intent: 'operator elsewhere: agt agent kill', tool: '-', label: 'killed', run: () => killFromOutside(deployment) },
    { intent: 'read the customer record again', tool: 'crm', run: (governed[1] as Step).run },
  ];
  const steps: Step[] = [...governed, ...proven, ...killScene];
  const counts = new Map<string, number>();
  for (const [i, step] of steps.entries()) {
    tap.taken = [];
    tap.note = '';
    if (i === governed.length) out(paint('-- the same agent, now proving every call: a signed envelope per call (zero-trust identity)', 'dim', color));
    if (i === governed.length + proven.length) out(paint(`-- an operator kills the agent from another process (${deployment.configPath}); its next call is refused`, 'dim', color));
    const outcome = await step.run();
    // The deciding entry: the last pre-tool one (after an approval, its outcome), and a post-tool transform if any.
    const decided = tap.taken.filter((entry) => entry.stage === 'pre_tool').at(-1);
    const post = tap.taken.find((entry) => entry.stage === 'post_tool' && entry.verdict !== 'allow');
    const shown = post ?? decided;
    const verdict = tap.taken.some((entry) => entry.verdict === 'require_approval') ? (decided?.verdict === 'allow' ? 'approved' : 'approval denied') : shown?.verdict ?? '-';
    const label = step.label ?? (tap.taken.find((entry) => entry.rule !== null && entry.verdict === 'deny' && entry.reason.toLowerCase().includes('rate limit')) ? 'rate-limited' : verdict);
    counts.set(label, (counts.get(label) ?? 0) + 1);
    const rule = tap.taken.map((entry) => entry.rule).filter((name): name is string => name !== null).at(-1) ?? '-';
    emit({ step: i + 1, intent: step.intent, tool: step.tool, decision: label, rule: rule === '-' ? null : rule, approval: tap.note || null, outcome, entries: tap.taken.map((entry) => entry.seq) });
    out(`${String(i + 1).padStart(3)}  ${step.intent.padEnd(38)} ${step.tool.padEnd(7)} ${formatVerdict(label as AuditEntry['verdict'], color)} ${rule.padEnd(22)} ${clip(tap.note ? `${tap.note}; ${outcome}` : outcome, 70)}`);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }

  deployment.lifecycle.close();
  audit.close();
  const db = openStoreReadOnly(options.store);
  const check = verifySqliteStore(db);
  db.close();
  emit({ summary: Object.fromEntries(counts), store: options.store, appended: audit.length - startSeq, entries: audit.length, verified: check.ok, checkpoints: check.checkpoints, reason: check.reason });

  out('-'.repeat(120));
  out(`summary: ${[...counts].map(([label, n]) => `${n} ${label}`).join(', ')}`);
  out(`audit:   ${audit.length - startSeq} entries appended to ${options.store} (now ${audit.length}); chain, Merkle roots and ${check.checkpoints} signed checkpoints ${check.ok ? paint('verified', 'green', color) : paint(`BROKEN: ${check.reason}`, 'red', color)}`);
  out(`next:    agt audit tail --store ${options.store}   ·   agt audit verify --store ${options.store}   ·   agt init`);
  return check.ok ? EXIT.ok : EXIT.failed;
}

/** Writes the demo's policy beside the store, once the store and the policy's place are known to be usable. */
function writeDemoPolicy(store: string): string {
  checkWritableStore(store);
  const policyPath = join(dirname(store), 'demo-policy.yaml');
  // A FIFO there would block the write until something reads it.
  requireFileOrNothing(policyPath, 'the demo policy', 'move it away, or give --store a path in another folder');
  try {
    mkdirSync(dirname(store), { recursive: true });
    writeFileSync(policyPath, DEMO_POLICY);
  } catch (error) {
    throw new UsageError(`cannot write ${policyPath} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}); give --store a path in a folder you can write`);
  }
  return policyPath;
}

/** One row of the demo: what the agent (or operator) does, and a fixed label when no decision names it. */
interface Step {
  intent: string;
  tool: string;
  label?: string;
  run: () => Promise<string>;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : text.slice(0, width - 1) + '…';
}

/** Passes entries through to the real store and keeps the ones of the current step for display. */
class TapSink implements AuditSink {
  taken: AuditEntry[] = [];
  note = '';

  constructor(private readonly inner: SqliteAuditSink) {}

  append(record: AuditRecord): void {
    this.inner.append(record);
    this.taken.push(record.entry);
  }
  durable(): Promise<void> | null {
    return this.inner.durable();
  }
  last(): AuditEntry | null {
    return this.inner.last();
  }
  read(): Iterable<unknown> {
    return this.inner.read();
  }
  verify() {
    return this.inner.verify();
  }
  flush(): void {
    this.inner.flush();
  }
  close(): void {
    this.inner.close();
  }
}
