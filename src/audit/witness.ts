import type { Checkpoint } from './checkpoint.js';

/**
 * A store cannot prove its own completeness: whoever can rewrite the database can also delete
 * the checkpoints that would betray the rewrite, or re-sign everything with a new key. A witness
 * is somewhere else (a file on another volume, an HTTP service, a log shipper reading stdout)
 * that keeps every signed checkpoint the store publishes, as Certificate Transparency's
 * witnesses do, so a verifier can hold the store to what it once said.
 */

/** The format tag every statement carries. */
export const WITNESS_FORMAT = 'agt-witness/1';

/**
 * What a store publishes to its witnesses after each checkpoint commits: the signed checkpoint,
 * and what the witness must hold to catch a log that was re-keyed or stopped checkpointing (the
 * public key the checkpoint verifies with, and the cadence the store promised).
 */
export interface WitnessStatement {
  /** Always {@link WITNESS_FORMAT}. */
  format: typeof WITNESS_FORMAT;
  /** The checkpoint as the store signed it. */
  checkpoint: Checkpoint;
  /** The log's Ed25519 public key, SPKI PEM: every statement of one log names the same key. */
  publicKey: string;
  /** The store's checkpoint cadence: no more than this many entries between checkpoints. */
  checkpointEvery: number;
}

/**
 * Somewhere checkpoints are published to that the store's owner cannot silently rewrite.
 * `publish` is called once per checkpoint, in order, after the transaction that signed it
 * commits; a throw (or a rejected promise) breaks the store, as a failed commit does.
 */
export interface Witness {
  /**
   * Where a verifier reads the statements back (an absolute file path or an http(s) URL), saved
   * in the store's meta so that `agt audit verify` consults it; null when the witness cannot be
   * read back (a stream to a log shipper).
   */
  readonly location: string | null;
  /** Records one statement durably (or rejects). */
  publish(statement: WitnessStatement): void | Promise<void>;
}

/** One statement per line, as witnesses store and serve them. */
export function statementLine(statement: WitnessStatement): string {
  return JSON.stringify(statement) + '\n';
}

/** A statement as read back from a witness: its line number (1-based) and the parsed value, unchecked. */
export interface WitnessLine {
  line: number;
  value: unknown;
}

/** What was read from one witness: its statements (unchecked), or why it could not be read. */
export type WitnessSource = { location: string; lines: WitnessLine[] } | { location: string; error: string };

/**
 * Parses a witness's text: JSON lines (blank lines skipped), or one JSON array of statements. A
 * line that is not JSON is kept as a value the checks refuse, located by its line.
 */
export function parseWitnessText(text: string): WitnessLine[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    try {
      const values = JSON.parse(trimmed) as unknown;
      if (Array.isArray(values)) return values.map((value, i) => ({ line: i + 1, value }));
    } catch {
      // not one array: read it as lines, which names the bad one
    }
  }
  const lines: WitnessLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      lines.push({ line: i + 1, value: JSON.parse(raw) as unknown });
    } catch {
      lines.push({ line: i + 1, value: NOT_JSON });
    }
  });
  return lines;
}

/** Marks a line that did not parse (the checks report it as such). */
export const NOT_JSON: unique symbol = Symbol('not JSON');
