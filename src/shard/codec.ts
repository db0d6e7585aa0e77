// Encoding of what shards send each other: a growable byte buffer with little-endian fields and
// RESP command encoding (Buf), a cursor over received bytes (Rd), and a RESP value scanner
// (respEnd) that finds reply boundaries without decoding them.

import type { Argv } from "../resp/argv.ts";

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

export function latin1(b: Uint8Array, s: number, e: number): string {
  return latin1Slice.call(b, s, e);
}

export class Buf {
  b: Uint8Array;
  dv: DataView;
  n = 0;

  constructor(cap = 16 * 1024) {
    this.b = new Uint8Array(cap);
    this.dv = new DataView(this.b.buffer);
  }

  ensure(k: number): void {
    const need = this.n + k;
    if (need <= this.b.length) return;
    let cap = this.b.length * 2;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.b.subarray(0, this.n));
    this.b = nb;
    this.dv = new DataView(nb.buffer);
  }

  /** Gives back memory after a large message. */
  shrink(): void {
    if (this.n === 0 && this.b.length > 4 * 1024 * 1024) {
      this.b = new Uint8Array(64 * 1024);
      this.dv = new DataView(this.b.buffer);
    }
  }

  u8(v: number): void {
    this.ensure(1);
    this.b[this.n++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.n, v >>> 0, true);
    this.n += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.dv.setInt32(this.n, v | 0, true);
    this.n += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.n, v, true);
    this.n += 8;
  }

  raw(src: Uint8Array, s = 0, e = src.length): void {
    const k = e - s;
    this.ensure(k);
    if (k < 32) {
      const b = this.b;
      let n = this.n;
      for (let i = s; i < e; i++) b[n++] = src[i]!;
    } else this.b.set(src.subarray(s, e), this.n);
    this.n += k;
  }

  /** Length-prefixed bytes. */
  bytes(src: Uint8Array, s = 0, e = src.length): void {
    this.u32(e - s);
    this.raw(src, s, e);
  }

  /** Length-prefixed latin1 string (keys and values are latin1 strings in the keyspace). */
  str(s: string): void {
    this.u32(s.length);
    this.ensure(s.length);
    const b = this.b;
    let n = this.n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    this.n = n;
  }

  private dec(v: number): void {
    if (v < 10) {
      this.b[this.n++] = 48 + v;
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.n + digits;
    this.n = p;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      this.b[--p] = 48 + (v - q * 10);
      v = q;
    }
    this.b[--p] = 48 + v;
  }

  /** `*n\r\n`-style header. */
  head(prefix: number, v: number): void {
    this.ensure(24);
    this.b[this.n++] = prefix;
    this.dec(v);
    this.b[this.n++] = 13;
    this.b[this.n++] = 10;
  }

  bulk(src: Uint8Array, s = 0, e = src.length): void {
    this.head(36, e - s);
    this.raw(src, s, e);
    this.ensure(2);
    this.b[this.n++] = 13;
    this.b[this.n++] = 10;
  }

  bulkStr(s: string): void {
    this.head(36, s.length);
    this.ensure(s.length + 2);
    const b = this.b;
    let n = this.n;
    for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
    b[n++] = 13;
    b[n++] = 10;
    this.n = n;
  }

  /** A command as a RESP multibulk, from a parsed argv. */
  argv(a: Argv): void {
    const argc = a.argc;
    this.head(42, argc);
    const o = a.offs;
    const buf = a.buf;
    for (let i = 0; i < argc; i++) this.bulk(buf, o[i * 2]!, o[i * 2 + 1]!);
  }

  /** A command as a RESP multibulk, from strings (latin1) and byte arrays. */
  args(args: readonly (string | Uint8Array)[]): void {
    this.head(42, args.length);
    for (const x of args) {
      if (typeof x === "string") this.bulkStr(x);
      else this.bulk(x);
    }
  }
}

