// Tree -> JSON text (UTF-8 bytes), byte for byte as RedisJSON prints it: compact by default,
// strings escaped like serde_json (\" \\ \b \f \n \r \t, other controls as \u00xx, nothing
// else), integers in decimal, floats in the shortest round-trip form laid out the way the Rust
// `ryu` crate does it (1.0, 0.1, 1e16, 1.5e-7, -0.0). JSON.GET's INDENT / NEWLINE / SPACE
// strings are applied like RedisJSON's pretty formatter.

import { JFloat, JObj, type JVal } from "./value.ts";

/** Formats a finite double exactly as ryu's `format64` (serde_json's float output). */
export function fmtFloat(f: number): string {
  if (f === 0) return Object.is(f, -0) ? "-0.0" : "0.0";
  let sign = "";
  if (f < 0) {
    sign = "-";
    f = -f;
  }
  // Shortest round-trip digits and exponent, from JS's own shortest formatting.
  const e = f.toExponential();
  const ep = e.indexOf("e");
  const mant = e.slice(0, ep);
  const digits = mant.length > 1 ? mant[0] + mant.slice(2) : mant;
  const exp10 = parseInt(e.slice(ep + 1), 10); // value = d.ddd * 10^exp10
  const length = digits.length;
  const kk = exp10 + 1; // 10^(kk-1) <= v < 10^kk
  const k = kk - length;
  if (k >= 0 && kk <= 16) return sign + digits + "0".repeat(k) + ".0";
  if (kk > 0 && kk <= 16) return sign + digits.slice(0, kk) + "." + digits.slice(kk);
  if (kk > -5 && kk <= 0) return sign + "0." + "0".repeat(-kk) + digits;
  if (length === 1) return sign + digits + "e" + (kk - 1);
  return sign + digits[0] + "." + digits.slice(1) + "e" + (kk - 1);
}

/** A number's JSON text. */
export function numText(v: number | bigint | JFloat): string {
  return v instanceof JFloat ? fmtFloat(v.v) : String(v);
}

const HEX = "0123456789abcdef";

/** Formatting strings (raw bytes as latin1 strings); empty means compact. */
export interface Format {
  indent: string;
  newline: string;
  space: string;
}

export class JsonWriter {
  buf = Buffer.allocUnsafe(4096);
  n = 0;
  // pretty-printing state
  private fmt: Format | null = null;
  private level = 0;
  private hasValue = false;

  reset(fmt: Format | null = null): this {
    this.n = 0;
    this.fmt = fmt !== null && (fmt.indent || fmt.newline || fmt.space) ? fmt : null;
    this.level = 0;
    this.hasValue = false;
    if (this.buf.length > 1 << 20) this.buf = Buffer.allocUnsafe(4096);
    return this;
  }

  /** The bytes written so far (a view; copy it before the next reset). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.n);
  }

  toString(): string {
    return this.buf.toString("utf8", 0, this.n);
  }

  private reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.n);
    this.buf = nb;
  }

  byte(c: number): void {
    if (this.n >= this.buf.length) this.reserve(1);
    this.buf[this.n++] = c;
  }

  /** Appends an ASCII / latin1 (raw bytes) string. */
  raw(s: string): void {
    this.reserve(s.length);
    if (s.length < 16) {
      const b = this.buf;
      let n = this.n;
      for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
      this.n = n;
    } else this.n += this.buf.latin1Write(s, this.n);
  }

