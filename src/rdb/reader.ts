// Reads RDB primitives from a byte buffer with bounds checks: every malformed or truncated input
// ends in an RdbFormatError, never in an out-of-range read or a huge allocation.

import { RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF } from "./constants.ts";
import { RdbFormatError } from "./listpack.ts";
import { LzfError, lzfDecompress } from "./lzf.ts";

export { RdbFormatError };

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

/** A string as stored: either a view into the input or a fresh (decompressed) buffer. */
export interface Bytes {
  b: Uint8Array;
  start: number;
  end: number;
}

export class RdbReader {
  pos: number;
  readonly dv: DataView;
  /** set by len(): whether the last length was a special (RDB_ENCVAL) encoding */
  encoded = false;
  private tmp: Bytes = { b: new Uint8Array(0), start: 0, end: 0 };

  constructor(
    readonly b: Uint8Array,
    start = 0,
    /** exclusive end of the readable region */
    public end = b.length,
  ) {
    this.pos = start;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  fail(what: string): never {
    throw new RdbFormatError(what);
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail("unexpected end of data");
  }

  byte(): number {
    if (this.pos >= this.end) this.fail("unexpected end of data");
    return this.b[this.pos++]!;
  }

  /** An RDB length; sets `encoded` when it is a special string encoding instead. */
  len(): number {
    const t = this.byte();
    const kind = t >> 6;
    this.encoded = false;
    if (kind === 0) return t & 0x3f;
    if (kind === 1) return ((t & 0x3f) << 8) | this.byte();
    if (kind === 3) {
      this.encoded = true;
      return t & 0x3f;
    }
    if (t === 0x80) {
      this.need(4);
      const v = this.dv.getUint32(this.pos, false);
      this.pos += 4;
      return v;
    }
    if (t === 0x81) {
      this.need(8);
      const hi = this.dv.getUint32(this.pos, false);
      const lo = this.dv.getUint32(this.pos + 4, false);
      this.pos += 8;
      if (hi >= 0x200000) this.fail("length out of range");
      return hi * 0x100000000 + lo;
    }
    return this.fail("bad length encoding");
  }

  /** A plain length (a special encoding there is an error). */
  count(): number {
    const n = this.len();
    if (this.encoded) this.fail("unexpected encoded length");
    return n;
  }

  /** A 64-bit length as a bigint (module ids). */
  lenBig(): bigint {
    const t = this.b[this.pos];
    if (t === 0x81) {
      this.pos++;
      this.need(8);
      const v = this.dv.getBigUint64(this.pos, false);
      this.pos += 8;
      return v;
    }
    return BigInt(this.count());
  }

  /**
   * A string (plain, integer-encoded or LZF). The result is a view that stays valid until the
   * next call (copy what you keep).
   */
  bytes(): Bytes {
    const n = this.len();
    const out = this.tmp;
    if (!this.encoded) {
      this.need(n);
      out.b = this.b;
      out.start = this.pos;
      out.end = this.pos + n;
      this.pos += n;
      return out;
    }
    if (n === RDB_ENC_LZF) {
      const clen = this.count();
      const ulen = this.count();
      this.need(clen);
      // LZF expands at most 88-fold (a 3-byte back reference copies 264 bytes): a larger
      // declared size is corrupt and must not be allocated.
      if (ulen > clen * 88 + 32 || (clen === 0 && ulen !== 0)) this.fail("bad LZF length");
      let raw: Uint8Array;
      try {
        raw = lzfDecompress(this.b, ulen, this.pos, this.pos + clen);
      } catch (e) {
        if (e instanceof LzfError) this.fail(`LZF: ${e.message}`);
        throw e;
      }
      this.pos += clen;
      out.b = raw;
      out.start = 0;
      out.end = ulen;
      return out;
    }
    const s = Buffer.from(String(this.intEncoded(n)), "latin1");
    out.b = s;
    out.start = 0;
    out.end = s.length;
    return out;
  }

  private intEncoded(enc: number): number {
    if (enc === RDB_ENC_INT8) {
      return (this.byte() << 24) >> 24;
    }
    if (enc === RDB_ENC_INT16) {
      this.need(2);
      const v = this.dv.getInt16(this.pos, true);
      this.pos += 2;
      return v;
    }
    if (enc === RDB_ENC_INT32) {
      this.need(4);
      const v = this.dv.getInt32(this.pos, true);
      this.pos += 4;
      return v;
    }
    return this.fail("unknown string encoding");
  }

  /** A string as a latin1 JS string (the form keys and values are kept in). */
  string(): string {
    const n = this.len();
    if (!this.encoded) {
      this.need(n);
      const s = latin1Slice.call(this.b, this.pos, this.pos + n);
      this.pos += n;
      return s;
    }
    if (n !== RDB_ENC_LZF) return String(this.intEncoded(n));
    this.pos--; // back over the one-byte encoding marker; bytes() reads it again
    const x = this.bytes();
    return latin1Slice.call(x.b, x.start, x.end);
  }

  /** A string copied out as its own bytes. */
  stringCopy(): Uint8Array {
    const x = this.bytes();
    return x.b === this.b ? this.b.slice(x.start, x.end) : x.start === 0 && x.end === x.b.length ? x.b : x.b.slice(x.start, x.end);
  }

  /** A binary double (8 bytes LE). */
  binDouble(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A binary float (4 bytes LE; module floats). */
  binFloat(): number {
    this.need(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** An old-style text double (RDB_TYPE_ZSET): length byte, 253 nan, 254 +inf, 255 -inf. */
  textDouble(): number {
    const n = this.byte();
    if (n === 253) return NaN;
    if (n === 254) return Infinity;
    if (n === 255) return -Infinity;
    this.need(n);
    const s = latin1Slice.call(this.b, this.pos, this.pos + n);
    this.pos += n;
    const v = Number(s);
    if (Number.isNaN(v) && !/^\s*[+-]?(inf|infinity|nan)/i.test(s)) this.fail("bad double value");
    return v;
  }

  /** A 64-bit little-endian signed integer (ms expire times). */
  i64le(): number {
    this.need(8);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getInt32(this.pos + 4, true);
    this.pos += 8;
    return hi * 0x100000000 + lo;
  }

  i32le(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
}
