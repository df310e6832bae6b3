/**
 * An append-only store of audit records kept outside the JavaScript heap: each record's canonical
 * content as UTF-8 bytes in large buffers, and its SHA-256 as 64 hex bytes. Retaining a record
 * costs the garbage collector nothing (a heap of entry objects would be copied and marked again
 * and again), and verification hashes the bytes where they lie, or hands whole runs of them to a
 * helper thread with one copy.
 */

const CHUNK_BYTES = 8 * 1024 * 1024;
const HASH_BYTES = 64;

/** Where a run of consecutive records lies: one chunk, contiguous bytes. */
export interface RecordRun {
  /** Index of the first record. */
  first: number;
  count: number;
  chunk: Buffer;
  /** Byte offsets of the records within `chunk`, `count + 1` of them. */
  starts: Int32Array;
}

/** Append-only canonical content and hashes, off the JavaScript heap (see the module comment). */
export class RecordStore {
  private readonly chunks: Buffer[] = [];
  private used = CHUNK_BYTES;
  private chunkOf = new Int32Array(1024);
  /** starts[i] .. ends[i] bound record i in its chunk. */
  private starts = new Int32Array(1024);
  private ends = new Int32Array(1024);
  private hashes = Buffer.alloc(1024 * HASH_BYTES);
  private length = 0;

  get size(): number {
    return this.length;
  }

  /** Stores `content` with its SHA-256 (hex), as the audit log computed it. */
  append(content: string, digest: string): void {
    const room = content.length * 3; // UTF-8 never needs more than 3 bytes per UTF-16 unit
    let chunk = this.chunks[this.chunks.length - 1];
    if (!chunk || this.used + room > chunk.length) {
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, room));
      this.chunks.push(chunk);
      this.used = 0;
    }
    const start = this.used;
    const end = start + chunk.write(content, start, 'utf8');
    this.grow();
    const i = this.length;
    this.chunkOf[i] = this.chunks.length - 1;
    this.starts[i] = start;
    this.ends[i] = end;
    this.hashes.write(digest, i * HASH_BYTES, 'latin1');
    this.used = end;
    this.length++;
  }

  content(i: number): string {
    return (this.chunks[this.chunkOf[i] as number] as Buffer).toString('utf8', this.starts[i], this.ends[i]);
  }

  hash(i: number): string {
    return this.hashes.toString('latin1', i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  /** Record i's hash as 64 hex bytes (a view). */
  hashBytes(i: number): Buffer {
    return this.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
  }

  /** The records from `first` on, at most `max`, that lie together in one chunk. */
  run(first: number, max: number): RecordRun {
    const chunkIndex = this.chunkOf[first] as number;
    let count = 0;
    while (count < max && first + count < this.length && this.chunkOf[first + count] === chunkIndex) count++;
    const starts = new Int32Array(count + 1);
    for (let k = 0; k < count; k++) starts[k] = this.starts[first + k] as number;
    starts[count] = this.ends[first + count - 1] as number;
    return { first, count, chunk: this.chunks[chunkIndex] as Buffer, starts };
  }

  /** The hashes of records first .. first + count - 1, as contiguous hex bytes (a view). */
  hashRun(first: number, count: number): Buffer {
    return this.hashes.subarray(first * HASH_BYTES, (first + count) * HASH_BYTES);
  }

  private grow(): void {
    if (this.length < this.starts.length) return;
    const capacity = this.starts.length * 2;
    const resize = (array: Int32Array) => {
      const next = new Int32Array(capacity);
      next.set(array);
      return next;
    };
    this.chunkOf = resize(this.chunkOf);
    this.starts = resize(this.starts);
    this.ends = resize(this.ends);
    const hashes = Buffer.alloc(capacity * HASH_BYTES);
    this.hashes.copy(hashes);
    this.hashes = hashes;
  }
}
