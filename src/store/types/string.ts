// The string type. Most strings stay immutable JS strings; a string that is edited in place
// (APPEND, SETRANGE, SETBIT, BITFIELD) becomes a StrBuf, a growable byte buffer, so repeated
// edits of a large value are O(edit) and not O(value) (Redis's "raw" encoding).

import { E, fail } from "../../errors.ts";
import { isInt64String } from "../../util/numbers.ts";
import { Obj, type EncodingLimits, type Value } from "../value.ts";

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;

/** Longest string Redis stores with the embstr encoding. */
export const EMBSTR_MAX = 44;

export class StrBuf extends Obj {
  readonly type = "string" as const;
  buf: Buffer;
  len: number;

  constructor(init: string | Uint8Array, capacity = 0) {
    super();
    const n = typeof init === "string" ? init.length : init.length;
    this.buf = Buffer.allocUnsafe(Math.max(n, capacity, 16));
    if (typeof init === "string") this.buf.latin1Write(init, 0);
    else this.buf.set(init, 0);
    this.len = n;
  }

  /** Ensures room for `n` bytes, zero-filling the growth (SETRANGE/SETBIT pad with zeros). */
  grow(n: number): void {
    if (n <= this.len) return;
    if (n > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(n, Math.min(this.buf.length * 2, n + 1024 * 1024)));
      nb.set(this.buf.subarray(0, this.len), 0);
      this.buf = nb;
    }
    this.buf.fill(0, this.len, n);
    this.len = n;
  }

  append(s: string | Uint8Array): void {
    const at = this.len;
    if (at + s.length > this.buf.length) {
      const nb = Buffer.allocUnsafe(Math.max(at + s.length, this.buf.length * 2));
      nb.set(this.buf.subarray(0, at), 0);
      this.buf = nb;
    }
    if (typeof s === "string") this.buf.latin1Write(s, at);
    else this.buf.set(s, at);
    this.len = at + s.length;
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  override toString(): string {
    return latin1Slice.call(this.buf, 0, this.len);
  }

  encoding(_lim: EncodingLimits): string {
    return "raw";
  }

  clone(): StrBuf {
    return new StrBuf(this.view());
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
