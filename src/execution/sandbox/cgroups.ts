import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import type { CgroupStatus } from './types.js';

let cached: CgroupStatus | undefined;

/**
 * Can this process put a sandbox under cgroup memory and pids limits? Only a cgroup v2 subtree
 * delegated to us (its directory writable, `memory` and `pids` among its controllers) qualifies:
 * a v1 hierarchy, or a v2 one owned by the host's service manager, belongs to someone else, and
 * moving processes there could lift the limits it places on us. When the answer is no, the
 * reason says what is missing; the rlimits (address space, processes) still bound the run.
 */
export function cgroupSupport(): CgroupStatus {
  cached ??= detect();
  return cached;
}

function detect(): CgroupStatus {
  if (!existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    const v1 = existsSync('/sys/fs/cgroup/memory') ? ' (this machine mounts the cgroup v1 hierarchy at /sys/fs/cgroup/memory and /sys/fs/cgroup/pids)' : '';
    return { applied: false, reason: `no unified cgroup v2 hierarchy at /sys/fs/cgroup${v1}; memory and processes are bounded by rlimits (RLIMIT_AS, RLIMIT_NPROC) only` };
  }
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((line) => line.startsWith('0::'))?.slice(3);
  if (own === undefined) return { applied: false, reason: 'this process is in no cgroup v2 group; rlimits only' };
  const dir = `/sys/fs/cgroup${own === '/' ? '' : own}`;
  const controllers = readFileSync(`${dir}/cgroup.controllers`, 'utf8').trim().split(/\s+/);
  const missing = ['memory', 'pids'].filter((c) => !controllers.includes(c));
  if (missing.length > 0) return { applied: false, reason: `the cgroup ${dir} does not have the ${missing.join(' and ')} controller(s) delegated; rlimits only` };
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return { applied: false, reason: `the cgroup ${dir} is not delegated to this user (not writable); rlimits only` };
  }
  // A delegated subtree exists, but placing the sandbox in it is not built yet: say so rather than pretend.
  return { applied: false, reason: `a delegated cgroup v2 subtree is available at ${dir}, but the sandbox does not create child groups yet; rlimits only` };
}
