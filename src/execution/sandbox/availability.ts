import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Whether bubblewrap can isolate on this machine, and if not, what to do. */
export type SandboxAvailability = { available: true; bwrap: string; version: string } | { available: false; reason: string; fix: string };

const SEARCH = ['/usr/bin', '/usr/local/bin', '/bin'];
const INSTALL_FIX = 'install bubblewrap: `apt-get install -y bubblewrap` (Debian, Ubuntu), `dnf install -y bubblewrap` (Fedora, RHEL) or `apk add bubblewrap` (Alpine)';

let cached: SandboxAvailability | undefined;

/**
 * Finds `bwrap` in the system directories (never on the caller's PATH, which an agent's
 * environment could point elsewhere) and proves once per process that it can create the user,
 * PID, network, IPC, UTS and mount namespaces the sandbox relies on.
 */
export function sandboxAvailability(): SandboxAvailability {
  cached ??= probeSandbox(SEARCH);
  return cached;
}

/** Looks for bwrap in `directories` and tries it; `sandboxAvailability()` is this on the system directories, cached. */
export function probeSandbox(directories: readonly string[]): SandboxAvailability {
  const bwrap = directories.map((dir) => `${dir}/bwrap`).find(isExecutable);
  if (!bwrap) return { available: false, reason: 'bubblewrap (bwrap) is not installed', fix: INSTALL_FIX };
  const version = spawnSync(bwrap, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const trial = spawnSync(bwrap, ['--unshare-all', '--die-with-parent', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '/usr/bin/true'], { encoding: 'utf8', timeout: 10_000 });
  if (trial.status !== 0) {
    const why = (trial.stderr || trial.error?.message || `exit ${String(trial.status)}`).trim();
    return {
      available: false,
      reason: `${bwrap} cannot create namespaces here: ${why}`,
      fix: 'allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 or user.max_user_namespaces > 0; on Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap)',
    };
  }
  return { available: true, bwrap, version };
}

/** The `prlimit` the sandbox runs inside itself; util-linux ships it. */
export function prlimitPath(): string | undefined {
  return SEARCH.map((dir) => `${dir}/prlimit`).find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
