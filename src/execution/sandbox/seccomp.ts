/**
 * A seccomp filter, compiled here to classic BPF (no libseccomp), that bwrap loads with
 * `--seccomp FD` before it starts the command. It refuses (EPERM) the system calls untrusted code
 * has no business making and that carry most of the kernel's attack surface for unprivileged
 * processes: kernel keyrings, eBPF, perf, userfaultfd, io_uring, ptrace, module and kexec
 * loading, mounts and namespace changes, clock and host settings. Everything else is allowed:
 * the namespaces and rlimits do the containing; this narrows what the kernel exposes.
 *
 * Only x86_64 is built in (its numbers are tested here); on another architecture the sandbox
 * runs without the filter and says so (`seccompSupport()`).
 */

/** x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
const X86_64_DENIED: Readonly<Record<string, number>> = {
  ptrace: 101,
  syslog: 103,
  vhangup: 153,
  pivot_root: 155,
  adjtimex: 159,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  clock_settime: 227,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  setns: 308,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
};

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 ABI calls carry this bit; they are another way in to the same kernel code, so all are refused. */
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;

// Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const RET_KILL_PROCESS = 0x80000000;
const RET_ERRNO = 0x00050000;
const RET_ALLOW = 0x7fff0000;
// struct seccomp_data: int nr at 0, __u32 arch at 4.
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;

/** Whether the filter applies on this machine's architecture, and if not, why. */
export type SeccompSupport = { applied: true; denied: readonly string[] } | { applied: false; reason: string };

/** The filter's coverage here: x86_64 only. */
export function seccompSupport(): SeccompSupport {
  return process.arch === 'x64'
    ? { applied: true, denied: Object.keys(X86_64_DENIED) }
    : { applied: false, reason: `no seccomp filter is built in for ${process.arch} (only x64); namespaces and rlimits still contain the run` };
}

/** The compiled filter (an array of struct sock_filter), or undefined where none is built in. */
export function seccompProgram(): Buffer | undefined {
  if (process.arch !== 'x64') return undefined;
  const numbers = Object.values(X86_64_DENIED);
  const instructions: Array<[code: number, jt: number, jf: number, k: number]> = [];
  // A call from another architecture's ABI (e.g. 32-bit int 0x80) would use other numbers: kill it.
  instructions.push([LD_W_ABS, 0, 0, OFFSET_ARCH], [JEQ_K, 1, 0, AUDIT_ARCH_X86_64], [RET_K, 0, 0, RET_KILL_PROCESS], [LD_W_ABS, 0, 0, OFFSET_NR]);
  const checks = 1 + numbers.length; // the x32 test, then one per denied number
  // Jump offsets count from the next instruction; the ERRNO return sits after ALLOW.
  const toErrno = (index: number): number => checks - index; // from check `index` (0-based) past the rest and ALLOW
  instructions.push([JGE_K, toErrno(0), 0, X32_SYSCALL_BIT]);
  numbers.forEach((nr, i) => instructions.push([JEQ_K, toErrno(i + 1), 0, nr]));
  instructions.push([RET_K, 0, 0, RET_ALLOW], [RET_K, 0, 0, RET_ERRNO | EPERM]);
  const program = Buffer.alloc(instructions.length * 8);
  instructions.forEach(([code, jt, jf, k], i) => {
    program.writeUInt16LE(code, i * 8);
    program.writeUInt8(jt, i * 8 + 2);
    program.writeUInt8(jf, i * 8 + 3);
    program.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return program;
}
