import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import type { SandboxProfile } from './profile.js';

/** Where the work dir appears inside the sandbox; also HOME and the current directory. */
export const SANDBOX_WORKDIR = '/work';

/** The top-level system links a merged-/usr distribution has (/bin → usr/bin, ...). */
const SYSTEM_TOP = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** System files programs need to start and that hold no secret (alternatives for python3, ld cache). */
const SYSTEM_FILES = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d'];

/** What one run's bwrap command line is built from. */
export interface BwrapPlan {
  profile: SandboxProfile;
  /** The host directory bound read-write at /work. */
  hostWorkdir: string;
  /** Variables set inside; everything else is cleared. */
  env: Readonly<Record<string, string>>;
  /** The command run inside, after the rlimits. */
  argv: readonly string[];
  /** The `prlimit` path inside (the same as on the host: /usr is bound at /usr). */
  prlimit: string;
}

/**
 * The bwrap arguments for one run: every namespace unshared (the network too unless the profile
 * shares it), an empty read-only root with /usr and the profile's paths read-only, a fresh /proc and /dev,
 * private /tmp, the work dir, a cleared environment, a new session (no TIOCSTI into the host's
 * terminal) and death with the parent. The command runs under `prlimit`, which sets soft and hard
 * limits alike so the code cannot raise them again.
 */
export function bwrapArguments(plan: BwrapPlan): string[] {
  const { profile, limits } = { profile: plan.profile, limits: plan.profile.limits };
  const args = ['--unshare-all', ...(profile.network ? ['--share-net'] : []), '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr'];
  for (const top of SYSTEM_TOP) args.push(...systemTop(top));
  for (const path of [...SYSTEM_FILES, ...profile.readOnlyPaths]) if (existsSync(path)) args.push('--ro-bind', path, path);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', plan.hostWorkdir, SANDBOX_WORKDIR, '--chdir', SANDBOX_WORKDIR);
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

function systemTop(path: string): string[] {
  if (!existsSync(path)) return [];
  const stat = lstatSync(path);
  return stat.isSymbolicLink() ? ['--symlink', readlinkSync(path), path] : ['--ro-bind', path, path];
}
