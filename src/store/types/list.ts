// The list type: a chunked deque. Elements live in chunks (arrays of up to CHUNK slots used as
// [s, e) windows; a list's first chunk starts small and doubles, so short lists stay small);
// the chunks themselves sit in a ring buffer. Push/pop at either end
// are O(1); index access skips whole chunks from the nearer end (O(n / CHUNK)); inserts and
// removals in the middle touch one chunk (O(CHUNK)) plus the ring when a chunk splits or
// empties. This plays the role of Redis's quicklist (7.0 reports every list as "quicklist").

import { Obj, type EncodingLimits } from "../value.ts";

const CHUNK = 128;
/** Capacity of a list's first chunk. */
const FIRST = 4;
/** Per-element overhead counted by bytes() (a pointer-ish slot plus string header). */
const ELEM_OVERHEAD = 16;

class Chunk {
  a: (string | undefined)[];
  s: number;
  e: number;
  /** payload bytes of the elements held */
  bytes = 0;
  /** a chunk filled from the left starts at the right end, and the other way round */
  constructor(cap: number, fromLeft: boolean) {
    this.a = new Array<string | undefined>(cap);
    this.s = this.e = fromLeft ? cap : 0;
  }
  get n(): number {
    return this.e - this.s;
  }
  /** Doubles the capacity (up to CHUNK), adding the room on the left or on the right. */
  grow(left: boolean): void {
    const old = this.a;
    const cap = old.length;
    const nc = Math.min(CHUNK, cap * 2);
    const na = new Array<string | undefined>(nc);
    const n = this.e - this.s;
    const ns = left ? this.s + (nc - cap) : this.s;
    for (let k = 0; k < n; k++) na[ns + k] = old[this.s + k];
    this.a = na;
    this.s = ns;
    this.e = ns + n;
  }
}

export class ListObj extends Obj {
  readonly type = "list" as const;
  /** ring of chunks: slot (h + i) & (ring.length - 1) holds chunk i */
  private ring: Chunk[] = new Array<Chunk>(1);
  private h = 0;
  private nc = 0;
  length = 0;
  private payload = 0;
  // locate() results (no allocation per lookup)
  private lc = 0;
  private lo = 0;

  encoding(_lim: EncodingLimits): string {
    return "quicklist";
  }

  bytes(): number {
    return this.payload + this.length * ELEM_OVERHEAD + this.nc * 64;
  }

  clone(): ListObj {
    const l = new ListObj();
    this.each(0, this.length, (v) => {
      l.pushRight(v);
    });
    return l;
  }

  private chunk(i: number): Chunk {
    return this.ring[(this.h + i) & (this.ring.length - 1)]!;
  }

  private growRing(): void {
    const old = this.ring;
    const nr = new Array<Chunk>(old.length * 2);
    for (let i = 0; i < this.nc; i++) nr[i] = old[(this.h + i) & (old.length - 1)]!;
    this.ring = nr;
    this.h = 0;
  }

  /** Inserts a chunk so that it becomes chunk number `at`. */
  private insertChunk(at: number, ch: Chunk): void {
    if (this.nc === this.ring.length) this.growRing();
    const mask = this.ring.length - 1;
    if (at === 0) {
      this.h = (this.h - 1) & mask;
      this.ring[this.h] = ch;
    } else {
      for (let i = this.nc; i > at; i--) this.ring[(this.h + i) & mask] = this.ring[(this.h + i - 1) & mask]!;
      this.ring[(this.h + at) & mask] = ch;
    }
    this.nc++;
  }

  /** Drops empty chunks (after removals in the middle). */
  private compactRing(): void {
    const mask = this.ring.length - 1;
    let w = 0;
    for (let i = 0; i < this.nc; i++) {
      const ch = this.ring[(this.h + i) & mask]!;
      if (ch.n !== 0) this.ring[(this.h + w++) & mask] = ch;
    }
    for (let i = w; i < this.nc; i++) this.ring[(this.h + i) & mask] = undefined as unknown as Chunk;
    this.nc = w;
  }

  pushLeft(v: string): void {
    let ch = this.nc !== 0 ? this.chunk(0) : null;
    if (ch === null) {
      ch = new Chunk(FIRST, true);
      this.insertChunk(0, ch);
    } else if (ch.s === 0) {
      if (ch.a.length < CHUNK) ch.grow(true);
      else {
        ch = new Chunk(CHUNK, true);
        this.insertChunk(0, ch);
      }
    }
    ch.a[--ch.s] = v;
    ch.bytes += v.length;
    this.length++;
    this.payload += v.length;
  }

