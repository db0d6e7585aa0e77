// Writes RDB primitives into a growable buffer: lengths, strings (Redis's rdbSaveRawString
// choices: int encoding for short canonical integers, LZF when it saves at least 4 bytes and the
// string is longer than 20 bytes), binary doubles, millisecond times. A sink can take the
// bytes away in chunks (file saves) while a running CRC-64 covers everything written.

import { Crc64 } from "./crc64.ts";
import { RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_ENC_LZF, RDB_ENCVAL } from "./constants.ts";
import { lzfCompress } from "./lzf.ts";

export interface RdbOptions {
  /** rdbcompression: LZF-compress strings longer than 20 bytes when it saves space */
  compress: boolean;
  /** list-max-listpack-size (quicklist node fill) */
  listFill: number;
  /** list-compress-depth (quicklist nodes kept plain at each end; 0 = none compressed) */
  listCompressDepth: number;
}

export const DEFAULT_OPTIONS: RdbOptions = { compress: true, listFill: -2, listCompressDepth: 0 };

const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);

// Scratch buffers for LZF (input bytes of JS strings, compressed output).
let lzIn = Buffer.allocUnsafe(1 << 16);
let lzOut = Buffer.allocUnsafe(1 << 16);

function lzScratch(n: number): void {
  if (lzIn.length < n) lzIn = Buffer.allocUnsafe(Math.max(n, lzIn.length * 2));
  if (lzOut.length < n) lzOut = Buffer.allocUnsafe(Math.max(n, lzOut.length * 2));
}

/**
 * The value of a string Redis would int-encode in an RDB (rdbTryIntegerEncoding: a canonical
 * integer of at most 11 characters that fits 32 bits), or NaN.
 */
export function rdbIntValue(s: string): number {
  const n = s.length;
  if (n === 0 || n > 11) return NaN;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return NaN;
    neg = true;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n === 1 ? 0 : NaN;
  if (first < 49 || first > 57) return NaN;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (neg) v = -v;
  return v >= -2147483648 && v <= 2147483647 ? v : NaN;
}

function rdbIntValueBytes(b: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n === 0 || n > 11) return NaN;
  let i = start;
  let neg = false;
  if (b[i] === 45) {
    if (n === 1) return NaN;
    neg = true;
    i++;
  }
  const first = b[i]!;
  if (first === 48) return n === 1 ? 0 : NaN;
  if (first < 49 || first > 57) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (neg) v = -v;
  return v >= -2147483648 && v <= 2147483647 ? v : NaN;
}

export class RdbWriter {
  buf: Buffer;
  pos = 0;
  /** running checksum of bytes already handed to the sink */
  readonly crc = new Crc64();
  /** total bytes handed to the sink */
  flushed = 0;

  constructor(
    public opts: RdbOptions = DEFAULT_OPTIONS,
    cap = 256,
    /** takes full chunks away (file saves); without one everything stays in buf */
    public sink: ((chunk: Uint8Array) => void) | null = null,
  ) {
    this.buf = Buffer.allocUnsafe(cap);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    nb.set(this.buf.subarray(0, this.pos), 0);
    this.buf = nb;
  }

  /** Hands the buffered bytes to the sink once there are at least `min` of them. */
  flush(min = 0): void {
    if (this.sink === null || this.pos === 0 || this.pos < min) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.crc.update(chunk);
    this.sink(chunk);
    this.flushed += this.pos;
    this.pos = 0;
  }

  /** The bytes written (a view, valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  byte(b: number): void {
    if (this.pos >= this.buf.length) this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(b: Uint8Array, start = 0, end = b.length): void {
    const n = end - start;
    this.ensure(n);
    this.buf.set(start === 0 && end === b.length ? b : b.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** Latin1 string bytes, no length. */
  latin1(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.latin1Write(s, this.pos);
  }

  /** An RDB length (6, 14, 32 or 64 bits). */
  len(n: number): void {
    this.ensure(9);
    const b = this.buf;
    if (n < 64) b[this.pos++] = n;
    else if (n < 16384) {
      b[this.pos++] = 0x40 | (n >>> 8);
      b[this.pos++] = n & 0xff;
    } else if (n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      b[this.pos++] = 0x81;
      b.writeUInt32BE(Math.floor(n / 0x100000000), this.pos);
      b.writeUInt32BE(n >>> 0, this.pos + 4);
      this.pos += 8;
    }
  }

