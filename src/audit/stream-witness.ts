import type { Writable } from 'node:stream';
import { statementLine, type Witness, type WitnessStatement } from './witness.js';

/**
 * A witness that writes one JSON line per checkpoint to a stream, e.g. `process.stdout` for a
 * log shipper that forwards it somewhere the store's owner cannot rewrite. It cannot be read
 * back, so it is not recorded in the store: verify against wherever the shipper delivers (saved
 * as JSON lines, it is a file a {@link FileWitness} would have written).
 */
export class StreamWitness implements Witness {
  /** Null: a stream is not read back. */
  readonly location = null;

  constructor(private readonly stream: Writable) {}

  /** Resolves once the stream has taken the line; rejects if it fails. */
  publish(statement: WitnessStatement): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(statementLine(statement), (error) => (error ? reject(error) : resolve()));
    });
  }
}