  pushRight(v: string): void {
    let ch = this.nc !== 0 ? this.chunk(this.nc - 1) : null;
    if (ch === null) {
      ch = new Chunk(FIRST, false);
      this.insertChunk(0, ch);
    } else if (ch.e === ch.a.length) {
      if (ch.a.length < CHUNK) ch.grow(false);
      else {
        ch = new Chunk(CHUNK, false);
        this.insertChunk(this.nc, ch);
      }
    }
    ch.a[ch.e++] = v;
    ch.bytes += v.length;
    this.length++;
    this.payload += v.length;
  }

  popLeft(): string | undefined {
    if (this.length === 0) return undefined;
    const ch = this.chunk(0);
    const v = ch.a[ch.s]!;
    ch.a[ch.s++] = undefined;
    ch.bytes -= v.length;
    this.length--;
    this.payload -= v.length;
    if (ch.n === 0) this.dropFirstChunk();
    return v;
  }

  popRight(): string | undefined {
    if (this.length === 0) return undefined;
    const ch = this.chunk(this.nc - 1);
    const v = ch.a[--ch.e]!;
    ch.a[ch.e] = undefined;
    ch.bytes -= v.length;
    this.length--;
    this.payload -= v.length;
    if (ch.n === 0) this.dropLastChunk();
    return v;
  }

  private dropFirstChunk(): void {
    this.ring[this.h] = undefined as unknown as Chunk;
    this.h = (this.h + 1) & (this.ring.length - 1);
    this.nc--;
  }

  private dropLastChunk(): void {
    this.nc--;
    this.ring[(this.h + this.nc) & (this.ring.length - 1)] = undefined as unknown as Chunk;
  }

  pop(left: boolean): string | undefined {
    return left ? this.popLeft() : this.popRight();
  }

  push(left: boolean, v: string): void {
    if (left) this.pushLeft(v);
    else this.pushRight(v);
  }

  /** Finds element i (0 <= i < length): sets lc (chunk number) and lo (slot). */
  private locate(i: number): void {
    if (i < this.length / 2) {
      for (let ci = 0; ; ci++) {
        const ch = this.chunk(ci);
        const n = ch.e - ch.s;
        if (i < n) {
          this.lc = ci;
          this.lo = ch.s + i;
          return;
        }
        i -= n;
      }
    }
    let back = this.length - 1 - i;
    for (let ci = this.nc - 1; ; ci--) {
      const ch = this.chunk(ci);
      const n = ch.e - ch.s;
      if (back < n) {
        this.lc = ci;
        this.lo = ch.e - 1 - back;
        return;
      }
      back -= n;
    }
  }

  /** Element at index i (0 <= i < length). */
  get(i: number): string {
    this.locate(i);
    return this.chunk(this.lc).a[this.lo]!;
  }

  set(i: number, v: string): void {
    this.locate(i);
    const ch = this.chunk(this.lc);
    const d = v.length - ch.a[this.lo]!.length;
    this.payload += d;
    ch.bytes += d;
    ch.a[this.lo] = v;
  }

  first(): string | undefined {
    if (this.length === 0) return undefined;
    const ch = this.chunk(0);
    return ch.a[ch.s];
  }

  last(): string | undefined {
    if (this.length === 0) return undefined;
    const ch = this.chunk(this.nc - 1);
    return ch.a[ch.e - 1];
  }

  /** Calls fn for `count` elements from index `start` forward; stops early when fn returns false. */
  each(start: number, count: number, fn: (v: string, i: number) => boolean | void): void {
    if (count <= 0 || start >= this.length) return;
    this.locate(start);
    let ci = this.lc;
    let o = this.lo;
    let i = start;
    const end = Math.min(this.length, start + count);
    while (i < end) {
      const ch = this.chunk(ci);
      const a = ch.a;
      const e = ch.e;
      for (; o < e && i < end; o++, i++) if (fn(a[o]!, i) === false) return;
      ci++;
      if (ci < this.nc) o = this.chunk(ci).s;
    }
  }

  /** Calls fn for up to `count` elements from index `start` backward (towards the head). */
  eachRev(start: number, count: number, fn: (v: string, i: number) => boolean | void): void {
    if (count <= 0 || start < 0 || this.length === 0) return;
    if (start >= this.length) start = this.length - 1;
    this.locate(start);
    let ci = this.lc;
    let o = this.lo;
    let i = start;
    const end = Math.max(-1, start - count);
    while (i > end) {
      const ch = this.chunk(ci);
      const a = ch.a;
      const s = ch.s;
      for (; o >= s && i > end; o--, i--) if (fn(a[o]!, i) === false) return;
      ci--;
      if (ci >= 0) o = this.chunk(ci).e - 1;
    }
  }

