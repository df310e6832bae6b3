import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { statementLine, type Witness, type WitnessStatement } from './witness.js';

/** How a {@link FileWitness} writes. */
export interface FileWitnessOptions {
  /** fsync after each statement, so it survives power loss too (default false: in the OS before publish returns). */
  fsync?: boolean;
}

/**
 * A witness that appends one JSON line per checkpoint to a file, opened with O_APPEND for each
 * statement (so a rotated or replaced file is never written through an old descriptor). Point it
 * at another volume, a mounted share, or a directory the store's owner cannot rewrite (an
 * append-only file: `chattr +a`, or a WORM bucket mount). Its parent directory is created.
 */
export class FileWitness implements Witness {
  /** The file's absolute path. */
  readonly location: string;
  private readonly fsync: boolean;

  constructor(path: string, options: FileWitnessOptions = {}) {
    this.location = resolve(path);
    this.fsync = options.fsync ?? false;
    mkdirSync(dirname(this.location), { recursive: true });
  }

  /** Appends the statement as one line (one write). Throws if the file cannot be written. */
  publish(statement: WitnessStatement): void {
    const fd = openSync(this.location, 'a', 0o644);
    try {
      writeSync(fd, statementLine(statement));
      if (this.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
