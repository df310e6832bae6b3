import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { GovernanceConfigError, GovernanceDenied } from '../../src/core/errors.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { govern } from '../../src/kernel/govern.js';
import { currentSignal } from '../../src/kernel/tool-signal.js';
import { AgentTerminatedError } from '../../src/execution/in-flight.js';
import { waitUntil } from './waits.js';
import { Lifecycle } from '../../src/execution/lifecycle/lifecycle.js';

// A real policy, a real kernel and a real audit log: what the kill switch stops is what the
// kernel runs. `post_tool` has a rule, so a result that were delivered would be decided (and
// recorded) at post_tool as allowed: the late result of a killed call must never be.
const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: kill-switch
default_action: allow
rules:
  - name: approve-payments
    condition: "tool_name == 'pay'"
    action: require_approval
    stage: pre_tool
  - name: results-pass
    condition: "true"
    action: allow
    stage: post_tool
`);

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A kernel of its own per test; `agent` is whom govern()'s tools act for (govern() with a kernel takes the kernel's). */
function setup(agent?: string): { kernel: Kernel; audit: AuditLog } {
  const audit = new AuditLog();
  return { kernel: new Kernel({ policy, audit, ...(agent ? { agent } : {}) }), audit };
}

/** A promise and the function that resolves it. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Waits until `check` holds (polling the event loop), or fails the test after `ms`. */
const until = (check: () => boolean, ms = 2_000): Promise<void> => waitUntil(check, ms, 5);

describe('kill(): calls in flight', () => {
  it('aborts a tool awaiting a long promise with its signal; the caller is refused with lifecycle:terminated', async () => {
    const { kernel, audit } = setup('agent-a');
    let seen: unknown;
    const slow = govern(
      async ({ ms }: { ms: number }) =>
        new Promise((resolve, reject) => {
          const signal = currentSignal() as AbortSignal;
          const timer = setTimeout(() => resolve('finished'), ms);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            seen = signal.reason;
            reject(signal.reason as Error);
          });
        }),
      { kernel, name: 'slow' },
    );
    const call = slow({ ms: 60_000 });
    call.catch(() => undefined); // asserted below, once the kill is done
    await until(() => kernel.killSwitch.inFlight.size === 1);
    const report = await kernel.kill('agent-a', { reason: 'runaway', by: 'oncall', graceMs: 1_000 });
    await expect(call).rejects.toThrow(GovernanceDenied);
    await expect(call).rejects.toThrow(/lifecycle:terminated: agent 'agent-a' was killed while this call ran/);
    expect(seen).toBeInstanceOf(AgentTerminatedError);
    expect(report).toEqual({ agentId: 'agent-a', reason: 'runaway', by: 'oncall', terminated: true, aborted: 1, approvalsRejected: 0, approvalsFailed: 0, compensations: [], stillRunning: [] });
    expect(kernel.killSwitch.inFlight.size).toBe(0);
    // Recorded: the lifecycle's move to terminated (a `log` entry of its own), and the allowed
    // call, its refusal at post_tool (never an allowed result), the kill.
    expect(audit.entries().filter((e) => e.verdict === 'log').map((e) => [e.stage, e.agent])).toEqual([['agent_shutdown', 'agent-a']]);
    expect(audit.entries().filter((e) => e.verdict !== 'log').map((e) => [e.stage, e.verdict, e.rule])).toEqual([
      ['pre_tool', 'allow', null],
      ['post_tool', 'deny', 'kill-switch'],
      ['agent_shutdown', 'deny', 'kill-switch'],
    ]);
    const record = audit.entries().find((e) => e.rule === 'kill-switch' && e.stage === 'agent_shutdown')!;
    expect(record.agent).toBe('agent-a');
    expect(record.reason).toContain("killed by 'oncall' (runaway)");
    expect(JSON.parse(record.reason.slice(record.reason.indexOf('report ') + 7))).toMatchObject({ terminated: true, aborted: 1 });
  });

  it('a tool that ignores its signal is reported still running, and its late result is never delivered', async () => {
    const { kernel, audit } = setup();
    const release = deferred<string>();
    let finished = false;
    const stubborn = async (): Promise<string> => {
      const value = await release.promise; // never looks at any signal
      finished = true;
      return value;
    };
    const outcome = kernel.handle({ tool: 'export', args: { table: 'users' }, agent: 'agent-b', callId: 'call-7' }, stubborn);
    await until(() => kernel.killSwitch.inFlight.size === 1);
    const report = await kernel.kill('agent-b', { graceMs: 50 });
    expect(report.terminated).toBe(false);
    expect(report.aborted).toBe(1);
    expect(report.stillRunning).toEqual([{ callId: 'call-7', tool: 'export', since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }]);
    // The caller is answered at once, not when the tool decides to end.
    const answered = await outcome;
    expect(answered).toMatchObject({ kind: 'refused', refusal: { reason: expect.stringMatching(/^lifecycle:terminated: /) } });
    expect(finished).toBe(false);
    release.resolve('all the users');
    await until(() => finished && kernel.killSwitch.inFlight.size === 0);
    // The late result reached no one: no post_tool decision allowed it.
    expect(audit.entries().filter((e) => e.stage === 'post_tool').map((e) => [e.verdict, e.rule])).toEqual([['deny', 'kill-switch']]);
    // A second kill now finds nothing running.
    expect((await kernel.kill('agent-b')).terminated).toBe(true);
  });

  it('a tool that throws its own error on abort is still refused as terminated, not reported as a tool failure', async () => {
    const { kernel } = setup();
    const outcome = kernel.handle({ tool: 'fetch', args: {}, agent: 'agent-c' }, (_args, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('socket closed')))));
    await until(() => kernel.killSwitch.inFlight.size === 1);
    await kernel.kill('agent-c');
    expect(await outcome).toMatchObject({ kind: 'refused', refusal: { reason: expect.stringMatching(/^lifecycle:terminated/) } });
  });

  it('only the killed agent is stopped: look-alike ids keep running', async () => {
    const { kernel } = setup();
    const signals = new Map<string, AbortSignal>();
    const gate = deferred();
    const run = (id: string) => kernel.handle({ tool: 'work', args: {}, agent: id }, async (_args, { signal }) => {
      signals.set(id, signal);
      await gate.promise;
      return id;
    });
    const ids = ['agent-d', 'agent-d ', 'Agent-d', 'agent-d2', 'agent-'];
    const outcomes = ids.map(run);
    await until(() => signals.size === ids.length);
    await kernel.kill('agent-d', { graceMs: 0 });
    expect([...signals].filter(([, signal]) => signal.aborted).map(([id]) => id)).toEqual(['agent-d']);
    gate.resolve();
    const kinds = await Promise.all(outcomes);
    expect(kinds.map((o) => o.kind)).toEqual(['refused', 'output', 'output', 'output', 'output']);
  });

  it('govern() never adds an argument: a positional tool with optional parameters gets exactly its own, and reads the signal from context', async () => {
    const { kernel } = setup();
    let received: unknown[] = [];
    let signal: AbortSignal | undefined;
    const add = govern(
      async function add(a: number, b?: number): Promise<number> {
        // eslint-disable-next-line prefer-rest-params -- the very arguments the tool was called with
        received = [...arguments];
        await Promise.resolve();
        signal = currentSignal(); // still the call's signal after an await
        return a + (b ?? 0);
      },
      { kernel },
    );
    expect(await add(2)).toBe(2);
    expect(received).toEqual([2]);
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal?.aborted).toBe(false);
    expect(currentSignal()).toBeUndefined(); // outside a governed call
  });
});

describe('kill(): kernels that share a lifecycle', () => {
  it('a kill the lifecycle records aborts the calls in flight of every kernel given that lifecycle, each kill switch joined once', async () => {
    const lifecycle = new Lifecycle({});
    const one = new Kernel({ policy, audit: new AuditLog(), lifecycle });
    const two = new Kernel({ policy, audit: new AuditLog(), lifecycle });
    const again = new Kernel({ policy, audit: false, lifecycle, killSwitch: one.killSwitch });
    const never = (_args: unknown, { signal }: { signal: AbortSignal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    const calls = [one.handle({ tool: 'a', args: {}, agent: 'shared-bot' }, never), two.handle({ tool: 'b', args: {}, agent: 'shared-bot' }, never)];
    await until(() => one.killSwitch.inFlight.size === 1 && two.killSwitch.inFlight.size === 1);
    const killed = await lifecycle.kill('shared-bot', { reason: 'drill', by: 'sre' });
    expect(killed.ok).toBe(true);
    expect((await Promise.all(calls)).map((o) => o.kind)).toEqual(['refused', 'refused']);
    expect(one.killSwitch.inFlight.size + two.killSwitch.inFlight.size).toBe(0);
    // One kill record per kill switch, though three kernels were built on the two of them.
    await until(() => [one, two].every((k) => k.audit!.entries().some((e) => e.rule === 'kill-switch' && e.stage === 'agent_shutdown')));
    expect(one.audit!.entries().filter((e) => e.rule === 'kill-switch' && e.stage === 'agent_shutdown')).toHaveLength(1);
    expect(again.killSwitch).toBe(one.killSwitch);
    lifecycle.close();
  });
});

describe('kill(): what comes after it', () => {
  it('denies every further call of the agent, at every point, with the standing step', async () => {
    const { kernel } = setup();
    let ran = 0;
    await kernel.kill('agent-f');
    const outcome = await kernel.handle({ tool: 'read', args: {}, agent: 'agent-f' }, () => ran++);
    // The lifecycle (the kernel's own, in memory here) says since when and by whom.
    expect(outcome).toMatchObject({ kind: 'refused', decision: { diagnostics: { step: 'standing' } }, refusal: { reason: expect.stringMatching(/^lifecycle:terminated: agent agent-f is terminated since .*; terminated is final$/) } });
    expect((await kernel.handle({ point: 'pre_input', content: 'hello', agent: 'agent-f' })).kind).toBe('refused');
    expect(ran).toBe(0);
    expect(kernel.killSwitch.isKilled('agent-f')).toBe(true);
    expect(kernel.lifecycle?.stateOf('agent-f')?.state).toBe('terminated');
    // Without a lifecycle, the kill switch's own memory of the kill is the standing step.
    const bare = new Kernel({ policy, audit: false, lifecycle: false });
    await bare.kill('agent-f');
    expect(await bare.handle({ tool: 'read', args: {}, agent: 'agent-f' }, () => ran++)).toMatchObject({ kind: 'refused', decision: { rule: 'kill-switch', diagnostics: { step: 'standing' } }, refusal: { reason: "lifecycle:terminated: agent 'agent-f' was killed; it may not act" } });
    expect(ran).toBe(0);
  });

  it('a call decided before the kill and held for its run (decide now, run later) does not run after it', async () => {
    const { kernel } = setup();
    const decided = await kernel.handle({ tool: 'read', args: { id: 1 }, agent: 'agent-g', callId: 'c-1' }, undefined, { hold: true });
    expect(decided.kind).toBe('run');
    await kernel.kill('agent-g');
    let ran = false;
    const outcome = await kernel.handle({ tool: 'read', args: { id: 1 }, agent: 'agent-g', callId: 'c-1' }, () => (ran = true));
    expect(outcome).toMatchObject({ kind: 'refused', refusal: { reason: expect.stringMatching(/^lifecycle:terminated/) } });
    expect(ran).toBe(false);
  });

  it('a cleared call handed to a framework is refused when the framework runs it after the kill', async () => {
    const { kernel } = setup();
    const cleared = await kernel.handle({ tool: 'read', args: {}, agent: 'agent-h' });
    if (cleared.kind !== 'run') throw new Error('expected a cleared call');
    await kernel.kill('agent-h');
    let ran = false;
    expect(await kernel.runCleared(cleared, () => (ran = true))).toMatchObject({ kind: 'refused', decision: { stage: 'pre_tool', rule: 'kill-switch' } });
    expect(ran).toBe(false);
  });
});

describe('kill(): pending approvals', () => {
  it('rejects an approval waiting for a human; a human who approves afterwards approves nothing, and the tool never runs', async () => {
    const { kernel, audit } = setup();
    const held = await kernel.handle({ tool: 'pay', args: { amount: 900 }, agent: 'agent-i', callId: 'pay-1' });
    expect(held.kind).toBe('approval');
    // Another agent's approval is not touched.
    expect((await kernel.handle({ tool: 'pay', args: { amount: 5 }, agent: 'agent-j', callId: 'pay-2' })).kind).toBe('approval');
    const report = await kernel.kill('agent-i', { reason: 'fraud' });
    expect(report).toMatchObject({ terminated: true, approvalsRejected: 1, approvalsFailed: 0 });
    expect(audit.entries().find((e) => e.reason.startsWith('agent killed'))).toMatchObject({ verdict: 'deny', reason: 'agent killed: fraud' });
    const late = await kernel.settle('pay-1', true, 'looks fine');
    expect(late).toMatchObject({ kind: 'refused' });
    let ran = false;
    const run = await kernel.handle({ tool: 'pay', args: { amount: 900 }, agent: 'agent-i', callId: 'pay-1' }, () => (ran = true));
    expect(run.kind).toBe('refused');
    expect(ran).toBe(false);
    expect(kernel.held.waiting('pay-2')).toBeDefined();
  });

  it('an approval the kernel is asking its handler for is answered denied at once; a later yes runs nothing', async () => {
    const answer = deferred<'approved'>();
    const asked = deferred();
    const kernel = new Kernel({ policy, audit: false, approvals: () => (asked.resolve(), answer.promise) });
    let ran = false;
    const outcome = kernel.handle({ tool: 'pay', args: { amount: 1 }, agent: 'agent-k' }, () => (ran = true));
    await asked.promise;
    const report = await kernel.kill('agent-k', { reason: 'stop' });
    expect(report).toMatchObject({ terminated: true, approvalsRejected: 1 });
    // Answered without waiting for the handler.
    expect(await outcome).toMatchObject({ kind: 'refused', refusal: { reason: 'agent killed: stop' } });
    answer.resolve('approved');
    await new Promise((r) => setTimeout(r, 10));
    expect(ran).toBe(false);
  });

  it('an approval put to the handler through ask() (an adapter running the approval) is rejected once, and ask() answers with the refusal', async () => {
    const answer = deferred<'approved'>();
    const kernel = new Kernel({ policy, audit: false, approvals: () => answer.promise });
    const held = await kernel.handle({ tool: 'pay', args: { amount: 3 }, agent: 'agent-k2', callId: 'ask-1' });
    if (held.kind !== 'approval') throw new Error('expected an approval');
    const asking = kernel.ask(held);
    const report = await kernel.kill('agent-k2', { reason: 'stop' });
    expect(report.approvalsRejected).toBe(1);
    expect(await asking).toMatchObject({ kind: 'refused', refusal: { reason: 'agent killed: stop' } });
    answer.resolve('approved');
    let ran = false;
    expect((await kernel.handle({ tool: 'pay', args: { amount: 3 }, agent: 'agent-k2', callId: 'ask-1' }, () => (ran = true))).kind).toBe('refused');
    expect(ran).toBe(false);
  });
});

describe('kill(): compensations', () => {
  it('runs them newest first, each with a timeout: done, failed and timed_out are reported, and terminated is false', async () => {
    const { kernel } = setup();
    const order: string[] = [];
    let hangingSignal: AbortSignal | undefined;
    kernel.killSwitch.compensations.register('agent-l', 'refund', async () => void order.push('refund'));
    kernel.killSwitch.compensations.register('agent-l', 'release-lock', () => {
      order.push('release-lock');
      throw new Error('lock service down');
    });
    kernel.killSwitch.compensations.register('agent-l', 'delete-draft', (signal) => {
      order.push('delete-draft');
      hangingSignal = signal;
      return new Promise(() => undefined); // never settles
    });
    const unregister = kernel.killSwitch.compensations.register('agent-l', 'not-needed', () => void order.push('not-needed'));
    unregister();
    const started = Date.now();
    const report = await kernel.kill('agent-l', { compensationTimeoutMs: 100 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(order).toEqual(['delete-draft', 'release-lock', 'refund']);
    expect(report.compensations).toEqual([
      { name: 'delete-draft', outcome: 'timed_out', error: 'did not finish within 100 ms' },
      { name: 'release-lock', outcome: 'failed', error: 'lock service down' },
      { name: 'refund', outcome: 'done' },
    ]);
    expect(hangingSignal?.aborted).toBe(true);
    expect(report.terminated).toBe(false);
    // Each runs once: a second kill has none left.
    expect((await kernel.kill('agent-l')).compensations).toEqual([]);
  });

  it('bad registrations are configuration errors that say what to pass', () => {
    const { compensations } = setup().kernel.killSwitch;
    expect(() => compensations.register('', 'x', async () => undefined)).toThrow(GovernanceConfigError);
    expect(() => compensations.register('a', '', async () => undefined)).toThrow(/name must be a non-empty string/);
    expect(() => compensations.register('a', 'x', 'rm -rf' as never)).toThrow(/compensate must be a function/);
  });
});

describe('kill(): the report and its edges', () => {
  it('an agent with nothing in flight is terminated at once', async () => {
    const { kernel } = setup();
    expect(await kernel.kill('idle-agent')).toMatchObject({ terminated: true, aborted: 0, approvalsRejected: 0, compensations: [], stillRunning: [] });
  });

  it('concurrent kills of one agent are one kill: the same report, recorded once', async () => {
    const { kernel, audit } = setup();
    const gate = deferred();
    const outcome = kernel.handle({ tool: 'work', args: {}, agent: 'agent-m' }, () => gate.promise);
    await until(() => kernel.killSwitch.inFlight.size === 1);
    const kills = [kernel.kill('agent-m', { graceMs: 100 }), kernel.kill('agent-m', { graceMs: 100 }), kernel.kill('agent-m', { graceMs: 100 })];
    const reports = await Promise.all(kills);
    expect(reports[1]).toBe(reports[0]);
    expect(reports[2]).toBe(reports[0]);
    expect(reports[0]?.aborted).toBe(1);
    expect(audit.entries().filter((e) => e.stage === 'agent_shutdown' && e.rule === 'kill-switch')).toHaveLength(1);
    gate.resolve();
    expect((await outcome).kind).toBe('refused');
  });

  it('bad ids and options are refused before anything is done', async () => {
    const { kernel } = setup();
    expect(() => kernel.kill('')).toThrow(GovernanceConfigError);
    expect(() => kernel.kill('  ')).toThrow(/agentId must be the agent's id/);
    expect(() => kernel.kill(42 as never)).toThrow(/got number/);
    for (const graceMs of [-1, Number.NaN, Number.POSITIVE_INFINITY, 10 ** 9, '100']) {
      expect(() => kernel.kill('x', { graceMs: graceMs as number })).toThrow(/options.graceMs must be a number of milliseconds from 0 to 600000/);
    }
    expect(() => kernel.kill('x', { compensationTimeoutMs: -5 })).toThrow(/compensationTimeoutMs/);
    expect(() => kernel.kill('x', { reason: '' })).toThrow(/reason must be a non-empty string/);
    expect(() => kernel.kill('x', null as never)).toThrow(/options must be an object/);
    expect(kernel.killSwitch.isKilled('x')).toBe(false);
  });

  it('a kill the audit store cannot record is not reported terminated (a closed SQLite store)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agt-kill-'));
    dirs.push(dir);
    const audit = new AuditLog({ sink: new SqliteAuditSink({ path: join(dir, 'audit.db') }) });
    const kernel = new Kernel({ policy, audit });
    audit.close();
    const report = await kernel.kill('agent-n');
    expect(report.terminated).toBe(false);
    // Still killed: an unrecorded kill stops the agent all the same (fail closed).
    expect((await kernel.handle({ tool: 'read', args: {}, agent: 'agent-n' }, () => 1)).kind).toBe('refused');
  });
});
