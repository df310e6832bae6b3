import { randomFillSync } from 'node:crypto';

// UUIDv7 (RFC 9562): 48-bit millisecond timestamp, then a counter that keeps ids minted within
// one millisecond in order, then randomness. Random bytes are drawn in blocks: one syscall
// serves many ids, which keeps id minting off the decision hot path's cost.
const POOL_SIZE = 8 * 1024;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;
let lastMs = -1;
let counter = 0;
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function randomBytes8(): Buffer {
  if (poolOffset + 8 > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + 8);
  poolOffset += 8;
  return slice;
}

/** A new UUIDv7 string; ids from one process sort in creation order. */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else {
    // Same millisecond (or the clock stepped back): advance the counter; on overflow borrow the
    // next millisecond so order is never broken.
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
  }
  const ms = lastMs;
  const r = randomBytes8();
  const tsHex = ms.toString(16).padStart(12, '0');
  const c = counter;
  return (
    tsHex.slice(0, 8) +
    '-' +
    tsHex.slice(8, 12) +
    '-' +
    '7' +
    HEX[(c >> 4) & 0xff] +
    (c & 0xf).toString(16) +
    '-' +
    HEX[0x80 | ((r[0] as number) & 0x3f)] +
    HEX[r[1] as number] +
    '-' +
    HEX[r[2] as number] +
    HEX[r[3] as number] +
    HEX[r[4] as number] +
    HEX[r[5] as number] +
    HEX[r[6] as number] +
    HEX[r[7] as number]
  );
}
