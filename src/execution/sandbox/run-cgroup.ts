import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cgroupHome, RUN_GROUP_PREFIX, type CgroupHome } from './cgroups.js';
import type { CgroupStatus } from './types.js';

/** The cgroup limits of one run. */
export interface CgroupLimits {
  /** Resident memory (page cache and tmpfs pages included) before the kernel's OOM killer ends the run. */
  memoryBytes: number;
  /** Tasks (processes and threads) the run may hold at once, whatever their uid. */
  pids: number;
}

/**
 * One run's own cgroup (a directory per hierarchy), created before the run starts. The launcher
 * writes its own pid into {@link procsFiles} before it execs bubblewrap, so every process of the
 * run is born inside the limits: none can fork before being placed.
 */
export class RunCgroup {
  readonly #dirs: readonly string[];
  readonly #memoryDir: string;
  readonly #version: 1 | 2;
  readonly #limits: CgroupLimits;

  private constructor(home: CgroupHome, name: string, limits: CgroupLimits) {
    this.#version = home.version;
    this.#dirs = home.version === 2 ? [`${home.dir}/${name}`] : [`${home.memory}/${name}`, `${home.pids}/${name}`];
    this.#memoryDir = this.#dirs[0] as string;
    this.#limits = limits;
  }

  /**
   * Creates a run's group with its limits, or says why it could not (the run then goes ahead
   * under rlimits only, and its result says so). Never throws.
   */
  static create(limits: CgroupLimits): RunCgroup | { failed: string } {
    const home = cgroupHome();
    if (!home) return { failed: 'no cgroup is available to this process' };
    sweepOrphanedRuns(home);
    // The owner's pid in the name: a group whose owner died (kill -9) is known for an orphan.
    const group = new RunCgroup(home, `${RUN_GROUP_PREFIX}${process.pid}-${randomUUID()}`, limits);
    try {
      group.#make();
      return group;
    } catch (error) {
      group.remove();
      return { failed: `the run's cgroup could not be set up: ${(error as Error).message}` };
    }
  }

  /** The `cgroup.procs` files the launcher writes its pid into, in order. */
  get procsFiles(): readonly string[] {
    return this.#dirs.map((dir) => `${dir}/cgroup.procs`);
  }

  /** What the result reports: the limits applied, and whether the OOM killer ended a process. */
  status(): CgroupStatus {
    return { applied: true, path: this.#dirs.join(' + '), memoryBytes: this.#limits.memoryBytes, pids: this.#limits.pids, oomKilled: this.#oomKills() > 0 };
  }

  /** SIGKILLs every process still in the group (one that left the process group cannot leave its cgroup). */
  kill(): void {
    const killFile = `${this.#memoryDir}/cgroup.kill`;
    if (this.#version === 2 && existsSync(killFile)) {
      try {
        writeFileSync(killFile, '1');
        return;
      } catch {
        // Fall through to killing them one by one.
      }
    }
    for (const dir of this.#dirs) {
      for (const pid of readPids(`${dir}/cgroup.procs`)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  }

  /** Kills what is left and removes the group, retrying while the dying processes are reaped. */
  async removeWhenEmpty(): Promise<void> {
    for (let attempt = 0; attempt < 40; attempt++) {
      this.kill();
      if (this.remove()) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Removes the group's directories; false while one still holds a process. */
  remove(): boolean {
    let removed = true;
    for (const dir of this.#dirs) {
      try {
        if (existsSync(dir)) rmdirSync(dir);
      } catch {
        removed = false;
      }
    }
    return removed;
  }

  #make(): void {
    const { memoryBytes, pids } = this.#limits;
    for (const dir of this.#dirs) mkdirSync(dir);
    if (this.#version === 2) {
      const dir = this.#memoryDir;
      writeFileSync(`${dir}/memory.max`, String(memoryBytes));
      // No swap: a limit the run could page its way around bounds nothing.
      if (existsSync(`${dir}/memory.swap.max`)) writeFileSync(`${dir}/memory.swap.max`, '0');
      writeFileSync(`${dir}/pids.max`, String(pids));
      return;
    }
    const [memory, pidsDir] = this.#dirs as [string, string];
    writeFileSync(`${memory}/memory.limit_in_bytes`, String(memoryBytes));
    if (existsSync(`${memory}/memory.memsw.limit_in_bytes`)) writeFileSync(`${memory}/memory.memsw.limit_in_bytes`, String(memoryBytes));
    writeFileSync(`${pidsDir}/pids.max`, String(pids));
  }

  #oomKills(): number {
    const file = this.#version === 2 ? `${this.#memoryDir}/memory.events` : `${this.#memoryDir}/memory.oom_control`;
    try {
      const line = readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('oom_kill '));
      // A kernel too old to count OOM kills reports none (a hit on the limit alone is not a kill).
      return line ? Number(line.split(' ')[1]) || 0 : 0;
    } catch {
      return 0;
    }
  }
}

/**
 * Kills and removes the runs of host processes that died without cleaning up (SIGKILL, a crash):
 * bubblewrap's --die-with-parent usually takes the sandbox with its host, but not always (a
 * sandbox whose host is killed while it sets itself up can outlive it), and a cgroup is a place
 * no process of the run can leave. Called before every run, so the next sandbox start on the
 * machine ends whatever an earlier host left behind.
 */
export function sweepOrphanedRuns(home: CgroupHome | undefined = cgroupHome()): number {
  if (!home) return 0;
  let swept = 0;
  const parents = home.version === 2 ? [home.dir] : [home.memory, home.pids];
  for (const parent of parents) {
    let names: string[];
    try {
      names = readdirSync(parent).filter((name) => name.startsWith(RUN_GROUP_PREFIX));
    } catch {
      continue;
    }
    for (const name of names) {
      const owner = Number(/^agt-run-(\d+)-/.exec(name)?.[1]);
      const known = Number.isSafeInteger(owner) && owner > 0;
      if (known && alive(owner)) continue;
      const dir = `${parent}/${name}`;
      // A name without a host pid (an older version's) is removed only when empty: whose it is is unknown.
      for (const pid of known ? readPids(`${dir}/cgroup.procs`) : []) {
        try {
          process.kill(pid, 'SIGKILL');
          swept++;
        } catch {
          // Already gone.
        }
      }
      try {
        rmdirSync(dir);
      } catch {
        // Still emptying: the next sweep removes it.
      }
    }
  }
  return swept;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number).filter((pid) => Number.isSafeInteger(pid) && pid > 0);
  } catch {
    return [];
  }
}
