// The string type. Most strings stay immutable JS strings; a string that is edited in place
// (APPEND, SETRANGE, SETBIT, BITFIELD) becomes a StrBuf, a growable byte buffer, so repeated
// edits of a large value are O(edit) and not O(value) (Redis's "raw" encoding).

import { E, fail } from "../../errors.ts";
import { isInt64String } from "../../util/numbers.ts";
import type { Db } from "../db.ts";
import { Obj, type EncodingLimits, type Value } from "../value.ts";

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;

/** Longest string Redis stores with the embstr encoding. */
export const EMBSTR_MAX = 44;

export class StrBuf extends Obj {
  readonly type = "string" as const;
  buf: Buffer;
  len: number;
  /**
   * True while the value is a fresh INCRBYFLOAT result that looks like an integer: Redis
   * stores those as plain (embstr) strings, not int-encoded, until they are edited.
   */
  embstr = false;

  constructor(init: string | Uint8Array, capacity = 0) {
    super();
    const n = typeof init === "string" ? init.length : init.length;
    this.buf = Buffer.allocUnsafe(Math.max(n, capacity, 16));
    if (typeof init === "string") this.buf.latin1Write(init, 0);
    else this.buf.set(init, 0);
    this.len = n;
  }

  /** A zero-filled buffer of `n` bytes (SETBIT/SETRANGE/BITFIELD on a missing key). */
  static zeros(n: number): StrBuf {
    const b = new StrBuf("", n);
    b.buf.fill(0, 0, n);
    b.len = n;
    return b;
  }

  /** Makes room for `n` bytes in total, growing like sds (double, then +1 MB steps). */
  private reserve(n: number): void {
    if (n <= this.buf.length) return;
    const nb = Buffer.allocUnsafe(n < 1024 * 1024 ? Math.max(n * 2, 16) : n + 1024 * 1024);
    nb.set(this.buf.subarray(0, this.len), 0);
    this.buf = nb;
  }

  /** Ensures room for `n` bytes, zero-filling the growth (SETRANGE/SETBIT pad with zeros). */
  grow(n: number): void {
    if (n <= this.len) return;
    this.reserve(n);
    this.buf.fill(0, this.len, n);
    this.len = n;
  }

  append(s: string | Uint8Array): void {
    const at = this.len;
    this.reserve(at + s.length);
    if (typeof s === "string") this.buf.latin1Write(s, at);
    else this.buf.set(s, at);
    this.len = at + s.length;
  }

