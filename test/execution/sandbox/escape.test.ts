import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, sandbox, type SandboxOutcome, type SandboxResult } from '../../../src/execution/sandbox/index.js';
import { leftoversAfter } from './sandbox-processes.js';

// Every test runs the real bubblewrap: a contained escape is one the kernel stopped, not a mock.

function ran(outcome: SandboxOutcome): SandboxResult {
  if (outcome.outcome !== 'ran') throw new Error(`refused: ${outcome.reason} (${outcome.fix})`);
  return outcome;
}

const python = async (code: string, extra: Parameters<typeof sandbox.run>[0] = {}): Promise<SandboxResult> => ran(await sandbox.run({ language: 'python', code, ...extra }));
const bash = async (code: string, extra: Parameters<typeof sandbox.run>[0] = {}): Promise<SandboxResult> => ran(await sandbox.run({ language: 'bash', code, ...extra }));

let hostDir: string;
let hostSecret: string;
let listener: Server;
let listenerPort: number;
let connections = 0;

beforeAll(async () => {
  hostDir = mkdtempSync(join(tmpdir(), 'agt-escape-'));
  hostSecret = join(hostDir, 'secret.txt');
  writeFileSync(hostSecret, 'host-secret-value');
  listener = createServer((socket) => {
    connections += 1;
    socket.end('reached the host');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  listenerPort = (listener.address() as { port: number }).port;
});

afterAll(() => {
  listener.close();
  rmSync(hostDir, { recursive: true, force: true });
});

describe('sandbox escapes are contained', () => {
  it('runs ordinary code and returns its output', async () => {
    const result = await python('print(6 * 7)');
    expect(result).toMatchObject({ exitCode: 0, signal: null, stdout: '42\n', timedOut: false });
  });

  it('cannot read /etc/shadow, $HOME or a host file outside the work dir', async () => {
    const result = await bash(`cat /etc/shadow; cat /etc/passwd; ls /root /home; cat ${hostSecret}; echo done`);
    expect(result.stdout).toBe('done\n');
    expect(result.stdout + result.stderr).not.toContain('host-secret-value');
    expect(result.stderr).toMatch(/\/etc\/shadow: No such file or directory/);
    expect(result.stderr).toMatch(/\/root'?: No such file or directory/);
  });

  it('cannot write outside the work dir; the work dir itself is writable', async () => {
    const result = await bash(
      `for f in /usr/escape /etc/escape /escape ${hostSecret}; do echo x > $f 2>/dev/null && echo "wrote $f"; done
       echo ok > /work/inside && cat /work/inside; echo tmp > /tmp/t && cat /tmp/t`,
    );
    expect(result.stdout).toBe('ok\ntmp\n');
    expect(readFileSync(hostSecret, 'utf8')).toBe('host-secret-value');
  });

  it('cannot reach the network, not even a server on the host loopback', async () => {
    const result = await python(`
import socket
for host, port in [('127.0.0.1', ${listenerPort}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:
    try:
        s = socket.create_connection((host, port), timeout=2)
        print('connected', host, s.recv(100))
    except OSError as e:
        print('blocked', host)
`);
    expect(result.stdout).toBe('blocked 127.0.0.1\nblocked 1.1.1.1\nblocked 8.8.8.8\n');
    expect(connections).toBe(0);
  });

  it('cannot read the host environment', async () => {
    process.env.AGT_ESCAPE_TEST_SECRET = 'env-secret-value';
    try {
      const result = await bash('env; cat /proc/1/environ; tr "\\0" "\\n" < /proc/self/environ');
      expect(result.stdout + result.stderr).not.toContain('env-secret-value');
      expect(result.stdout).toContain('HOME=/work');
      const names = result.stdout.split('\n').filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split('=')[0]);
      expect(new Set(names)).toEqual(new Set(['PATH', 'HOME', 'TMPDIR', 'LANG', 'PWD', 'SHLVL', '_']));
    } finally {
      delete process.env.AGT_ESCAPE_TEST_SECRET;
    }
  });

  it('passes only the variables the request names', async () => {
    const result = await bash('echo "$GREETING"', { env: { GREETING: 'hello' } });
    expect(result.stdout).toBe('hello\n');
  });

  it('cannot follow a symlink out of the work dir', async () => {
    const result = await bash(
      `ln -s ${hostSecret} host-link; ln -s /root root-link; ln -s ../../../../.. up-link
       cat host-link; ls root-link; ls up-link/; readlink -f up-link`,
    );
    expect(result.stdout + result.stderr).not.toContain('host-secret-value');
    expect(result.stdout).not.toMatch(/^(home|root|boot)$/m);
    expect(result.stdout).toMatch(/^work$/m); // ../.. from /work stops at the sandbox's own root
  });

  it('cannot signal the parent or any host process', async () => {
    const result = await bash(`kill -9 $PPID; kill -9 ${process.pid}; kill -9 -1; kill -9 1; echo survived`);
    // The test process (and vitest) are still here to read the result: that is the assertion.
    expect(result.stderr).toMatch(new RegExp(`${process.pid}.*No such process`));
    expect(process.kill(process.pid, 0)).toBe(true);
  });

  it('a fork bomb hits the process limit and leaves nothing running', async () => {
    const result = await bash(':(){ :|:& };:; sleep 1; echo still-here', { timeoutMs: 15_000 });
    expect(result.stderr).toMatch(/fork: (retry: )?Resource temporarily unavailable/);
    expect(await leftoversAfter()).toEqual([]);
  }, 30_000);

  it('a memory bomb is stopped by the memory limit (the cgroup where applied, else the address space)', async () => {
    const result = await python('chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 1024 * 1024))', { timeoutMs: 20_000 });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).not.toBe(0);
    if (result.cgroup.applied && result.cgroup.oomKilled) expect(result.signal).toBe('SIGKILL');
    else expect(result.stderr).toContain('MemoryError');
  }, 30_000);

  it('a CPU spin is killed by the CPU-time limit before the wall clock', async () => {
    const profile = { ...BUILTIN_PROFILES.ring3!, name: 'one-cpu-second', limits: { ...BUILTIN_PROFILES.ring3!.limits, cpuSeconds: 1 } };
    const result = await python('while True:\n    pass', { profile, timeoutMs: 20_000 });
    expect(result.timedOut).toBe(false);
    expect(['SIGXCPU', 'SIGKILL']).toContain(result.signal);
    expect(result.durationMs).toBeLessThan(5_000);
  }, 30_000);

  it('a sleep past the timeout is SIGKILLed with everything it spawned', async () => {
    const started = Date.now();
    const result = await bash('sleep 60 & setsid sleep 60 & nohup sleep 60 >/dev/null 2>&1 & sleep 60', { timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await leftoversAfter()).toEqual([]);
  });

  it('a process that spawns children and exits ends the run at once, children included', async () => {
    const started = Date.now();
    const result = await bash('(setsid sleep 60 &); sleep 60 >/dev/null 2>&1 & echo parent-done');
    expect(result).toMatchObject({ exitCode: 0, stdout: 'parent-done\n', timedOut: false });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await leftoversAfter()).toEqual([]);
  });

  it('caps stdout and says it did', async () => {
    const profile = { ...BUILTIN_PROFILES.ring3!, name: 'small-output', maxOutputBytes: 1000 };
    const result = await python("import sys\nfor _ in range(1000): sys.stdout.write('x' * 1000)", { profile });
    expect(result.stdout.length).toBe(1000);
    expect(result.stdoutTruncated).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  it('writes the request files into the work dir and removes it afterwards', async () => {
    const result = await python("print(open('data/in.txt').read().upper())", { files: { 'data/in.txt': 'abc' } });
    expect(result.stdout).toBe('ABC\n');
  });
});
