import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import type { CgroupStatus } from './types.js';

/**
 * Where this process may create cgroups for its sandboxes: only below its OWN groups, so a run's
 * limits nest under whatever limits the host already placed on us (cgroup limits are
 * hierarchical: a child can never be given more than its parent). Version 2: one directory
 * whose `cgroup.subtree_control` already enables `memory` and `pids` (a delegated subtree).
 * Version 1: our own group in the `memory` and in the `pids` hierarchy, both writable (root, or
 * a delegated group).
 */
export type CgroupHome = { version: 2; dir: string } | { version: 1; memory: string; pids: string };

/** Prefix of every group the sandbox creates (`agt-run-<host pid>-<uuid>`); a dead host's are swept (run-cgroup.ts). */
export const RUN_GROUP_PREFIX = 'agt-run-';


let cached: { home: CgroupHome; status: CgroupStatus } | { home: undefined; status: CgroupStatus } | undefined;

/**
 * Can this process put a sandbox under cgroup memory and pids limits, and where? Answered once
 * per process. When the answer is no, the reason says what is missing; the rlimits (address
 * space, processes) still bound every run.
 */
export function cgroupSupport(): CgroupStatus {
  cached ??= detect();
  return cached.status;
}

/** The place run groups are created in, or undefined where cgroups cannot be used. */
export function cgroupHome(): CgroupHome | undefined {
  cached ??= detect();
  return cached.home;
}

function detect(): { home: CgroupHome; status: CgroupStatus } | { home: undefined; status: CgroupStatus } {
  let lines: string[];
  try {
    lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  } catch {
    return unavailable('/proc/self/cgroup cannot be read; rlimits only');
  }
  const found = existsSync('/sys/fs/cgroup/cgroup.controllers') ? detectV2(lines) : detectV1(lines);
  return found;
}

function detectV2(lines: readonly string[]): ReturnType<typeof detect> {
  const own = lines.find((line) => line.startsWith('0::'))?.slice(3);
  if (own === undefined) return unavailable('this process is in no cgroup v2 group; rlimits only');
  const dir = `/sys/fs/cgroup${own === '/' ? '' : own}`;
  const enabled = readWords(`${dir}/cgroup.subtree_control`);
  const missing = ['memory', 'pids'].filter((c) => !enabled.includes(c));
  if (missing.length > 0) return unavailable(`the cgroup ${dir} does not enable the ${missing.join(' and ')} controller(s) for its children (cgroup.subtree_control); delegate a subtree to this process to get cgroup limits; rlimits only`);
  if (!writable(dir)) return unavailable(`the cgroup ${dir} is not delegated to this user (not writable); rlimits only`);
  return { home: { version: 2, dir }, status: { applied: true, path: dir } };
}

function detectV1(lines: readonly string[]): ReturnType<typeof detect> {
  const groupOf = (controller: string): string | undefined => {
    const line = lines.find((l) => l.split(':')[1]?.split(',').includes(controller));
    const path = line?.split(':').slice(2).join(':');
    return path === undefined ? undefined : `/sys/fs/cgroup/${controller}${path === '/' ? '' : path}`;
  };
  const memory = groupOf('memory');
  const pids = groupOf('pids');
  if (memory === undefined || pids === undefined || !existsSync(memory) || !existsSync(pids)) {
    return unavailable('no cgroup v2 hierarchy, and the cgroup v1 memory and pids hierarchies are not both mounted at /sys/fs/cgroup; rlimits only');
  }
  if (!writable(memory) || !writable(pids)) return unavailable(`this process's cgroup v1 groups (${memory}, ${pids}) are not writable by this user; rlimits only`);
  return { home: { version: 1, memory, pids }, status: { applied: true, path: `${memory} + ${pids}` } };
}

function readWords(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function unavailable(reason: string): { home: undefined; status: CgroupStatus } {
  return { home: undefined, status: { applied: false, reason } };
}