/** A cursor over received bytes. */
export class Rd {
  dv: DataView;
  constructor(
    public b: Uint8Array,
    public p: number,
    public e: number,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  get done(): boolean {
    return this.p >= this.e;
  }

  u8(): number {
    return this.b[this.p++]!;
  }

  u32(): number {
    const v = this.dv.getUint32(this.p, true);
    this.p += 4;
    return v;
  }

  i32(): number {
    const v = this.dv.getInt32(this.p, true);
    this.p += 4;
    return v;
  }

  f64(): number {
    const v = this.dv.getFloat64(this.p, true);
    this.p += 8;
    return v;
  }

  /** Length-prefixed bytes, as a view (copy what you keep). */
  bytes(): Uint8Array {
    const n = this.u32();
    const v = this.b.subarray(this.p, this.p + n);
    this.p += n;
    return v;
  }

  str(): string {
    const n = this.u32();
    const s = latin1(this.b, this.p, this.p + n);
    this.p += n;
    return s;
  }

  /** The next RESP value, as a view. */
  resp(): Uint8Array {
    const end = respEnd(this.b, this.p, this.e);
    if (end < 0) throw new Error("truncated RESP value in shard message");
    const v = this.b.subarray(this.p, end);
    this.p = end;
    return v;
  }
}

/** Integer in b[s..e) (a RESP length or integer line); NaN if malformed. */
export function intAt(b: Uint8Array, s: number, e: number): number {
  let neg = false;
  if (b[s] === 45) {
    neg = true;
    s++;
  }
  if (s >= e) return NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

function lineEnd(b: Uint8Array, p: number, e: number): number {
  for (let i = p; i + 1 < e; i++) if (b[i] === 13) return i;
  return -1;
}

/** End (exclusive) of the RESP2/RESP3 value starting at b[p], or -1 if it is incomplete. */
export function respEnd(b: Uint8Array, p: number, e: number): number {
  let pending = 1;
  while (pending > 0) {
    if (p >= e) return -1;
    const t = b[p]!;
    const cr = lineEnd(b, p + 1, e);
    if (cr < 0) return -1;
    const next = cr + 2;
    pending--;
    switch (t) {
      case 36: // $
      case 61: // =
      case 33: {
        // !
        const n = intAt(b, p + 1, cr);
        p = n >= 0 ? next + n + 2 : next;
        break;
      }
      case 42: // *
      case 126: // ~
      case 62: {
        // >
        const n = intAt(b, p + 1, cr);
        if (n > 0) pending += n;
        p = next;
        break;
      }
      case 37: {
        // %
        const n = intAt(b, p + 1, cr);
        if (n > 0) pending += 2 * n;
        p = next;
        break;
      }
      case 124: {
        // | attribute: a map, then the value it describes
        const n = intAt(b, p + 1, cr);
        pending += 2 * Math.max(0, n) + 1;
        p = next;
        break;
      }
      default:
        p = next;
    }
  }
  return p <= e ? p : -1;
}

/** Header of an aggregate reply at b[p]: its element count (or -1 for a null) and where its body starts. */
export function aggHead(b: Uint8Array, p: number, e: number): { n: number; body: number } {
  const cr = lineEnd(b, p + 1, e);
  const n = intAt(b, p + 1, cr);
  return { n: Number.isNaN(n) ? -1 : n, body: cr + 2 };
}

/** Value of a bulk / verbatim / simple string reply at b[p] (verbatim without its "txt:" prefix). */
export function stringAt(b: Uint8Array, p: number, e: number): string | null {
  const t = b[p];
  const cr = lineEnd(b, p + 1, e);
  if (t === 43 || t === 45) return latin1(b, p + 1, cr);
  if (t !== 36 && t !== 61) return null;
  const n = intAt(b, p + 1, cr);
  if (n < 0) return null;
  const s = cr + 2;
  return t === 61 ? latin1(b, s + 4, s + n) : latin1(b, s, s + n);
}

/** Integer reply at b[p] (":n"), or NaN. */
export function intReplyAt(b: Uint8Array, p: number, e: number): number {
  if (b[p] !== 58) return NaN;
  const cr = lineEnd(b, p + 1, e);
  return intAt(b, p + 1, cr);
}

/** True for RESP2/RESP3 nulls: $-1, *-1, _ . */
export function isNullReply(b: Uint8Array, p: number): boolean {
  const t = b[p];
  if (t === 95) return true;
  return (t === 36 || t === 42) && b[p + 1] === 45 && b[p + 2] === 49;
}

/** True for an error reply. */
export function isErrorReply(b: Uint8Array, p: number): boolean {
  return b[p] === 45 || b[p] === 33;
}

export function ascii(s: string): Uint8Array {
  return Buffer.from(s, "latin1");
}
