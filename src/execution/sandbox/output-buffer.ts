/**
 * Keeps the first `cap` bytes of a stream and counts the rest: a process that prints without end
 * costs the host a fixed amount of memory, and the result says it was cut.
 */
export class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** True once bytes past the cap arrived and were discarded. */
  truncated = false;

  constructor(private readonly cap: number) {}

  /** Takes one chunk of the stream. */
  push(chunk: Buffer): void {
    const room = this.cap - this.kept;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  /** The kept bytes as UTF-8 (a character cut at the cap becomes U+FFFD). */
  text(): string {
    return Buffer.concat(this.chunks, this.kept).toString('utf8');
  }
}
