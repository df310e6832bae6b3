import { randomFillSync } from 'node:crypto';

// UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then a 12-bit counter that keeps ids minted
// within one millisecond in order, then 62 random bits. Random bytes are drawn in blocks (one
// syscall serves a thousand ids) and the text is written into a byte buffer and read out once,
// which yields a flat string: ids are kept in audit entries, and a string built by 30
// concatenations would keep 30 heap objects alive per id and slow every garbage collection.
const POOL_SIZE = 8 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;
let lastMs = -1;
let counter = 0;
const HEX_CODES = Buffer.from('0123456789abcdef', 'latin1');
const text = Buffer.from('00000000-0000-7000-8000-000000000000', 'latin1');
/** Where each random byte's two hex digits go (after the variant nibble). */
const RANDOM_POSITIONS = [21, 24, 26, 28, 30, 32, 34];

function writeHexByte(at: number, byte: number): void {
  text[at] = HEX_CODES[byte >> 4] as number;
  text[at + 1] = HEX_CODES[byte & 0xf] as number;
}

/** A new UUIDv7 string; ids from one process sort in creation order. */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
    writeTimestamp(now);
  } else {
    // Same millisecond (or the clock stepped back): advance the counter; on overflow borrow the
    // next millisecond so order is never broken.
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
      writeTimestamp(lastMs);
    }
  }
  if (poolOffset + 8 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = poolOffset;
  poolOffset += 8;
  // version 7 + 12-bit counter: "7ccc"
  text[15] = HEX_CODES[(counter >> 8) & 0xf] as number;
  writeHexByte(16, counter & 0xff);
  // variant 10xx + 14 random bits, then 48 random bits
  writeHexByte(19, 0x80 | ((pool[r] as number) & 0x3f));
  for (let i = 0; i < RANDOM_POSITIONS.length; i++) writeHexByte(RANDOM_POSITIONS[i] as number, pool[r + 1 + i] as number);
  return text.toString('latin1', 0, 36);
}

function writeTimestamp(ms: number): void {
  // 48 bits: the high 16 bits and the low 32 bits, as 12 hex digits around the first dash
  const high = Math.floor(ms / 0x1_0000_0000);
  const low = ms >>> 0;
  const digits = [(high >> 8) & 0xff, high & 0xff, (low >>> 24) & 0xff, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff];
  const positions = [0, 2, 4, 6, 9, 11];
  for (let i = 0; i < 6; i++) writeHexByte(positions[i] as number, digits[i] as number);
}