  /** A 64-bit RDB length given as a bigint (module ids). */
  lenBig(n: bigint): void {
    if (n <= 0xffffffffn) return this.len(Number(n));
    this.ensure(9);
    this.buf[this.pos++] = 0x81;
    this.buf.writeBigUInt64BE(n, this.pos);
    this.pos += 8;
  }

  u32le(n: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(n >>> 0, this.pos);
    this.pos += 4;
  }

  /** 64-bit little-endian integer (expire times in ms). */
  i64le(n: number): void {
    this.ensure(8);
    const lo = n % 0x100000000;
    const hi = Math.floor(n / 0x100000000);
    this.buf.writeUInt32LE((lo < 0 ? lo + 0x100000000 : lo) >>> 0, this.pos);
    this.buf.writeInt32LE(hi | 0, this.pos + 4);
    this.pos += 8;
  }

  /** A double as 8 little-endian bytes (ZSET_2 scores, module doubles). */
  binDouble(d: number): void {
    this.ensure(8);
    f64[0] = d;
    this.buf.set(f64b, this.pos);
    this.pos += 8;
  }

  private intEnc(v: number): void {
    this.ensure(5);
    const b = this.buf;
    if (v >= -128 && v <= 127) {
      b[this.pos++] = (RDB_ENCVAL << 6) | RDB_ENC_INT8;
      b[this.pos++] = v & 0xff;
    } else if (v >= -32768 && v <= 32767) {
      b[this.pos++] = (RDB_ENCVAL << 6) | RDB_ENC_INT16;
      b.writeInt16LE(v, this.pos);
      this.pos += 2;
    } else {
      b[this.pos++] = (RDB_ENCVAL << 6) | RDB_ENC_INT32;
      b.writeInt32LE(v, this.pos);
      this.pos += 4;
    }
  }

  /** An integer as Redis's rdbSaveLongLongAsStringObject writes it. */
  intString(v: number | bigint): void {
    if (typeof v === "number" && v >= -2147483648 && v <= 2147483647) return this.intEnc(v);
    const s = String(v);
    this.len(s.length);
    this.latin1(s);
  }

  /** An LZF blob: compressed bytes plus the original length. */
  lzfBlob(c: Uint8Array, start: number, end: number, rawLen: number): void {
    this.byte((RDB_ENCVAL << 6) | RDB_ENC_LZF);
    this.len(end - start);
    this.len(rawLen);
    this.raw(c, start, end);
  }

  /** Tries LZF on src[start, start+n) (n > 20); true when written compressed. */
  private tryLzf(src: Uint8Array, start: number, n: number): boolean {
    lzScratch(n);
    const outLen = n - 4;
    const clen = lzfCompress(src, start, n, lzOut, 0, outLen);
    if (clen === 0) return false;
    this.lzfBlob(lzOut, 0, clen, n);
    return true;
  }

  /** A string value (latin1 JS string), as rdbSaveRawString writes it. */
  string(s: string): void {
    const n = s.length;
    if (n <= 11) {
      const v = rdbIntValue(s);
      if (v === v) return this.intEnc(v);
    }
    if (n > 20 && this.opts.compress) {
      lzScratch(n);
      lzIn.latin1Write(s, 0);
      if (this.tryLzf(lzIn, 0, n)) return;
      this.len(n);
      this.raw(lzIn, 0, n);
      return;
    }
    this.len(n);
    this.latin1(s);
  }

  /** A string value given as bytes, as rdbSaveRawString writes it. */
  stringBytes(b: Uint8Array, start = 0, end = b.length): void {
    const n = end - start;
    if (n <= 11) {
      const v = rdbIntValueBytes(b, start, end);
      if (v === v) return this.intEnc(v);
    }
    if (n > 20 && this.opts.compress && this.tryLzf(b, start, n)) return;
    this.len(n);
    this.raw(b, start, end);
  }
}
