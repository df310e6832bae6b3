import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sandboxAvailability } from '../../src/execution/sandbox/availability.js';
import { cgroupSupport, sandbox } from '../../src/execution/sandbox/index.js';
import { waitUntil, pidsWith } from './waits.js';

// The harshest kill there is: the governing process itself is killed with SIGKILL (no handler,
// no cleanup) while a governed sandboxed call runs. Nothing it started may outlive it.
const availability = sandboxAvailability();
const why = availability.available ? '' : `bubblewrap is missing on this machine (${availability.reason}); ${availability.fix}`;
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));


const until = (check: () => boolean, ms = 10_000): Promise<void> => waitUntil(check, ms, 20);

// bwrap's --die-with-parent usually takes the sandbox with its host, but not always: a sandbox
// whose host is SIGKILLed at the wrong moment can outlive it (seen about 3 runs in 5 here, as root
// through setpriv). Where the run has a cgroup of its own, the next sandbox start on the machine
// kills what a dead host left there; that is what this test holds the sandbox to.
const swept = cgroupSupport().applied;

describe.skipIf(!availability.available || !swept)(`kill -9 of the governing process ${why}`, () => {
  it('takes the sandboxed call and the children it forked with it', async () => {
    const mark = `${5000 + randomInt(1000)}.${randomInt(100_000, 999_999)}`;
    // A real second process: a kernel, a governed sandbox tool, a call that forks and sleeps.
    const script = `
      const { PolicyEvaluator } = await import(${JSON.stringify(`${dist}index.js`)});
      const { sandboxTool } = await import(${JSON.stringify(`${dist}kernel/sandbox-tool.js`)});
      const policy = PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\\nname: p\\ndefault_action: allow\\nrules: []\\n');
      const run = sandboxTool({ policy, audit: false, agent: 'doomed', profile: 'ring3' });
      await run({ command: ['sh', '-c', 'sleep ${mark}1 & sleep ${mark}2'], timeoutMs: 60000 });
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    try {
      await until(() => pidsWith(`sleep ${mark}`).length >= 2);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // The next sandbox start (here, in this process) ends what the dead host left behind.
      await sandbox.run({ command: ['true'] });
      await until(() => pidsWith(`sleep ${mark}`).length === 0, 5_000);
      expect(pidsWith(`sleep ${mark}`)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
