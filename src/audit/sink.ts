import type { AuditEntry } from './entry.js';
import { verifyRecords, type VerifyResult } from './verify.js';

/** One appended entry with the canonical JSON its hash covers (sinks store what was hashed). */
export interface AuditRecord {
  entry: AuditEntry;
  /** RFC 8785 canonical JSON of the entry without `hash`. */
  content: string;
}

/**
 * Where entries go. A sink receives records in chain order, can hand back the chain's tail (so
 * a new AuditLog continues it), every entry, and a verification of what it stores.
 */
export interface AuditSink {
  append(record: AuditRecord): void;
  /** The last entry already stored, so a new AuditLog continues the chain. */
  last(): AuditEntry | null;
  /** Every stored entry, in order (for export), as frozen objects or raw values as stored. */
  read(): Iterable<unknown>;
  /** Re-checks every stored hash and link. Never throws. */
  verify(): VerifyResult;
  /** Makes every appended entry durable. */
  flush(): void;
  close(): void;
}

/**
 * Keeps the log in memory as the canonical content and hash of each entry: two flat strings an
 * entry, which is what verification re-hashes and far lighter on the garbage collector than
 * entry objects with a dozen strings each. Entries are rebuilt (frozen) when read.
 */
export class MemoryAuditSink implements AuditSink {
  private readonly contents: string[] = [];
  private readonly hashes: string[] = [];
  private tail: AuditEntry | null = null;

  append({ entry, content }: AuditRecord): void {
    this.contents.push(content);
    this.hashes.push(entry.hash);
    this.tail = entry;
  }

  last(): AuditEntry | null {
    return this.tail;
  }

  *read(): Generator<AuditEntry> {
    for (let i = 0; i < this.contents.length; i++) {
      yield Object.freeze({ ...(JSON.parse(this.contents[i] as string) as Omit<AuditEntry, 'hash'>), hash: this.hashes[i] as string });
    }
  }

  verify(): VerifyResult {
    return verifyRecords(this.contents, this.hashes);
  }

  get size(): number {
    return this.contents.length;
  }

  flush(): void {}
  close(): void {}
}
