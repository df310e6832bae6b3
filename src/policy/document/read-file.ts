import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { PolicyLoadError, type PolicyIssue } from '../../core/errors.js';

/**
 * Reads a policy (or key, or test) file safely: only a regular file, at most `limit` bytes, and
 * strict UTF-8. A FIFO or a device named `*.yaml` would otherwise block `readFileSync` forever
 * (or read without end), a directory throws a raw EISDIR, and bad bytes would load as U+FFFD.
 * Every refusal is a {@link PolicyLoadError} naming the file (`label`) with a stable code.
 */
export function readTextFile(file: string, label: string, limit: number, what = 'policy file'): string {
  const fail = (code: string, message: string, hint?: string, at: Partial<PolicyIssue> = {}): never => {
    throw new PolicyLoadError([{ severity: 'error', code, file: label, ...at, message, ...(hint ? { hint } : {}) }]);
  };
  let fd: number;
  try {
    // stat first, so a FIFO is never opened; O_NONBLOCK so one swapped in meanwhile cannot block the open.
    if (!statSync(file).isFile()) notRegular(statSync(file).isDirectory(), what, fail);
    fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof PolicyLoadError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'ENOENT' ? 'no-such-file' : 'unreadable-file', code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`);
  }
  let bytes: Buffer;
  try {
    // fstat the open descriptor: the path may have changed between stat and open.
    if (!fstatSync(fd).isFile()) notRegular(fstatSync(fd).isDirectory(), what, fail);
    bytes = readAtMost(fd, limit + 1);
  } finally {
    closeSync(fd);
  }
  if (bytes.length > limit) fail('policy-too-large', `${what} is larger than the limit of ${limit} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = invalidUtf8Offset(bytes);
    const line = bytes.subarray(0, offset).filter((b) => b === 0x0a).length + 1;
    return fail('invalid-utf8', `${what} is not valid UTF-8: bad byte at offset ${offset}`, 'save the file as UTF-8', { line });
  }
}

function notRegular(isDirectory: boolean, what: string, fail: (code: string, message: string, hint?: string) => never): never {
  if (isDirectory) return fail('is-a-directory', `is a directory, not a ${what}`, 'rename the directory, or point at the files inside it');
  return fail('not-a-regular-file', `is not a regular file (a FIFO, socket or device), so it is not read as a ${what}`, `replace it with a regular ${what}`);
}

/** Reads until end of file or `max` bytes, whichever comes first. */
function readAtMost(fd: number, max: number): Buffer {
  const buffer = Buffer.alloc(max);
  let total = 0;
  while (total < max) {
    const n = readSync(fd, buffer, total, max - total, null);
    if (n === 0) break;
    total += n;
  }
  return buffer.subarray(0, total);
}

/** Byte offset of the first invalid UTF-8 sequence: the first U+FFFD the lenient decoder made up. */
function invalidUtf8Offset(bytes: Buffer): number {
  let offset = 0;
  for (const char of bytes.toString('utf8')) {
    // a U+FFFD written in the file as EF BF BD is valid; one that stands for other bytes is not
    if (char === '\uFFFD' && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) return offset;
    offset += Buffer.byteLength(char);
  }
  return offset;
}