  /** Writes `src` at `offset`, zero-padding up to it (SETRANGE). */
  writeAt(offset: number, src: Uint8Array): void {
    this.grow(offset + src.length);
    this.buf.set(src, offset);
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  override toString(): string {
    return latin1Slice.call(this.buf, 0, this.len);
  }

  encoding(_lim: EncodingLimits): string {
    return this.embstr && this.len <= EMBSTR_MAX ? "embstr" : "raw";
  }

  clone(): StrBuf {
    const c = new StrBuf(this.view());
    c.embstr = this.embstr;
    return c;
  }

  bytes(): number {
    return this.buf.length;
  }
}

/** Redis's OBJECT ENCODING for an immutable stored string. */
export function stringEncoding(s: string): string {
  if (isInt64String(s)) return "int";
  return s.length <= EMBSTR_MAX ? "embstr" : "raw";
}

/** The string value of `v`, or WRONGTYPE. */
export function asString(v: Value): string {
  if (typeof v === "string") return v;
  if (v instanceof StrBuf) return v.toString();
  return fail(E.WRONGTYPE);
}

export function isString(v: Value): v is string | StrBuf {
  return typeof v === "string" || v instanceof StrBuf;
}

export function strLen(v: string | StrBuf): number {
  return typeof v === "string" ? v.length : v.len;
}

// ---- helpers for the string and bitmap commands (no RESP here) ----

/** The string value of a key, undefined when missing, WRONGTYPE for other types. */
export function stringOrFail(v: Value | undefined): string | StrBuf | undefined {
  if (v === undefined || typeof v === "string" || v instanceof StrBuf) return v;
  return fail(E.WRONGTYPE);
}

/**
 * Redis's dbUnshareStringValue: the key's value as an editable StrBuf (an immutable string
 * is copied into one, with `extra` spare bytes). The TTL is kept.
 */
export function unshare(db: Db, key: string, v: string | StrBuf, extra = 0): StrBuf {
  if (typeof v !== "string") {
    v.embstr = false;
    return v;
  }
  const sb = new StrBuf(v, v.length + extra);
  db.set(key, sb, true);
  return sb;
}

let scratch = Buffer.allocUnsafe(1024);

/**
 * The bytes of a string value for reading. An immutable string is written into a shared
 * scratch buffer: the view is valid only until the next call.
 */
export function readBytes(v: string | StrBuf): Uint8Array {
  if (typeof v !== "string") return v.view();
  const n = v.length;
  if (n > scratch.length) {
    if (n > 1024 * 1024) return Buffer.from(v, "latin1");
    scratch = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  }
  if (n < 32) for (let i = 0; i < n; i++) scratch[i] = v.charCodeAt(i);
  else scratch.latin1Write(v, 0);
  return scratch.subarray(0, n);
}

/**
 * GETRANGE's index arithmetic: the [from, to) byte range of a string of length `len` for
 * inclusive start/end indexes (negative from the end), or null when empty.
 */
export function rangeOf(len: number, start: number, end: number): [number, number] | null {
  if (start < 0 && end < 0 && start > end) return null;
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return null;
  return [start, end + 1];
}

// ---- bitmaps ----

const POP8 = new Uint8Array(256);
for (let i = 1; i < 256; i++) POP8[i] = (i & 1) + POP8[i >> 1]!;

/** Bit counts of all 16-bit values: two lookups per 32-bit word (faster than SWAR here). */
const POP16 = new Uint8Array(65536);
for (let i = 1; i < 65536; i++) POP16[i] = (i & 1) + POP16[i >> 1]!;

/** Number of set bits in b[from, to). */
export function popcount(b: Uint8Array, from: number, to: number): number {
  let n = 0;
  let i = from;
  if (to - i >= 64) {
    // Word at a time over the aligned middle.
    while ((b.byteOffset + i) & 3) n += POP8[b[i++]!]!;
    const words = (to - i) >>> 2;
    const w = new Uint32Array(b.buffer, b.byteOffset + i, words);
    for (let k = 0; k < words; k++) {
      const x = w[k]!;
      n += POP16[x & 0xffff]! + POP16[x >>> 16]!;
    }
    i += words * 4;
  }
  for (; i < to; i++) n += POP8[b[i]!]!;
  return n;
}

/** BITCOUNT over bits [sbit, ebit] (inclusive) of b. */
export function bitcountBits(b: Uint8Array, sbit: number, ebit: number): number {
  const sb = Math.floor(sbit / 8);
  const eb = Math.floor(ebit / 8);
  let n = popcount(b, sb, eb + 1);
  // Remove bits of the edge bytes outside the range (bit 0 is the most significant).
  const headMask = (0xff << (8 - (sbit & 7))) & 0xff;
  const tailMask = (1 << (7 - (ebit & 7))) - 1;
  if (headMask) n -= POP8[b[sb]! & headMask]!;
  if (tailMask) n -= POP8[b[eb]! & tailMask]!;
  return n;
}

/**
 * Position of the first bit equal to `bit` within bits [sbit, ebit] (inclusive), or -1.
 */
export function findBit(b: Uint8Array, bit: 0 | 1, sbit: number, ebit: number): number {
  const skip = bit ? 0 : 0xff;
  let p = sbit;
  // head: up to the byte boundary
  while (p <= ebit && (p & 7) !== 0) {
    if (((b[p >> 3]! >> (7 - (p & 7))) & 1) === bit) return p;
    p++;
  }
  // whole bytes
  let byte = p / 8;
  const lastWhole = Math.floor((ebit + 1) / 8); // bytes [byte, lastWhole) are fully inside
  if (lastWhole - byte >= 64) {
    while ((b.byteOffset + byte) & 3) {
      if (b[byte] !== skip) break;
      byte++;
    }
    if (((b.byteOffset + byte) & 3) === 0) {
      const words = (lastWhole - byte) >>> 2;
      const w = new Uint32Array(b.buffer, b.byteOffset + byte, words);
      const wskip = bit ? 0 : 0xffffffff;
      let k = 0;
      while (k < words && w[k] === wskip) k++;
      byte += k * 4;
    }
  }
  while (byte < lastWhole && b[byte] === skip) byte++;
  if (byte < lastWhole) {
    const v = b[byte]!;
    for (let k = 0; k < 8; k++) if (((v >> (7 - k)) & 1) === bit) return byte * 8 + k;
  }
  // tail
  for (p = Math.max(p, lastWhole * 8); p <= ebit; p++) {
    if (((b[p >> 3]! >> (7 - (p & 7))) & 1) === bit) return p;
  }
  return -1;
}

export const enum BitOp {
  AND,
  OR,
  XOR,
  NOT,
}

/** res[0, n) op= src[0, n), 32 bits at a time when both are 4-byte aligned. */
function combine(op: BitOp, res: Uint8Array, src: Uint8Array, n: number): void {
  let i = 0;
  if (n >= 64 && ((res.byteOffset | src.byteOffset) & 3) === 0) {
    const words = n >>> 2;
    const rw = new Uint32Array(res.buffer, res.byteOffset, words);
    const sw = new Uint32Array(src.buffer, src.byteOffset, words);
    if (op === BitOp.AND) for (let k = 0; k < words; k++) rw[k]! &= sw[k]!;
    else if (op === BitOp.OR) for (let k = 0; k < words; k++) rw[k]! |= sw[k]!;
    else for (let k = 0; k < words; k++) rw[k]! ^= sw[k]!;
    i = words * 4;
  }
  if (op === BitOp.AND) for (; i < n; i++) res[i]! &= src[i]!;
  else if (op === BitOp.OR) for (; i < n; i++) res[i]! |= src[i]!;
  else for (; i < n; i++) res[i]! ^= src[i]!;
}

/** BITOP: the result of combining the sources (missing bytes count as zero). */
export function bitop(op: BitOp, srcs: (Uint8Array | null)[], maxlen: number): Buffer {
  const res = Buffer.alloc(maxlen);
  if (op === BitOp.NOT) {
    res.set(srcs[0]!, 0);
    let i = 0;
    if (maxlen >= 64 && (res.byteOffset & 3) === 0) {
      const words = maxlen >>> 2;
      const rw = new Uint32Array(res.buffer, res.byteOffset, words);
      for (let k = 0; k < words; k++) rw[k] = ~rw[k]!;
      i = words * 4;
    }
    for (; i < maxlen; i++) res[i] = ~res[i]! & 0xff;
    return res;
  }
  const first = srcs[0];
  if (first) res.set(first, 0);
  for (let k = 1; k < srcs.length; k++) {
    const s = srcs[k];
    const n = s ? s.length : 0;
    if (s) combine(op, res, s, n);
    if (op === BitOp.AND) res.fill(0, n);
  }
  return res;
}

/**
 * The unsigned `bits`-wide field at bit `offset` (most significant bit first), reading
 * zeros past the end of b.
 */
export function getBitfield(b: Uint8Array, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8);
  const shiftIn = offset & 7;
  const nbytes = (shiftIn + bits + 7) >> 3;
  const len = b.length;
  if (nbytes <= 6) {
    let acc = 0;
    for (let i = 0; i < nbytes; i++) acc = acc * 256 + (first + i < len ? b[first + i]! : 0);
    const drop = nbytes * 8 - shiftIn - bits;
    acc = Math.floor(acc / 2 ** drop) % 2 ** bits;
    return BigInt(acc);
  }
  let acc = 0n;
  for (let i = 0; i < nbytes; i++) acc = (acc << 8n) | BigInt(first + i < len ? b[first + i]! : 0);
  const drop = BigInt(nbytes * 8 - shiftIn - bits);
  return (acc >> drop) & ((1n << BigInt(bits)) - 1n);
}

/** Writes the low `bits` bits of v at bit `offset` (b must be long enough). */
export function setBitfield(b: Uint8Array, offset: number, bits: number, v: bigint): void {
  let x = BigInt.asUintN(bits, v);
  for (let j = bits - 1; j >= 0; j--) {
    const p = offset + j;
    const mask = 1 << (7 - (p & 7));
    if (x & 1n) b[p >> 3]! |= mask;
    else b[p >> 3]! &= ~mask;
    x >>= 1n;
  }
}
