/**
 * Anti-replay for counters that may arrive out of order, the sliding window of IPsec (RFC 4303
 * §3.4.3) and DTLS (RFC 6347 §4.1.2.6): remember the highest counter accepted and which of the
 * `size` counters just below it were seen. A counter above the highest moves the window; one
 * inside it is accepted once; one below it is refused (it may have been seen; it can no longer
 * be told apart). So concurrent calls of one session may overtake each other by up to `size - 1`
 * without a false refusal, and no counter is ever accepted twice.
 */
export class ReplayWindow {
  /** Bit per counter, indexed by counter mod size: a ring, so moving the window clears only what it passes. */
  private readonly seen: Uint8Array;
  private highest = 0;

  constructor(private readonly size: number = 64) {
    if (!Number.isSafeInteger(size) || size < 1 || size > 65_536) throw new RangeError('the replay window size must be an integer from 1 to 65536');
    this.seen = new Uint8Array(size);
  }

  /** Whether `counter` (a positive safe integer) would be accepted now; no side effect. */
  wouldAccept(counter: number): boolean {
    if (counter > this.highest) return true;
    if (counter <= this.highest - this.size || counter < 1) return false;
    return this.seen[counter % this.size] === 0;
  }

  /** Records `counter` as accepted. Call only after {@link wouldAccept} said yes and the proof verified. */
  accept(counter: number): void {
    if (counter > this.highest) {
      const advance = Math.min(counter - this.highest, this.size);
      for (let i = 1; i <= advance; i++) this.seen[(this.highest + i) % this.size] = 0;
      this.highest = counter;
    }
    this.seen[counter % this.size] = 1;
  }
}
