import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');

function agt(args: string[]) {
  const result = spawnSync(process.execPath, [AGT, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('agt sandbox run', () => {
  it('runs the command in the sandbox and exits with its status', () => {
    expect(agt(['sandbox', 'run', '--', 'python3', '-c', 'print(1)'])).toMatchObject({ code: 0, stdout: '1\n' });
    expect(agt(['sandbox', 'run', '--', 'bash', '-c', 'echo out; echo err >&2; exit 7'])).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('shows what the sandbox sees: no network, a cleared environment', () => {
    const { stdout } = agt(['sandbox', 'run', '--', 'bash', '-c', 'cat /proc/net/dev | tail -n +3 | cut -d: -f1; env | sort | cut -d= -f1']);
    expect(stdout.split('\n').map((line) => line.trim())).toEqual(['lo', 'HOME', 'LANG', 'PATH', 'PWD', 'SHLVL', 'TMPDIR', '_', '']);
  });

  it('exits 124 when the timeout kills the command, and says so', () => {
    const { code, stderr } = agt(['sandbox', 'run', '--timeout', '300', '--', 'sleep', '10']);
    expect(code).toBe(124);
    expect(stderr).toMatch(/agt sandbox: killed after the \d+ ms timeout/);
  });

  it('exits 3 with the reason and the fix when the sandbox refuses', () => {
    const { code, stderr } = agt(['sandbox', 'run', '--profile', 'ring0', '--', 'true']);
    expect(code).toBe(3);
    expect(stderr).toBe("agt sandbox: refused (sandbox:bad_profile): unknown sandbox profile 'ring0'\n  fix: use one of ring3, ring2, ring1, or pass a profile object\n");
  });

  it('a bad --timeout is a usage error (exit 2), not a stack trace', () => {
    const { code, stderr } = agt(['sandbox', 'run', '--timeout', 'soon', '--', 'true']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/'soon' is not a whole number of milliseconds; e\.g\. --timeout 5000/);
  });

  it('--json prints the whole result', () => {
    const result = JSON.parse(agt(['sandbox', 'run', '--json', '--', 'true']).stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ outcome: 'ran', exitCode: 0, signal: null, timedOut: false, profile: 'ring3', cgroup: { applied: expect.any(Boolean) } });
  });
});
