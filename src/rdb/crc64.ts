// CRC-64/Jones as Redis's crc64.c computes it (reflected polynomial 0xad93d23594c935a9, initial
// value 0, no final xor): the checksum of RDB files and DUMP payloads. Check value:
// crc64("123456789") = 0xe9c6d914c4b8d9ca.
//
// Slicing-by-8 over 32-bit halves (JS has no fast 64-bit integers): 8 tables of 256 entries,
// 16 lookups per 8 input bytes. The running value is kept as two uint32 halves.

const LO = new Uint32Array(8 * 256);
const HI = new Uint32Array(8 * 256);
(() => {
  // Reflected 0xad93d23594c935a9 = 0x95ac9329ac4bc9b5.
  const PLO = 0xac4bc9b5;
  const PHI = 0x95ac9329;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const bit = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi = hi >>> 1;
      if (bit) {
        lo = (lo ^ PLO) >>> 0;
        hi = (hi ^ PHI) >>> 0;
      }
    }
    LO[i] = lo;
    HI[i] = hi;
  }
  for (let t = 1; t < 8; t++) {
    for (let i = 0; i < 256; i++) {
      const plo = LO[(t - 1) * 256 + i]!;
      const phi = HI[(t - 1) * 256 + i]!;
      const idx = plo & 0xff;
      // next = table0[low byte] ^ (prev >> 8)
      LO[t * 256 + i] = (LO[idx]! ^ ((plo >>> 8) | (phi << 24))) >>> 0;
      HI[t * 256 + i] = (HI[idx]! ^ (phi >>> 8)) >>> 0;
    }
  }
})();

/** A running CRC-64: feed bytes with update(), read lo/hi (or bigint / 8 LE bytes). */
export class Crc64 {
  lo = 0;
  hi = 0;

  update(b: Uint8Array, start = 0, end = b.length): this {
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    // byte at a time until 8 or fewer remain in aligned chunks
    const fast = end - 8;
    while (i <= fast) {
      lo ^= b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
      hi ^= b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24);
      const a0 = 7 * 256 + (lo & 0xff);
      const a1 = 6 * 256 + ((lo >>> 8) & 0xff);
      const a2 = 5 * 256 + ((lo >>> 16) & 0xff);
      const a3 = 4 * 256 + (lo >>> 24);
      const a4 = 3 * 256 + (hi & 0xff);
      const a5 = 2 * 256 + ((hi >>> 8) & 0xff);
      const a6 = 256 + ((hi >>> 16) & 0xff);
      const a7 = hi >>> 24;
      lo = LO[a0]! ^ LO[a1]! ^ LO[a2]! ^ LO[a3]! ^ LO[a4]! ^ LO[a5]! ^ LO[a6]! ^ LO[a7]!;
      hi = HI[a0]! ^ HI[a1]! ^ HI[a2]! ^ HI[a3]! ^ HI[a4]! ^ HI[a5]! ^ HI[a6]! ^ HI[a7]!;
      i += 8;
    }
    for (; i < end; i++) {
      const idx = (lo ^ b[i]!) & 0xff;
      const nlo = (lo >>> 8) | (hi << 24);
      hi = HI[idx]! ^ (hi >>> 8);
      lo = LO[idx]! ^ nlo;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** Writes the value as 8 little-endian bytes at out[at]. */
  writeLE(out: Uint8Array, at: number): void {
    const lo = this.lo;
    const hi = this.hi;
    out[at] = lo & 0xff;
    out[at + 1] = (lo >>> 8) & 0xff;
    out[at + 2] = (lo >>> 16) & 0xff;
    out[at + 3] = lo >>> 24;
    out[at + 4] = hi & 0xff;
    out[at + 5] = (hi >>> 8) & 0xff;
    out[at + 6] = (hi >>> 16) & 0xff;
    out[at + 7] = hi >>> 24;
  }

  /** Does out[at..at+8] hold this value (little endian)? */
  equalsLE(b: Uint8Array, at: number): boolean {
    const lo = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
    const hi = (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) >>> 0;
    return lo === this.lo && hi === this.hi;
  }

  get value(): bigint {
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }
}

/** CRC-64/Jones of b[start, end) as a bigint. */
export function crc64(b: Uint8Array, start = 0, end = b.length): bigint {
  return new Crc64().update(b, start, end).value;
}
