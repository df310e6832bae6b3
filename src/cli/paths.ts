import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from './errors.js';
import { shownArgument } from './shown-argument.js';

/**
 * Checks on paths named on the command line, made before the path reaches fs, SQLite or crypto:
 * opening a FIFO for reading blocks until a writer comes (SQLite and `readFileSync` would wait
 * forever), a device reads without end, and raw errors (EISDIR, SQLITE_CANTOPEN) say neither
 * which path nor what to do. Each refusal is a one-line {@link UsageError} (exit 2) that names
 * the path and the fix.
 */

/** What is at a path: nothing yet, a regular file (symlinks followed), a directory, or something else. */
export type PathKind = 'missing' | 'file' | 'directory' | 'special';

/** The kind of thing at `path`; a path that cannot be reached (a file where a folder should be, no permission) is a usage error. */
export function pathKind(path: string, fix: string): PathKind {
  try {
    const stats = statSync(path);
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'special';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') throw new UsageError(`${shownArgument(path)} cannot be reached: a part of it is a file, not a directory; ${fix}`);
    throw new UsageError(`${shownArgument(path)} cannot be reached (${reason(code)}); ${fix}`);
  }
}

/** Refuses a directory, FIFO, socket or device at `path`; true when there is a regular file, false when nothing. */
export function requireFileOrNothing(path: string, what: string, fix: string): boolean {
  const kind = pathKind(path, fix);
  if (kind === 'directory') throw new UsageError(`${shownArgument(path)} is a directory, not ${what}; ${fix}`);
  if (kind === 'special') throw new UsageError(`${shownArgument(path)} is not a regular file (a FIFO, socket or device), so not ${what}; ${fix}`);
  return kind === 'file';
}

/** Refuses anything but a readable regular file at `path`. */
export function requireReadableFile(path: string, what: string, fix: string): void {
  if (!requireFileOrNothing(path, what, fix)) throw new UsageError(`cannot read ${shownArgument(path)}: no such file; ${fix}`);
  readHead(path, 0, fix);
}

/**
 * The first `length` bytes of the regular file at `path` (fewer if it is shorter), read without
 * ever blocking: O_NONBLOCK, and the opened descriptor checked again, in case a FIFO was swapped in.
 */
export function readHead(path: string, length: number, fix: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    throw new UsageError(`${path} cannot be read (${reason((error as NodeJS.ErrnoException).code)}); ${fix}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UsageError(`${shownArgument(path)} is not a regular file (a FIFO, socket or device); ${fix}`);
    const head = Buffer.alloc(length);
    const read = length === 0 ? 0 : readSync(fd, head, 0, length, 0);
    return head.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens `path` for a new file (`--output`): refuses anything already there (a dangling symlink
 * too), a folder that does not exist or is not a folder, and says which.
 */
export function openNewFile(path: string, option: string): number {
  const fix = `choose another ${option} path`;
  let exists = true;
  try {
    lstatSync(path);
  } catch (error) {
    exists = (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
  if (exists) {
    const kind = pathKind(path, fix);
    throw new UsageError(`${path} already exists${kind === 'file' ? '' : ` (${kind === 'directory' ? 'a directory' : 'a FIFO, socket or device'})`}; ${fix} or remove it`);
  }
  const folder = dirname(path);
  const kind = pathKind(folder, fix);
  if (kind === 'missing') throw new UsageError(`cannot write ${path}: the folder ${folder} does not exist; create it (mkdir -p ${folder}) or ${fix}`);
  if (kind !== 'directory') throw new UsageError(`cannot write ${path}: ${folder} is not a directory; ${fix}`);
  try {
    return openSync(path, 'wx', 0o644);
  } catch (error) {
    throw new UsageError(`cannot write ${path} (${reason((error as NodeJS.ErrnoException).code)}); ${fix}`);
  }
}

/** An errno code in words, for the few a user can act on. */
function reason(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'a symlink loop';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EROFS':
      return 'a read-only file system';
    default:
      return code ?? 'unknown error';
  }
}
