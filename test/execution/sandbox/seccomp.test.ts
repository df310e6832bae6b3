import { describe, expect, it } from 'vitest';
import { sandbox, seccompSupport, type SandboxResult } from '../../../src/execution/sandbox/index.js';

// The filter bwrap loads: each refused call is made for real from inside the sandbox.
const PROBE = `import ctypes, errno
libc = ctypes.CDLL(None, use_errno=True)
for name, nr in [('keyctl', 250), ('add_key', 248), ('bpf', 321), ('perf_event_open', 298), ('userfaultfd', 323),
                 ('io_uring_setup', 425), ('ptrace', 101), ('unshare', 272), ('setns', 308), ('mount', 165),
                 ('init_module', 175), ('kexec_load', 246), ('open_by_handle_at', 304), ('x32 getpid', 0x40000000 + 39),
                 ('getpid', 39)]:
    r = libc.syscall(nr, 0, 0, 0, 0, 0)
    print(name, 'ok' if r >= 0 else errno.errorcode.get(ctypes.get_errno()))
`;

describe.runIf(process.arch === 'x64')('the seccomp filter (x86_64)', () => {
  it('refuses the kernel attack surface with EPERM and leaves ordinary calls alone', async () => {
    const result = (await sandbox.run({ language: 'python', code: PROBE })) as SandboxResult;
    const lines = result.stdout.trim().split('\n');
    expect(lines.pop()).toBe('getpid ok');
    for (const line of lines) expect(line).toMatch(/ EPERM$/);
    expect(lines.length).toBe(14);
  });

  it('python, node and bash still start and run under it', async () => {
    const result = (await sandbox.run({ language: 'bash', code: 'python3 -c "print(1)"; node -e "console.log(2)"; echo 3 | cat' })) as SandboxResult;
    expect(result.stdout).toBe('1\n2\n3\n');
  });

  it('reports what it refuses', () => {
    expect(seccompSupport()).toMatchObject({ applied: true, denied: expect.arrayContaining(['keyctl', 'bpf', 'io_uring_setup', 'ptrace', 'unshare']) });
  });
});
