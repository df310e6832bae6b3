import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cgroupHome, type CgroupHome } from '../../../src/execution/sandbox/cgroups.js';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, cgroupSupport, sandbox, type SandboxResult } from '../../../src/execution/sandbox/index.js';

const ring3 = BUILTIN_PROFILES.ring3!;
const support = cgroupSupport();

async function run(request: Parameters<typeof sandbox.run>[0]): Promise<SandboxResult> {
  const outcome = await sandbox.run(request);
  if (outcome.outcome !== 'ran') throw new Error(`refused: ${outcome.reason}`);
  return outcome;
}

/** The run's own group directories, from the path its result reports. */
function groupDirs(result: SandboxResult): string[] {
  return result.cgroup.applied ? result.cgroup.path.split(' + ') : [];
}

function parentsOf(home: CgroupHome): string[] {
  return home.version === 2 ? [home.dir] : [home.memory, home.pids];
}

async function gone(dirs: readonly string[]): Promise<boolean> {
  for (let i = 0; i < 80 && dirs.some((dir) => existsSync(dir)); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  return dirs.every((dir) => !existsSync(dir));
}

describe('cgroup limits', () => {
  it('says whether cgroups are applied here, and why not when they are not', () => {
    if (support.applied) expect(support.path).toMatch(/^\/sys\/fs\/cgroup\//);
    else expect(support.reason).toMatch(/rlimits only/);
  });

  describe.skipIf(!support.applied)('where this machine allows them', () => {
    it('runs every process inside a group of its own with the profile\'s limits, removed afterwards', async () => {
      // While it runs, the host sees its processes in the groups (inside, a cgroup namespace shows '/').
      const seen = new Map<string, string>();
      const outcome = await sandbox.run({ language: 'bash', code: 'cat /proc/self/cgroup; echo ready; sleep 1' }, {
        onStdout: (chunk) => {
          if (!chunk.toString().includes('ready')) return;
          for (const parent of parentsOf(cgroupHome()!)) {
            for (const name of readdirSync(parent).filter((n) => n.startsWith('agt-run-'))) seen.set(`${parent}/${name}`, readFileSync(`${parent}/${name}/cgroup.procs`, 'utf8'));
          }
        },
      });
      if (outcome.outcome !== 'ran') throw new Error(outcome.reason);
      const result = outcome;
      expect(result.cgroup).toMatchObject({ applied: true, memoryBytes: ring3.limits.memoryBytes, pids: ring3.limits.processes, oomKilled: false });
      const dirs = groupDirs(result);
      expect(dirs.length).toBeGreaterThan(0);
      expect(dirs.every((dir) => new RegExp(`/agt-run-${process.pid}-[0-9a-f-]{36}$`).test(dir))).toBe(true);
      for (const dir of dirs) expect(seen.get(dir)?.trim()).toMatch(/^\d+(\n\d+)*$/);
      expect(result.stdout).toMatch(/^0::\/$/m);
      expect(await gone(dirs)).toBe(true);
    });

    it('a resident-memory bomb is ended by the OOM killer at the cgroup limit, not by the address-space limit', async () => {
      const profile = { ...ring3, name: 'small-memory', limits: { ...ring3.limits, memoryBytes: 64 * 1024 * 1024, addressSpaceBytes: 4 * 1024 * 1024 * 1024 } };
      const result = await run({ language: 'python', code: "chunks = []\nwhile True:\n    chunks.append(b'x' * (16 * 1024 * 1024))", profile, timeoutMs: 20_000 });
      expect(result).toMatchObject({ signal: 'SIGKILL', timedOut: false, cgroup: { applied: true, memoryBytes: 64 * 1024 * 1024, oomKilled: true } });
      expect(await gone(groupDirs(result))).toBe(true);
    }, 30_000);

    it('writing a big file into the private tmpfs counts against the memory limit', async () => {
      const profile = { ...ring3, name: 'small-memory', tmpfsBytes: 256 * 1024 * 1024, limits: { ...ring3.limits, memoryBytes: 32 * 1024 * 1024, fileSizeBytes: 256 * 1024 * 1024 } };
      const result = await run({ language: 'bash', code: 'head -c 100000000 /dev/zero > /tmp/fill; echo "status $?"', profile, timeoutMs: 20_000 });
      // The tmpfs pages are charged to the run: it cannot hold more than its limit in files either.
      expect(result.stdout).not.toBe('status 0\n');
      expect(await gone(groupDirs(result))).toBe(true);
    }, 30_000);

    it('a timed-out run leaves no process and no group behind', async () => {
      const result = await run({ language: 'bash', code: 'sleep 60 & setsid sleep 60 & sleep 60', timeoutMs: 300 });
      expect(result.timedOut).toBe(true);
      expect(await gone(groupDirs(result))).toBe(true);
    });
  });
});
