import { closeSync, constants, fchmodSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { agentKeyFromJwk, publicKeyFromJwk, type AgentKey } from './agent-key.js';
import { identityFailure, type IdentityFailure } from './failure.js';

/**
 * Key files: one JWK per file. A private key file is created exclusively with mode 0600 (an
 * existing file is never overwritten, so a typo cannot destroy a key), and read only when it is a
 * regular file no larger than a JWK can be and not readable by group or others (as ssh refuses a
 * private key with open permissions). Errors name the file and the fix, never the key.
 */

/** A JWK is about 150 bytes; a few KiB leaves room for `kid` and white space, and bounds a hostile file. */
export const MAX_KEY_FILE_BYTES = 4 * 1024;

/** Where a key file was written. */
export interface KeyFileWritten {
  readonly ok: true;
  readonly path: string;
}

/** Writes `key`'s private JWK to a new file at `path`, mode 0600; refuses when `path` exists. */
export function writeAgentKeyFile(path: string, key: AgentKey): KeyFileWritten | IdentityFailure {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return identityFailure('unavailable', `${path} already exists; key files are never overwritten: choose another path, or remove the old key deliberately`);
    return identityFailure('unavailable', `cannot create ${path} (${code ?? 'I/O error'}); check that the directory exists and is writable`);
  }
  try {
    fchmodSync(fd, 0o600); // the umask may only remove bits, but be explicit about the result
    writeSync(fd, `${JSON.stringify(key.privateJwk())}\n`);
    return { ok: true, path };
  } catch (error) {
    return identityFailure('unavailable', `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? 'I/O error'})`);
  } finally {
    closeSync(fd);
  }
}

/** The agent key in the private key file at `path`, or a failure naming the file and the fix. */
export function readAgentKeyFile(path: string): AgentKey | IdentityFailure {
  const json = readKeyFileJson(path, true);
  return isJsonFailure(json) ? json : agentKeyFromJwk(json, path);
}

/** The public key in the public JWK file at `path`; a file holding a private key is refused. */
export function readPublicKeyFile(path: string): KeyObject | IdentityFailure {
  const json = readKeyFileJson(path, false);
  return isJsonFailure(json) ? json : publicKeyFromJwk(json, path);
}

function isJsonFailure(value: unknown): value is IdentityFailure {
  return typeof value === 'object' && value !== null && (value as { ok?: unknown }).ok === false && typeof (value as { kind?: unknown }).kind === 'string';
}

function readKeyFileJson(path: string, isPrivate: boolean): unknown {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return identityFailure('unavailable', `${path} does not exist; create a key with 'agt identity new --out ${path}'`);
    if (code === 'ELOOP') return identityFailure('unavailable', `${path} is a symbolic link; key files must be regular files`);
    return identityFailure('unavailable', `cannot open ${path} (${code ?? 'I/O error'})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return identityFailure('unavailable', `${path} is not a regular file`);
    if (stat.size > MAX_KEY_FILE_BYTES) return identityFailure('too_large', `${path} is ${stat.size} bytes, over the ${MAX_KEY_FILE_BYTES}-byte bound for a key file; is it the right file?`);
    if (isPrivate && process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      return identityFailure('unavailable', `${path} is readable by group or others (mode ${(stat.mode & 0o777).toString(8)}); run 'chmod 600 ${path}'`);
    }
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let length = 0;
    for (let n = 1; n > 0 && length <= MAX_KEY_FILE_BYTES; length += n) n = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_KEY_FILE_BYTES) return identityFailure('too_large', `${path} grew past the ${MAX_KEY_FILE_BYTES}-byte bound while being read`);
    try {
      return JSON.parse(buffer.subarray(0, length).toString('utf8')) as unknown;
    } catch {
      return identityFailure('malformed', `${path} is not JSON; a key file holds one JWK object`);
    }
  } finally {
    closeSync(fd);
  }
}
