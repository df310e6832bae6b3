import { randomFillSync } from 'node:crypto';

// UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then a 12-bit counter that keeps ids minted
// within one millisecond in order (RFC 9562 §6.2, method 1), then 62 random bits. Everything but
// the counter is the same for every id of one millisecond, so it is formatted once per
// millisecond: an id is then three cached strings joined, with no buffer read-out per id.
// Random bytes are drawn in blocks (one syscall serves a thousand milliseconds).
const POOL_SIZE = 8 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;
let lastMs = -1;
let counter = 0;
/** `tttttttt-tttt-7`: the timestamp and version of the current millisecond. */
let head = '';
/** `-vrrr-rrrrrrrrrrrr`: the variant and random bits of the current millisecond. */
let tail = '';
const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));

/** A new UUIDv7 string; ids from one process sort in creation order. */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
    startMillisecond(now);
  } else {
    // Same millisecond (or the clock stepped back): advance the counter; on overflow borrow the
    // next millisecond so order is never broken.
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
      startMillisecond(lastMs);
    }
  }
  return head + (HEX3[counter] as string) + tail;
}

function startMillisecond(ms: number): void {
  const high = Math.floor(ms / 0x1_0000_0000) & 0xffff;
  const low = ms >>> 0;
  head = hex(high >> 8) + hex(high & 0xff) + hex(low >>> 24) + hex((low >>> 16) & 0xff) + '-' + hex((low >>> 8) & 0xff) + hex(low & 0xff) + '-7';
  if (poolOffset + 8 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 8;
  let random = '';
  for (let i = 2; i < 8; i++) random += hex(pool[r + i] as number);
  // Flattened once per millisecond, so every id of it shares flat parts.
  tail = `-${hex(0x80 | ((pool[r] as number) & 0x3f))}${hex(pool[r + 1] as number)}-${random}`;
  head = flat(head);
  tail = flat(tail);
}

function hex(byte: number): string {
  return HEX2[byte] as string;
}

/** A flat copy of a string built by concatenation (V8 keeps such strings as trees until read). */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}
