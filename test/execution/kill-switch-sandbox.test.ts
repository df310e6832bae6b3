import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { sandboxTool } from '../../src/kernel/sandbox-tool.js';
import { sandboxAvailability } from '../../src/execution/sandbox/availability.js';
import { waitUntil, pidsWith } from './waits.js';

// The real bubblewrap and real processes: after a kill, the host's process table is read to
// prove that nothing the sandboxed call started is left, children and orphans included.
const availability = sandboxAvailability();
const why = availability.available ? '' : `bubblewrap is missing on this machine (${availability.reason}); ${availability.fix}`;

const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: kill-sandbox
default_action: allow
rules: []
`);


const until = (check: () => boolean, ms = 10_000): Promise<void> => waitUntil(check, ms, 20);

/** A sleep duration no other process on the machine is running: the marker of this test's processes. */
function marker(): string {
  return `${4000 + randomInt(1000)}.${randomInt(100_000, 999_999)}`;
}

describe.skipIf(!availability.available)(`kill(): sandboxed calls ${why}`, () => {
  it('SIGKILLs a sandboxed sleep: the call is refused and the process is gone', async () => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy, audit, agent: 'sbx-1' });
    const run = sandboxTool({ kernel, profile: 'ring3' });
    const mark = marker();
    const call = run({ command: ['sleep', mark], timeoutMs: 60_000 });
    call.catch(() => undefined); // asserted below, once the kill is done
    await until(() => pidsWith(mark).length > 0);
    const report = await kernel.kill('sbx-1', { reason: 'test', graceMs: 5_000 });
    expect(report).toMatchObject({ terminated: true, aborted: 1, stillRunning: [] });
    await expect(call).rejects.toThrow(GovernanceDenied);
    await expect(call).rejects.toThrow(/lifecycle:terminated/);
    expect(pidsWith(mark)).toEqual([]);
  });

  it('a process that forks children and lets their parent exit: every one is gone after the kill', async () => {
    const kernel = new Kernel({ policy, audit: false, agent: 'sbx-2' });
    const run = sandboxTool({ kernel, profile: 'ring3' });
    const mark = marker();
    // The middle shell starts two sleeps in the background and exits at once: they are orphans,
    // reparented inside the sandbox, while the outer command keeps the call running.
    const script = `sh -c 'sleep ${mark}1 & sleep ${mark}2 & exit 0'; sleep ${mark}3`;
    const call = run({ command: ['sh', '-c', script], timeoutMs: 60_000 });
    call.catch(() => undefined);
    await until(() => pidsWith(`sleep ${mark}`).length >= 3);
    const report = await kernel.kill('sbx-2', { graceMs: 5_000 });
    expect(report.terminated).toBe(true);
    await expect(call).rejects.toThrow(/lifecycle:terminated/);
    expect(pidsWith(`sleep ${mark}`)).toEqual([]);
  });

  it('a kill before the sandbox starts: bubblewrap is never launched', async () => {
    const kernel = new Kernel({ policy, audit: false, agent: 'sbx-3' });
    const run = sandboxTool({ kernel, profile: 'ring3' });
    await kernel.kill('sbx-3');
    const mark = marker();
    await expect(run({ command: ['sleep', mark] })).rejects.toThrow(/lifecycle:terminated/);
    expect(pidsWith(mark)).toEqual([]);
  });
});
