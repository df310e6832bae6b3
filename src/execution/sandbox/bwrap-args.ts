import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import { dirname, posix } from 'node:path';
import type { SandboxProfile } from './profile.js';

/** Where the work dir appears inside the sandbox; also HOME and the current directory. */
export const SANDBOX_WORKDIR = '/work';

/** The first file descriptor that carries a request file into the sandbox (0-2 are stdio). */
export const FIRST_FILE_FD = 3;

/** The top-level system links a merged-/usr distribution has (/bin → usr/bin, ...). */
const SYSTEM_TOP = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** System files programs need to start and that hold no secret (alternatives for python3, ld cache). */
const SYSTEM_FILES = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d'];

/** Where the work dir comes from: a fresh tmpfs filled from file descriptors, or an operator's directory. */
export type WorkdirSource = { kind: 'tmpfs'; files: readonly string[] } | { kind: 'host'; path: string };

/** What one run's bwrap command line is built from. */
export interface BwrapPlan {
  profile: SandboxProfile;
  workdir: WorkdirSource;
  /** Variables set inside; everything else is cleared. */
  env: Readonly<Record<string, string>>;
  /** The command run inside, after the rlimits. */
  argv: readonly string[];
  /** The `prlimit` path inside (the same as on the host: /usr is bound at /usr). */
  prlimit: string;
  /** The descriptor bwrap reports to: `{"exit-code": N}` once the command it started has ended. */
  statusFd: number;
  /** The descriptor bwrap reads the compiled seccomp filter from, where one is built in. */
  seccompFd?: number;
}

/**
 * The bwrap arguments for one run: every namespace unshared (the network too unless the profile
 * shares it) and no nested user namespaces, an empty read-only root with /usr and the profile's
 * paths read-only, a fresh /proc and /dev, size-bounded private tmpfs for /tmp and the work dir
 * (the request's files copied in from file descriptors `FIRST_FILE_FD`, ... in order), a cleared
 * environment, a new session (no TIOCSTI into the host's terminal) and death with the parent.
 * The command runs under `prlimit`, which sets soft and hard limits alike so the code cannot
 * raise them again.
 */
export function bwrapArguments(plan: BwrapPlan): string[] {
  const { profile } = plan;
  const { limits } = profile;
  // --unshare-all only tries the user namespace; --unshare-user insists (and --disable-userns needs it).
  const args = ['--unshare-all', '--unshare-user', ...(profile.network ? ['--share-net'] : []), '--disable-userns', '--json-status-fd', String(plan.statusFd),
    ...(plan.seccompFd === undefined ? [] : ['--seccomp', String(plan.seccompFd)]), '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr'];
  for (const top of SYSTEM_TOP) args.push(...systemTop(top));
  for (const path of [...SYSTEM_FILES, ...profile.readOnlyPaths]) if (existsSync(path)) args.push('--ro-bind', path, path);
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(profile.tmpfsBytes), '--tmpfs', '/tmp');
  args.push(...workdirArguments(plan.workdir, profile.tmpfsBytes), '--chdir', SANDBOX_WORKDIR);
  // The root bwrap builds is a tmpfs; made read-only last, so only /work and /tmp take writes.
  args.push('--remount-ro', '/', '--hostname', 'sandbox', '--clearenv');
  for (const [name, value] of Object.entries(plan.env)) args.push('--setenv', name, value);
  args.push(
    '--',
    plan.prlimit,
    `--cpu=${limits.cpuSeconds}`,
    `--as=${limits.addressSpaceBytes}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--nofile=${limits.openFiles}`,
    '--core=0',
    '--',
    ...plan.argv,
  );
  return args;
}

function workdirArguments(source: WorkdirSource, size: number): string[] {
  if (source.kind === 'host') return ['--bind', source.path, SANDBOX_WORKDIR];
  const args = ['--size', String(size), '--tmpfs', SANDBOX_WORKDIR];
  const made = new Set<string>();
  source.files.forEach((file, index) => {
    const target = posix.join(SANDBOX_WORKDIR, file);
    for (let dir = dirname(target); dir !== SANDBOX_WORKDIR && !made.has(dir); dir = dirname(dir)) made.add(dir);
    args.push('--file', String(FIRST_FILE_FD + index), target);
  });
  // Parents before children: a shorter path sorts first.
  const dirs = [...made].sort((a, b) => a.length - b.length).flatMap((dir) => ['--dir', dir]);
  const at = args.indexOf('--file');
  return at === -1 ? args : [...args.slice(0, at), ...dirs, ...args.slice(at)];
}

function systemTop(path: string): string[] {
  if (!existsSync(path)) return [];
  const stat = lstatSync(path);
  return stat.isSymbolicLink() ? ['--symlink', readlinkSync(path), path] : ['--ro-bind', path, path];
}
