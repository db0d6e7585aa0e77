// Listpacks (Redis 7's compact sequence format): building them byte for byte as Redis's
// lpAppend does, and reading them back with full validation.
//
// Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), entries, 0xFF.
// Entry: encoding + data, then "backlen" (the size of encoding + data, 7 bits per byte,
// written so it can be read from the end). Integers use the smallest of 7-bit unsigned,
// 13, 16, 24, 32 or 64-bit signed; strings a 6, 12 or 32-bit length.

import { parseI64 } from "../util/numbers.ts";

export class RdbFormatError extends Error {}

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

/** Size of the backlen field for an entry of l bytes. */
function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Builds one listpack. Reused: reset() between listpacks. */
export class LpBuilder {
  buf: Buffer = Buffer.allocUnsafe(8192);
  pos = 6;
  count = 0;

  reset(): void {
    this.pos = 6;
    this.count = 0;
  }

  /** Size the listpack has now (header, entries, terminator): Redis's lpBytes. */
  get bytes(): number {
    return this.pos + 1;
  }

  private ensure(n: number): void {
    const need = this.pos + n + 1;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    nb.set(this.buf.subarray(0, this.pos), 0);
    this.buf = nb;
  }

  private backlen(l: number): void {
    const b = this.buf;
    if (l <= 127) b[this.pos++] = l;
    else if (l < 16383) {
      b[this.pos++] = l >>> 7;
      b[this.pos++] = (l & 127) | 128;
    } else if (l < 2097151) {
      b[this.pos++] = l >>> 14;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    } else if (l < 268435455) {
      b[this.pos++] = l >>> 21;
      b[this.pos++] = ((l >>> 14) & 127) | 128;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    } else {
      b[this.pos++] = Math.floor(l / 268435456);
      b[this.pos++] = ((l >>> 21) & 127) | 128;
      b[this.pos++] = ((l >>> 14) & 127) | 128;
      b[this.pos++] = ((l >>> 7) & 127) | 128;
      b[this.pos++] = (l & 127) | 128;
    }
  }

  /** Appends an element: integers (canonical int64 text) get an integer encoding, as lpAppend. */
  add(s: string): void {
    const n = s.length;
    if (n > 0 && n <= 20) {
      const c = s.charCodeAt(n - 1);
      if (c >= 48 && c <= 57) {
        const v = parseI64(s);
        if (v === v) {
          if (v >= -9007199254740991 && v <= 9007199254740991) return this.addInt(v);
          return this.addBig(BigInt(s));
        }
      }
    }
    this.addStr(s);
  }

  /** Appends a string element as a string, whatever it looks like. */
  addStr(s: string): void {
    const n = s.length;
    this.ensure(n + 10);
    const b = this.buf;
    let hdr: number;
    if (n < 64) {
      b[this.pos++] = 0x80 | n;
      hdr = 1;
    } else if (n < 4096) {
      b[this.pos++] = 0xe0 | (n >>> 8);
      b[this.pos++] = n & 0xff;
      hdr = 2;
    } else {
      b[this.pos++] = 0xf0;
      b.writeUInt32LE(n, this.pos);
      this.pos += 4;
      hdr = 5;
    }
    this.pos += b.latin1Write(s, this.pos);
    this.backlen(hdr + n);
    this.count++;
  }

  /** Appends an integer (|v| <= 2^53). */
  addInt(v: number): void {
    this.ensure(10);
    const b = this.buf;
    if (v >= 0 && v <= 127) {
      b[this.pos++] = v;
      b[this.pos++] = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? 8192 + v : v;
      b[this.pos++] = 0xc0 | (u >>> 8);
      b[this.pos++] = u & 0xff;
      b[this.pos++] = 2;
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = 0xf1;
      b.writeInt16LE(v, this.pos);
      this.pos += 2;
      b[this.pos++] = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      b[this.pos++] = 0xf2;
      b.writeIntLE(v, this.pos, 3);
      this.pos += 3;
      b[this.pos++] = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      b[this.pos++] = 0xf3;
      b.writeInt32LE(v, this.pos);
      this.pos += 4;
      b[this.pos++] = 5;
    } else {
      b[this.pos++] = 0xf4;
      b.writeBigInt64LE(BigInt(v), this.pos);
      this.pos += 8;
      b[this.pos++] = 9;
    }
    this.count++;
  }

  private addBig(v: bigint): void {
    this.ensure(10);
    this.buf[this.pos++] = 0xf4;
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
    this.buf[this.pos++] = 9;
    this.count++;
  }

  /** Writes header and terminator; returns the listpack (a view into the builder). */
  finish(): Buffer {
    this.ensure(1);
    const total = this.pos + 1;
    this.buf[this.pos] = 0xff;
    this.buf.writeUInt32LE(total, 0);
    this.buf.writeUInt16LE(this.count < 65535 ? this.count : 65535, 4);
    return this.buf.subarray(0, total);
  }
}

