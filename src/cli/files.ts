import { PolicyLoadError } from '../core/errors.js';
import { readTextFile } from '../policy/document/read-file.js';
import { UsageError } from './errors.js';

/**
 * Reads a file named on the command line (a key, a proof) the way policies are read: a regular
 * file, bounded, strict UTF-8. A FIFO would otherwise block the command forever; any refusal is a
 * one-line usage error (exit 2).
 */
export function readArgumentFile(file: string, what: string, limit = 16 * 1024 * 1024): string {
  try {
    return readTextFile(file, file, limit, what);
  } catch (error) {
    if (!(error instanceof PolicyLoadError)) throw error;
    const issue = error.issues[0];
    throw new UsageError(`cannot read ${what} ${file}: ${issue?.message ?? error.message}`);
  }
}
