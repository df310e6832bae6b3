import { withIdentities, type AuditEntry } from './entry.js';
import { RecordStore } from './record-store.js';
import { verifyStore, type VerifyResult } from './verify.js';

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
  /**
   * For sinks that commit in the background: a promise that settles once everything appended so
   * far is durable (rejecting if it cannot be), or null when nothing is waiting. Sinks without
   * it are durable (or as durable as they will get) when append returns.
   */
  durable?(): Promise<void> | null;
  close(): void;
}

/**
 * Keeps the log in memory, outside the JavaScript heap: each entry's canonical content and hash
 * in a {@link RecordStore}, which is what verification re-hashes and costs the garbage
 * collector nothing to retain. Entries are rebuilt (frozen) when read.
 */
export class MemoryAuditSink implements AuditSink {
  private readonly store = new RecordStore();
  private tail: AuditEntry | null = null;

  append({ entry, content }: AuditRecord): void {
    this.store.append(content, entry.hash);
    this.tail = entry;
  }

  last(): AuditEntry | null {
    return this.tail;
  }

  *read(): Generator<AuditEntry> {
    for (let i = 0; i < this.store.size; i++) {
      yield Object.freeze({ ...withIdentities(JSON.parse(this.store.content(i)) as Omit<AuditEntry, 'hash'>), hash: this.store.hash(i) });
    }
  }

  verify(): VerifyResult {
    return verifyStore(this.store);
  }

  get size(): number {
    return this.store.size;
  }

  flush(): void {}
  close(): void {}
}