  /** Inserts v so that it gets index i (0 <= i <= length). */
  insertAt(i: number, v: string): void {
    if (i === 0) return this.pushLeft(v);
    if (i === this.length) return this.pushRight(v);
    this.locate(i);
    let ch = this.chunk(this.lc);
    let o = this.lo;
    if (ch.n === ch.a.length && ch.a.length < CHUNK) ch.grow(false);
    else if (ch.n === CHUNK) {
      // Split: the upper half moves into a new chunk after this one.
      const half = CHUNK >> 1;
      const nch = new Chunk(CHUNK, false);
      for (let k = half; k < CHUNK; k++) {
        nch.a[k - half] = ch.a[k];
        ch.a[k] = undefined;
      }
      nch.e = CHUNK - half;
      ch.e = half;
      for (let k = 0; k < nch.e; k++) nch.bytes += nch.a[k]!.length;
      ch.bytes -= nch.bytes;
      this.insertChunk(this.lc + 1, nch);
      if (o >= half) {
        ch = nch;
        o -= half;
      }
    }
    const a = ch.a;
    if (ch.e < ch.a.length && (ch.s === 0 || ch.e - o <= o - ch.s)) {
      for (let k = ch.e; k > o; k--) a[k] = a[k - 1];
      a[o] = v;
      ch.e++;
    } else {
      for (let k = ch.s - 1; k < o - 1; k++) a[k] = a[k + 1];
      a[o - 1] = v;
      ch.s--;
    }
    ch.bytes += v.length;
    this.length++;
    this.payload += v.length;
  }

  /** Index of the first element equal to v, or -1. */
  indexOf(v: string): number {
    let found = -1;
    this.each(0, this.length, (x, i) => {
      if (x === v) {
        found = i;
        return false;
      }
    });
    return found;
  }

  /**
   * LREM: removes up to `limit` elements equal to v (0 = all), scanning from the head, or from
   * the tail when fromTail. Returns how many were removed. One pass, compacting each chunk.
   */
  removeValue(v: string, limit: number, fromTail: boolean): number {
    let left = limit <= 0 ? Infinity : limit;
    let removed = 0;
    if (!fromTail) {
      for (let ci = 0; ci < this.nc && left > 0; ci++) {
        const ch = this.chunk(ci);
        const a = ch.a;
        let w = ch.s;
        let r = ch.s;
        for (; r < ch.e; r++) {
          const x = a[r]!;
          if (left > 0 && x === v) {
            left--;
            removed++;
            continue;
          }
          a[w++] = x;
        }
        for (let k = w; k < ch.e; k++) a[k] = undefined;
        ch.bytes -= (ch.e - w) * v.length;
        ch.e = w;
      }
    } else {
      for (let ci = this.nc - 1; ci >= 0 && left > 0; ci--) {
        const ch = this.chunk(ci);
        const a = ch.a;
        let w = ch.e;
        for (let r = ch.e - 1; r >= ch.s; r--) {
          const x = a[r]!;
          if (left > 0 && x === v) {
            left--;
            removed++;
            continue;
          }
          a[--w] = x;
        }
        for (let k = ch.s; k < w; k++) a[k] = undefined;
        ch.bytes -= (w - ch.s) * v.length;
        ch.s = w;
      }
    }
    if (removed !== 0) {
      this.length -= removed;
      this.payload -= removed * v.length;
      this.compactRing();
    }
    return removed;
  }

  /** LTRIM: drops `left` elements from the head and `right` from the tail. */
  trim(left: number, right: number): void {
    if (left + right >= this.length) {
      this.clear();
      return;
    }
    while (left > 0) {
      const ch = this.chunk(0);
      const n = ch.n;
      if (n <= left) {
        this.payload -= ch.bytes;
        this.length -= n;
        left -= n;
        this.dropFirstChunk();
      } else {
        for (let k = 0; k < left; k++) {
          const len = ch.a[ch.s]!.length;
          this.payload -= len;
          ch.bytes -= len;
          ch.a[ch.s++] = undefined;
        }
        this.length -= left;
        left = 0;
      }
    }
    while (right > 0) {
      const ch = this.chunk(this.nc - 1);
      const n = ch.n;
      if (n <= right) {
        this.payload -= ch.bytes;
        this.length -= n;
        right -= n;
        this.dropLastChunk();
      } else {
        for (let k = 0; k < right; k++) {
          const len = ch.a[ch.e - 1]!.length;
          this.payload -= len;
          ch.bytes -= len;
          ch.a[--ch.e] = undefined;
        }
        this.length -= right;
        right = 0;
      }
    }
  }

  clear(): void {
    this.ring = new Array<Chunk>(1);
    this.h = 0;
    this.nc = 0;
    this.length = 0;
    this.payload = 0;
  }
}