/** Bytes an element adds to a listpack (for quicklist fill decisions made ahead of time). */
export function lpEntrySize(s: string): number {
  const n = s.length;
  if (n > 0 && n <= 20) {
    const c = s.charCodeAt(n - 1);
    if (c >= 48 && c <= 57) {
      const v = parseI64(s);
      if (v === v) {
        if (v >= 0 && v <= 127) return 2;
        if (v >= -4096 && v <= 4095) return 3;
        if (v >= -32768 && v <= 32767) return 4;
        if (v >= -8388608 && v <= 8388607) return 5;
        if (v >= -2147483648 && v <= 2147483647) return 6;
        return 10;
      }
    }
  }
  const l = (n < 64 ? 1 : n < 4096 ? 2 : 5) + n;
  return l + backlenSize(l);
}

/**
 * Reads every element of the listpack in b[start, end) into `out` (integers as decimal text),
 * validating header, entry encodings, back lengths and the terminator. Throws RdbFormatError.
 */
export function lpRead(b: Uint8Array, start: number, end: number, out: string[]): void {
  const size = end - start;
  if (size < 7) throw new RdbFormatError("listpack too short");
  const total = (b[start]! | (b[start + 1]! << 8) | (b[start + 2]! << 16) | (b[start + 3]! << 24)) >>> 0;
  if (total !== size) throw new RdbFormatError("listpack size mismatch");
  const declared = b[start + 4]! | (b[start + 5]! << 8);
  if (b[end - 1] !== 0xff) throw new RdbFormatError("listpack terminator missing");
  const last = end - 1;
  let p = start + 6;
  let count = 0;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  while (p < last) {
    const e = b[p]!;
    let entry: number; // encoding + data bytes
    if (e < 0x80) {
      out.push(String(e));
      entry = 1;
    } else if (e < 0xc0) {
      const n = e & 0x3f;
      entry = 1 + n;
      if (p + entry > last) throw new RdbFormatError("listpack entry overflows");
      out.push(latin1Slice.call(b, p + 1, p + 1 + n));
    } else if (e < 0xe0) {
      if (p + 2 > last) throw new RdbFormatError("listpack entry overflows");
      let u = ((e & 0x1f) << 8) | b[p + 1]!;
      if (u >= 4096) u -= 8192;
      out.push(String(u));
      entry = 2;
    } else if (e < 0xf0) {
      if (p + 2 > last) throw new RdbFormatError("listpack entry overflows");
      const n = ((e & 0x0f) << 8) | b[p + 1]!;
      entry = 2 + n;
      if (p + entry > last) throw new RdbFormatError("listpack entry overflows");
      out.push(latin1Slice.call(b, p + 2, p + 2 + n));
    } else if (e === 0xf0) {
      if (p + 5 > last) throw new RdbFormatError("listpack entry overflows");
      const n = dv.getUint32(p + 1, true);
      entry = 5 + n;
      if (p + entry > last) throw new RdbFormatError("listpack entry overflows");
      out.push(latin1Slice.call(b, p + 5, p + 5 + n));
    } else if (e === 0xf1) {
      if (p + 3 > last) throw new RdbFormatError("listpack entry overflows");
      out.push(String(dv.getInt16(p + 1, true)));
      entry = 3;
    } else if (e === 0xf2) {
      if (p + 4 > last) throw new RdbFormatError("listpack entry overflows");
      let v = b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16);
      if (v >= 0x800000) v -= 0x1000000;
      out.push(String(v));
      entry = 4;
    } else if (e === 0xf3) {
      if (p + 5 > last) throw new RdbFormatError("listpack entry overflows");
      out.push(String(dv.getInt32(p + 1, true)));
      entry = 5;
    } else if (e === 0xf4) {
      if (p + 9 > last) throw new RdbFormatError("listpack entry overflows");
      out.push(dv.getBigInt64(p + 1, true).toString());
      entry = 9;
    } else throw new RdbFormatError("listpack bad entry encoding");
    p += entry;
    // back length: must encode `entry` exactly
    const bl = backlenSize(entry);
    if (p + bl > last) throw new RdbFormatError("listpack back length overflows");
    for (let k = 0; k < bl; k++) {
      let x = Math.floor(entry / 2 ** (7 * (bl - 1 - k))) & 127;
      if (k > 0) x |= 128;
      if (b[p + k] !== x) throw new RdbFormatError("listpack back length mismatch");
    }
    p += bl;
    count++;
  }
  if (p !== last) throw new RdbFormatError("listpack entries overflow");
  if (declared !== 65535 && declared !== count) throw new RdbFormatError("listpack count mismatch");
}
