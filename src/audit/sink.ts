import type { AuditEntry } from './entry.js';

/**
 * Where entries go. A sink receives frozen entries in chain order. Sinks that can be read back
 * (memory, JSONL, later SQLite) also hand the chain's tail to a log resuming on them.
 */
export interface AuditSink {
  append(entry: AuditEntry): void;
  /** The last entry already stored, so a new AuditLog continues the chain. */
  last(): AuditEntry | null;
  /** Every stored entry, in order (for verification and export). */
  read(): Iterable<unknown>;
  /** Makes every appended entry durable. */
  flush(): void;
  close(): void;
}

/** Keeps entries in an array. The default for tests, scripts and benchmarks. */
export class MemoryAuditSink implements AuditSink {
  private readonly items: AuditEntry[] = [];

  append(entry: AuditEntry): void {
    this.items.push(entry);
  }
  last(): AuditEntry | null {
    return this.items[this.items.length - 1] ?? null;
  }
  read(): readonly AuditEntry[] {
    return this.items;
  }
  flush(): void {}
  close(): void {}
}
