import { describe, expect, it } from 'vitest';
import { sandbox, type SandboxResult } from '../../../src/execution/sandbox/index.js';
import { leftoversAfter } from './sandbox-processes.js';

// The kill switch's hook: aborting a run's signal SIGKILLs everything it started, at once.

describe('sandbox runs under an AbortSignal', () => {
  it('aborting kills the run and everything it spawned', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = sandbox.run({ language: 'bash', code: 'sleep 60 & (setsid sleep 60 &); echo started; sleep 60', timeoutMs: 30_000 }, {
      signal: controller.signal,
      onStdout: () => controller.abort(),
    });
    const result = (await run) as SandboxResult;
    expect(result).toMatchObject({ outcome: 'ran', signal: 'SIGKILL', timedOut: false, stdout: 'started\n' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await leftoversAfter()).toEqual([]);
  });

  it('a signal aborted before the run starts kills it at once', async () => {
    const result = (await sandbox.run({ command: ['sleep', '60'] }, { signal: AbortSignal.abort() })) as SandboxResult;
    expect(result).toMatchObject({ outcome: 'ran', signal: 'SIGKILL' });
  });

  it('concurrent runs cannot see or signal each other', async () => {
    const [a, b] = await Promise.all([
      sandbox.run({ language: 'bash', code: 'ls /proc | grep -c "^[0-9]"; sleep 0.3' }),
      sandbox.run({ language: 'bash', code: 'kill -9 -1 2>/dev/null; sleep 0.3; echo alive' }),
    ]);
    expect(a).toMatchObject({ outcome: 'ran', exitCode: 0 });
    // Each run sees only its own PID namespace: the init, the shell and the ls/grep pipeline.
    expect(Number((a as SandboxResult).stdout.trim())).toBeLessThanOrEqual(5);
    expect(b).toMatchObject({ outcome: 'ran' });
  });
});
