import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { describeError, GovernanceError } from '../core/errors.js';
import type { AuditEntry } from './entry.js';
import { flushAtExit, forgetAtExit } from './exit-flush.js';
import type { AuditRecord, AuditSink } from './sink.js';
import { verifyChain, type VerifyResult } from './verify.js';

/**
 * Appends entries as JSON lines. Writes are batched: entries appended in one tick are written
 * together right after it (and on flush(), close() and process exit), so a burst of decisions
 * costs one write system call instead of one each.
 */
export class JsonlAuditSink implements AuditSink {
  private readonly fd: number;
  private buffer: string[] = [];
  private scheduled = false;
  private tail: AuditEntry | null = null;
  private closed = false;
  /** The write error that broke this sink; every later append fails with it (fail closed). */
  private failure: Error | null = null;

  constructor(readonly path: string) {
    if (existsSync(path) && !statSync(path).isFile()) throw new GovernanceError('ERR_AGT_AUDIT_STORE', `audit log ${path} is not a regular file`);
    this.tail = existsSync(path) ? lastEntryOf(path) : null;
    this.fd = openSync(path, 'a');
    flushAtExit(this);
  }

  append({ entry, content }: AuditRecord): void {
    if (this.closed) throw new GovernanceError('ERR_AGT_AUDIT_STORE', `audit sink ${this.path} is closed`);
    if (this.failure) throw new GovernanceError('ERR_AGT_AUDIT_STORE', `audit sink ${this.path} failed to write: ${this.failure.message}`, { cause: this.failure });
    // The canonical content with the hash added: a JSON object per line (keys in canonical order, then hash).
    this.buffer.push(content.slice(0, -1) + ',"hash":"' + entry.hash + '"}\n');
    this.tail = entry;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flushInBackground());
    }
  }

  last(): AuditEntry | null {
    return this.tail;
  }

  read(): Iterable<unknown> {
    this.flush();
    return readJsonl(this.path);
  }

  verify(): VerifyResult {
    return verifyChain(this.read());
  }

  /** Writes what is buffered; throws if the file cannot be written (and from then on, on every append). */
  flush(): void {
    this.scheduled = false;
    if (this.failure) throw this.failure;
    if (this.buffer.length === 0 || this.closed) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    try {
      writeSync(this.fd, chunk);
    } catch (error) {
      this.failure = new GovernanceError('ERR_AGT_AUDIT_STORE', `audit sink ${this.path} could not write: ${describeError(error)}`, { cause: error });
      throw this.failure;
    }
  }

  /** The batched write after a tick: an error here has no caller, so it is kept for the next append. */
  private flushInBackground(): void {
    try {
      this.flush();
    } catch {
      // Recorded in `failure`: the next append throws, and the kernel denies that call.
    }
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    forgetAtExit(this);
    closeSync(this.fd);
  }
}

/**
 * Reads a JSONL audit file. A line that is not JSON yields a marker string rather than throwing,
 * so verification reports it as the bad entry instead of crashing.
 */
export function readJsonl(path: string): Generator<unknown> {
  return parseJsonl(readFileSync(path, 'utf8'));
}

/** The values of JSONL text, one per non-blank line; a line that is not JSON yields a marker string (see {@link readJsonl}). */
export function* parseJsonl(text: string): Generator<unknown> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as unknown;
    } catch {
      yield `unparseable line: ${line.slice(0, 80)}`;
    }
  }
}

function lastEntryOf(path: string): AuditEntry | null {
  let last: unknown = null;
  for (const entry of readJsonl(path)) last = entry;
  if (last === null) return null;
  if (typeof last !== 'object') throw new GovernanceError('ERR_AGT_AUDIT_CORRUPT', `audit file ${path} ends with a malformed line; run verify before appending`);
  return last as AuditEntry;
}
