import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { govern } from '../../src/kernel/govern.js';
import { currentSignal } from '../../src/kernel/tool-signal.js';
import { waitUntil } from './waits.js';

const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: kill-races
default_action: allow
rules: []
`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const until = (check: () => boolean, ms = 5_000): Promise<void> => waitUntil(check, ms, 5);

describe('kill(): races', () => {
  it('a kill in the middle of a storm of calls: no result of a tool that finished after the kill began is delivered', async () => {
    const kernel = new Kernel({ policy, audit: new AuditLog() });
    let killing = false;
    const finishedAfterKill = new Set<number>();
    const calls = Array.from({ length: 300 }, (_, i) =>
      kernel.handle({ tool: 'step', args: { i }, agent: 'storm' }, async () => {
        await new Promise((r) => setTimeout(r, (i * 7) % 40)); // ignores the signal on purpose
        if (killing) finishedAfterKill.add(i);
        return i;
      }),
    );
    await new Promise((r) => setTimeout(r, 20));
    killing = true;
    const report = await kernel.kill('storm', { graceMs: 1_000 });
    const outcomes = await Promise.all(calls);
    const delivered = outcomes.flatMap((o) => (o.kind === 'output' ? [o.output as number] : []));
    expect(delivered.length).toBeGreaterThan(0); // some finished before the kill
    expect(delivered.filter((i) => finishedAfterKill.has(i))).toEqual([]);
    expect(outcomes.filter((o) => o.kind === 'refused').length).toBe(300 - delivered.length);
    expect(report.aborted).toBe(300 - delivered.length);
    expect(report.terminated).toBe(true); // the stragglers ended within the grace time
    expect(kernel.killSwitch.inFlight.size).toBe(0);
  });

  it('a governed tool that runs a real subprocess with its signal: the process is gone after the kill', async () => {
    const kernel = new Kernel({ policy, audit: false, agent: 'spawner' });
    let pid: number | undefined;
    const runScript = govern(
      async ({ seconds }: { seconds: number }) =>
        new Promise<number | null>((resolve, reject) => {
          const child = spawn('sleep', [String(seconds)], { signal: currentSignal(), killSignal: 'SIGKILL' });
          pid = child.pid;
          child.on('error', reject); // an abort surfaces here as an AbortError
          child.on('exit', resolve);
        }),
      { kernel, name: 'script' },
    );
    const call = runScript({ seconds: 300 });
    call.catch(() => undefined);
    await until(() => pid !== undefined && alive(pid));
    const report = await kernel.kill('spawner', { graceMs: 2_000 });
    expect(report).toMatchObject({ terminated: true, aborted: 1 });
    await expect(call).rejects.toThrow(GovernanceDenied);
    await until(() => !alive(pid as number));
  });

  it('a kill issued before the tool reads its signal: the signal it reads is already aborted', async () => {
    const kernel = new Kernel({ policy, audit: false });
    let read: AbortSignal | undefined;
    let release!: () => void;
    const call = kernel.handle({ tool: 'lazy', args: {}, agent: 'late-reader' }, async (_args, context) => {
      await new Promise<void>((r) => (release = r));
      read = context.signal; // first read after the kill
      return 'value';
    });
    await until(() => kernel.killSwitch.inFlight.size === 1);
    const kill = kernel.kill('late-reader', { graceMs: 1_000 });
    release();
    await kill;
    expect(read?.aborted).toBe(true);
    expect((await call).kind).toBe('refused');
  });
});
