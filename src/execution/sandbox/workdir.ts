import { lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The host directory a run works in, and whether the sandbox owns (and removes) it. */
export interface Workdir {
  path: string;
  /** True for a fresh private directory, removed after the run; false for an operator's `--workdir`. */
  owned: boolean;
}

/**
 * A fresh directory only this run's user can enter (mode 0700, owned by the sandbox uid when the
 * host runs as root), with the request's files written into it. Nothing in it existed before, so
 * no path in it can be a symlink the request did not create.
 */
export function createWorkdir(files: ReadonlyArray<readonly [string, string | Uint8Array]>, uid: number | undefined): Workdir {
  const path = mkdtempSync(join(tmpdir(), 'agt-sandbox-'));
  for (const [name, content] of files) {
    const target = join(path, name);
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    writeFileSync(target, content, { mode: 0o600, flag: 'wx' });
  }
  if (uid !== undefined) chownTree(path, uid);
  return { path, owned: true };
}

/** Removes a run's own work dir; an operator's directory is left as the run left it. */
export function removeWorkdir(workdir: Workdir): void {
  if (workdir.owned) rmSync(workdir.path, { recursive: true, force: true });
}

function chownTree(path: string, uid: number): void {
  lchownSync(path, uid, uid);
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid);
}

