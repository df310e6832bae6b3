import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, sandbox, type SandboxResult } from '../../../src/execution/sandbox/index.js';

const ring3 = BUILTIN_PROFILES.ring3!;

async function run(request: Parameters<typeof sandbox.run>[0]): Promise<SandboxResult> {
  const outcome = await sandbox.run(request);
  if (outcome.outcome !== 'ran') throw new Error(`refused: ${outcome.reason}`);
  return outcome;
}

describe('sandbox limits and plumbing', () => {
  it('applies every rlimit of the profile, hard and soft alike', async () => {
    const result = await run({ language: 'bash', code: 'for f in t v u f n; do echo "$(ulimit -S$f) $(ulimit -H$f)"; done' });
    const { cpuSeconds, addressSpaceBytes, processes, fileSizeBytes, openFiles } = ring3.limits;
    const both = (value: number | string) => `${value} ${value}`;
    expect(result.stdout.trim().split('\n')).toEqual([both(cpuSeconds), both(addressSpaceBytes / 1024), both(processes), both(fileSizeBytes / 1024), both(openFiles)]);
  });

  it('a file past the size limit is cut off by SIGXFSZ', async () => {
    const profile = { ...ring3, name: 'small-files', limits: { ...ring3.limits, fileSizeBytes: 1024 * 1024 } };
    const result = await run({ language: 'bash', code: 'head -c 5000000 /dev/zero > big; echo "status $?"; stat -c %s big', profile });
    expect(result.stdout).toBe(`status ${128 + 25}\n1048576\n`);
  });

  it('open files past the limit fail with EMFILE', async () => {
    const result = await run({ language: 'python', code: "fs = []\ntry:\n    while True: fs.append(open('/dev/null'))\nexcept OSError as e:\n    print(e.errno == 24, len(fs) < 256)" });
    expect(result.stdout).toBe('True True\n');
  });

  it('hands stdin to the process', async () => {
    const result = await run({ language: 'python', code: 'import sys; print(sys.stdin.read()[::-1])', stdin: 'abc' });
    expect(result.stdout).toBe('cba\n');
  });

  it('runs node and bash code as well as python', async () => {
    expect((await run({ language: 'node', code: 'console.log(typeof process.env.HOME, process.cwd())' })).stdout).toBe('string /work\n');
    expect((await run({ language: 'bash', code: 'echo "$0" $((6 * 7))' })).stdout).toBe('./main.sh 42\n');
  });

  it('reports how the process ended: an exit status, or the signal that ended it', async () => {
    expect(await run({ language: 'bash', code: 'exit 3' })).toMatchObject({ exitCode: 3, signal: null });
    expect(await run({ language: 'bash', code: 'kill -SEGV $$' })).toMatchObject({ exitCode: null, signal: 'SIGSEGV' });
  });
});

describe('sandbox storage and setup', () => {
  it('the work dir and /tmp are private tmpfs of the profile size: filling them ends in ENOSPC', async () => {
    const profile = { ...ring3, name: 'small-tmpfs', tmpfsBytes: 4 * 1024 * 1024 };
    const result = await run({ language: 'bash', code: 'for i in $(seq 20); do head -c 1000000 /dev/zero > /work/f$i || break; done; du -sk /work | cut -f1; df --output=fstype,size -k /tmp | tail -1', profile });
    expect(result.stderr).toMatch(/No space left on device/);
    expect(Number(result.stdout.split('\n')[0])).toBeLessThanOrEqual(4096);
    expect(result.stdout.split('\n')[1]).toMatch(/^tmpfs\s+4096$/);
  });

  it('nested files arrive in their directories, bytes intact', async () => {
    const result = await run({ language: 'python', code: "print(open('a/b/c.bin', 'rb').read().hex(), open('top.txt').read())", files: { 'a/b/c.bin': new Uint8Array([0, 255, 16]), 'top.txt': 'T' } });
    expect(result.stdout).toBe('00ff10 T\n');
  });

  it('code cannot create a user namespace of its own', async () => {
    const result = await run({ language: 'bash', code: 'unshare -U true; echo "status $?"' });
    expect(result.stdout).toBe('status 1\n');
  });

  it.runIf(process.getuid?.() === 0)('a sandbox that cannot be built is a setup_failed refusal, not a result of the command', async () => {
    const { mkdtempSync, mkdirSync, chmodSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const hidden = mkdtempSync(join(tmpdir(), 'agt-hidden-'));
    mkdirSync(join(hidden, 'inner'));
    chmodSync(hidden, 0o700); // the run's own uid cannot reach inner/
    const profile = { ...ring3, name: 'unreachable', readOnlyPaths: [join(hidden, 'inner')] };
    const outcome = await sandbox.run({ command: ['true'], profile });
    expect(outcome).toMatchObject({ outcome: 'refused', code: 'sandbox:setup_failed', reason: expect.stringMatching(/the sandbox could not be built: bwrap: /) });
  });
});