  /** A safe integer in decimal, written digit by digit. */
  int(v: number): void {
    if (v < 0 || v > 999999999) return this.raw(String(v));
    this.reserve(10);
    const b = this.buf;
    if (v < 10) {
      b[this.n++] = 48 + v;
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
    let p = this.n + digits;
    this.n = p;
    while (v >= 10) {
      const q = (v / 10) | 0;
      b[--p] = 48 + (v - q * 10);
      v = q;
    }
    b[--p] = 48 + v;
  }

  private newline(): void {
    const f = this.fmt!;
    if (f.newline) this.raw(f.newline);
    if (f.indent) for (let i = 0; i < this.level; i++) this.raw(f.indent);
  }

  str(s: string): void {
    const len = s.length;
    this.reserve(len + 2);
    const b = this.buf;
    let n = this.n;
    b[n++] = 34;
    let i = 0;
    // ASCII fast path
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c < 32 || c === 34 || c === 92 || c >= 0x80) break;
      b[n++] = c;
    }
    this.n = n;
    if (i < len) this.strSlow(s, i);
    this.byte(34);
  }

  private strSlow(s: string, from: number): void {
    let seg = from;
    const len = s.length;
    for (let i = from; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 32 && c !== 34 && c !== 92) continue;
      if (i > seg) this.utf8(s, seg, i);
      seg = i + 1;
      switch (c) {
        case 34:
          this.raw('\\"');
          break;
        case 92:
          this.raw("\\\\");
          break;
        case 8:
          this.raw("\\b");
          break;
        case 12:
          this.raw("\\f");
          break;
        case 10:
          this.raw("\\n");
          break;
        case 13:
          this.raw("\\r");
          break;
        case 9:
          this.raw("\\t");
          break;
        default:
          this.raw("\\u00" + HEX[c >> 4] + HEX[c & 15]);
      }
    }
    if (len > seg) this.utf8(s, seg, len);
  }

  private utf8(s: string, a: number, e: number): void {
    const part = a === 0 && e === s.length ? s : s.slice(a, e);
    this.reserve(part.length * 3);
    this.n += this.buf.write(part, this.n, "utf8");
  }

  value(v: JVal): void {
    if (v === null) return this.raw("null");
    switch (typeof v) {
      case "boolean":
        return this.raw(v ? "true" : "false");
      case "number":
        return this.int(v);
      case "bigint":
        return this.raw(String(v));
      case "string":
        return this.str(v);
    }
    if (v instanceof JFloat) return this.raw(fmtFloat(v.v));
    if (Array.isArray(v)) return this.array(v);
    return this.object(v);
  }

  array(a: readonly JVal[]): void {
    if (this.fmt === null) {
      this.byte(91);
      for (let i = 0; i < a.length; i++) {
        if (i) this.byte(44);
        this.value(a[i]!);
      }
      this.byte(93);
      return;
    }
    this.beginArray();
    for (let i = 0; i < a.length; i++) {
      this.arrayValue(i === 0);
      this.value(a[i]!);
      this.hasValue = true;
    }
    this.endArray();
  }

  object(o: JObj): void {
    const keys = o.keys;
    const vals = o.vals;
    if (this.fmt === null) {
      this.byte(123);
      for (let i = 0; i < keys.length; i++) {
        if (i) this.byte(44);
        this.str(keys[i]!);
        this.byte(58);
        this.value(vals[i]!);
      }
      this.byte(125);
      return;
    }
    this.beginObject();
    for (let i = 0; i < keys.length; i++) {
      this.objectKey(keys[i]!, i === 0);
      this.value(vals[i]!);
      this.hasValue = true;
    }
    this.endObject();
  }

  // The container protocol, shared with callers that build a top-level array or object of
  // results (JSON.GET with $ paths or several paths) without building a tree.

  beginArray(): void {
    if (this.fmt === null) return this.byte(91);
    this.level++;
    this.hasValue = false;
    this.byte(91);
  }

  arrayValue(first: boolean): void {
    if (!first) this.byte(44);
    if (this.fmt !== null) this.newline();
  }

  /** Marks the end of an element written by the caller (pretty mode bookkeeping). */
  endValue(): void {
    this.hasValue = true;
  }

  endArray(): void {
    if (this.fmt === null) return this.byte(93);
    this.level--;
    if (this.hasValue) this.newline();
    this.byte(93);
  }

  beginObject(): void {
    if (this.fmt === null) return this.byte(123);
    this.level++;
    this.hasValue = false;
    this.byte(123);
  }

  objectKey(k: string, first: boolean): void {
    if (!first) this.byte(44);
    if (this.fmt !== null) this.newline();
    this.str(k);
    this.byte(58);
    if (this.fmt !== null && this.fmt.space) this.raw(this.fmt.space);
  }

  endObject(): void {
    if (this.fmt === null) return this.byte(125);
    this.level--;
    if (this.hasValue) this.newline();
    this.byte(125);
  }
}

/** One shared writer: commands run one at a time. */
export const writer = new JsonWriter();

/** Compact JSON text of a value as a JS string. */
export function stringify(v: JVal): string {
  const w = new JsonWriter();
  w.value(v);
  return w.toString();
}
