// Reply writer: builds RESP2/RESP3 replies into one reusable buffer per connection.
// The shape helpers (map, set, double, bool, null, push, verbatim) pick the RESP2 or RESP3
// form from `proto`, exactly as Redis 7's addReply* functions do.

import { fmtDouble17g } from "../util/numbers.ts";

const INITIAL = 16 * 1024;

export class Reply {
  b: Buffer;
  n = 0;
  /** 2 or 3, from HELLO */
  proto = 2;
  /** Called for every error reply (INFO errorstats). */
  onError: ((msg: string) => void) | null = null;

  constructor(cap = INITIAL) {
    this.b = Buffer.allocUnsafe(cap);
  }

  reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.b.length) return;
    let cap = this.b.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.b.copy(nb, 0, 0, this.n);
    this.b = nb;
  }

  /** Drops a large buffer after a big reply so idle connections stay small. */
  shrink(): void {
    if (this.n === 0 && this.b.length > 1024 * 1024) this.b = Buffer.allocUnsafe(INITIAL);
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.b.set(bytes, this.n);
    this.n += bytes.length;
  }

  /** Appends an ASCII/latin1 string as is. */
  ascii(s: string): void {
    this.reserve(s.length);
    const b = this.b;
    let n = this.n;
    if (s.length < 24) {
      for (let i = 0; i < s.length; i++) b[n++] = s.charCodeAt(i);
      this.n = n;
    } else this.n += b.latin1Write(s, n);
  }

  private crlf(): void {
    this.b[this.n++] = 13;
    this.b[this.n++] = 10;
  }

  /** Writes a non-negative or negative safe integer in decimal. */
  private num(v: number): void {
    const b = this.b;
    if (v < 0) {
      b[this.n++] = 45;
      v = -v;
    }
    if (v < 10) {
      b[this.n++] = 48 + v;
      return;
    }
    if (v > 1e15) {
      const s = String(v);
      this.n += b.latin1Write(s, this.n);
      return;
    }
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.n + digits;
    this.n = p;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      b[--p] = 48 + (v - q * 10);
      v = q;
    }
    b[--p] = 48 + v;
  }

  private head(prefix: number, v: number): void {
    this.reserve(24);
    this.b[this.n++] = prefix;
    this.num(v);
    this.crlf();
  }

  ok(): void {
    this.ascii("+OK\r\n");
  }

  /** +status */
  status(s: string): void {
    this.reserve(s.length + 3);
    this.b[this.n++] = 43;
    this.ascii(s);
    this.crlf();
  }

  /**
   * -error. `msg` holds the code, e.g. "ERR syntax error"; newlines are replaced like Redis
   * does so a message can never break the protocol.
   */
  error(msg: string): void {
    if (msg.includes("\n") || msg.includes("\r")) msg = msg.replace(/[\r\n]/g, " ");
    this.onError?.(msg);
    this.reserve(msg.length + 3);
    this.b[this.n++] = 45;
    this.ascii(msg);
    this.crlf();
  }

  int(v: number): void {
    this.head(58, v);
  }

  /** Integer given as bigint (64-bit values beyond 2^53). */
  bigint(v: bigint): void {
    this.ascii(`:${v}\r\n`);
  }

  /** Bulk string from a latin1 (binary) string. */
  bulk(s: string): void {
    const len = s.length;
    this.reserve(len + 24);
    const b = this.b;
    b[this.n++] = 36;
    this.num(len);
    b[this.n++] = 13;
    b[this.n++] = 10;
    if (len < 24) {
      let n = this.n;
      for (let i = 0; i < len; i++) b[n++] = s.charCodeAt(i);
      this.n = n;
    } else this.n += b.latin1Write(s, this.n);
    b[this.n++] = 13;
    b[this.n++] = 10;
  }

  bulkBytes(v: Uint8Array): void {
    this.reserve(v.length + 24);
    this.b[this.n++] = 36;
    this.num(v.length);
    this.crlf();
    this.b.set(v, this.n);
    this.n += v.length;
    this.crlf();
  }

  /** Bulk string copied from bytes [s, s+n) of `src` (values read straight from the key table). */
  bulkRange(src: Uint8Array, s: number, n: number): void {
    this.reserve(n + 24);
    const b = this.b;
    b[this.n++] = 36;
    this.num(n);
    b[this.n++] = 13;
    b[this.n++] = 10;
    if (n < 32) {
      let o = this.n;
      for (let i = 0; i < n; i++) b[o++] = src[s + i]!;
      this.n = o;
    } else {
      b.set(src.subarray(s, s + n), this.n);
      this.n += n;
    }
    b[this.n++] = 13;
    b[this.n++] = 10;
  }

  /** Bulk string of a number's decimal form (e.g. INCRBYFLOAT results, counters). */
  bulkNum(v: number | bigint): void {
    this.bulk(String(v));
  }

  /** Null bulk ($-1 in RESP2, _ in RESP3). */
  nil(): void {
    this.ascii(this.proto === 3 ? "_\r\n" : "$-1\r\n");
  }

  /** Null array (*-1 in RESP2, _ in RESP3). */
  nilArray(): void {
    this.ascii(this.proto === 3 ? "_\r\n" : "*-1\r\n");
  }

  arr(n: number): void {
    this.head(42, n);
  }

  /** Map header: %n in RESP3, *2n in RESP2. */
  map(n: number): void {
    if (this.proto === 3) this.head(37, n);
    else this.head(42, n * 2);
  }

  /** Set header: ~n in RESP3, *n in RESP2. */
  set(n: number): void {
    this.head(this.proto === 3 ? 126 : 42, n);
  }

  /** Push header: >n in RESP3, *n in RESP2. */
  push(n: number): void {
    this.head(this.proto === 3 ? 62 : 42, n);
  }

  /** Attribute header (RESP3 only; callers skip it in RESP2). */
  attr(n: number): void {
    this.head(124, n);
  }

  dbl(d: number): void {
    if (this.proto === 3) {
      if (d === Infinity) this.ascii(",inf\r\n");
      else if (d === -Infinity) this.ascii(",-inf\r\n");
      else this.ascii(`,${fmtDouble17g(d)}\r\n`);
    } else if (d === Infinity) this.bulk("inf");
    else if (d === -Infinity) this.bulk("-inf");
    else this.bulk(fmtDouble17g(d));
  }

  bool(v: boolean): void {
    if (this.proto === 3) this.ascii(v ? "#t\r\n" : "#f\r\n");
    else this.ascii(v ? ":1\r\n" : ":0\r\n");
  }

  /** Verbatim string (=len\r\ntxt:...) in RESP3, bulk in RESP2. */
  verbatim(s: string, ext = "txt"): void {
    if (this.proto === 3) {
      this.head(61, s.length + 4);
      this.ascii(ext + ":");
      this.ascii(s);
      this.crlf();
    } else this.bulk(s);
  }

  /** Big number: (n in RESP3, bulk in RESP2. */
  bignum(s: string): void {
    if (this.proto === 3) this.ascii(`(${s}\r\n`);
    else this.bulk(s);
  }

  emptyArr(): void {
    this.ascii("*0\r\n");
  }

  /** Array of latin1 strings as bulks. */
  bulks(items: Iterable<string>, n: number): void {
    this.arr(n);
    for (const s of items) this.bulk(s);
  }

  /**
   * Starts a length that is only known after the elements are written (Redis's deferred len).
   * Returns a token for setDeferred().
   */
  deferLen(): number {
    // Reserve room for the largest header; setDeferred() closes the gap.
    this.reserve(16);
    const at = this.n;
    this.n += 16;
    return at;
  }

  /** Fills a deferred header. kind: '*' array, '%' map (n pairs), '~' set. */
  setDeferred(at: number, kind: "*" | "%" | "~", count: number): void {
    let hdr: string;
    if (kind === "%") hdr = this.proto === 3 ? `%${count}\r\n` : `*${count * 2}\r\n`;
    else if (kind === "~") hdr = this.proto === 3 ? `~${count}\r\n` : `*${count}\r\n`;
    else hdr = `*${count}\r\n`;
    const gap = 16 - hdr.length;
    this.b.copyWithin(at + hdr.length, at + 16, this.n);
    this.b.latin1Write(hdr, at);
    this.n -= gap;
  }

  /** Current write position, and truncation back to it (to discard a partial reply). */
  mark(): number {
    return this.n;
  }

  rewind(at: number): void {
    this.n = at;
  }
}
