// The list type: a chunked deque. Elements live in chunks (up to CHUNK slots used as [s, e)
// windows, the elements' bytes in one buffer per chunk; a list's first chunk starts small and
// doubles, so short lists stay small); the chunks themselves sit in a ring buffer. Push/pop at either end
// are O(1); index access skips whole chunks from the nearer end (O(n / CHUNK)); inserts and
// removals in the middle touch one chunk (O(CHUNK)) plus the ring when a chunk splits or
// empties. This plays the role of Redis's quicklist (7.0 reports every list as "quicklist").

import { Obj, type EncodingLimits } from "../value.ts";

const CHUNK = 128;
/** Capacity of a list's first chunk. */
const FIRST = 4;
/** Per-element overhead counted by bytes() (a pointer-ish slot plus string header). */
const ELEM_OVERHEAD = 16;

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;
const NO_BYTES = Buffer.alloc(0);

/**
 * Up to CHUNK elements as bytes in one buffer (like a quicklist node's listpack), so a list of
 * millions of elements is a few thousand objects for the garbage collector, not millions of
 * strings. Slots [s, e) are the elements in order; slot k's bytes are buf[st[k], st[k] + ln[k]).
 * Bytes are appended at `top` whichever end an element joins; removed elements leave dead
 * bytes that repack() drops when the buffer is full.
 */
class Chunk {
  st: Int32Array;
  ln: Int32Array;
  s: number;
  e: number;
  buf: Buffer = NO_BYTES;
  top = 0;
  /** payload bytes of the elements held */
  bytes = 0;
  /** a chunk filled from the left starts at the right end, and the other way round */
  constructor(cap: number, fromLeft: boolean) {
    this.st = new Int32Array(cap);
    this.ln = new Int32Array(cap);
    this.s = this.e = fromLeft ? cap : 0;
  }
  get cap(): number {
    return this.st.length;
  }
  get n(): number {
    return this.e - this.s;
  }
  /** Doubles the slot capacity (up to CHUNK), adding the room on the left or on the right. */
  grow(left: boolean): void {
    const cap = this.st.length;
    const nc = Math.min(CHUNK, cap * 2);
    const ns = left ? this.s + (nc - cap) : this.s;
    const st = new Int32Array(nc);
    const ln = new Int32Array(nc);
    st.set(this.st.subarray(this.s, this.e), ns);
    ln.set(this.ln.subarray(this.s, this.e), ns);
    this.st = st;
    this.ln = ln;
    this.e = ns + (this.e - this.s);
    this.s = ns;
  }
  /** Element in slot k as a latin1 string. */
  get(k: number): string {
    const o = this.st[k]!;
    return latin1Slice.call(this.buf, o, o + this.ln[k]!);
  }
  /** Stores v in slot k (which must be inside [s, e)); the caller counts what it replaces. */
  put(k: number, v: string): void {
    const n = v.length;
    const o = this.room(k, n);
    const b = this.buf;
    if (n < 32) for (let i = 0; i < n; i++) b[o + i] = v.charCodeAt(i);
    else b.latin1Write(v, o, n);
  }
  /** put() of the bytes src[from, from + n). */
  putBytes(k: number, src: Uint8Array, from: number, n: number): void {
    const o = this.room(k, n);
    const b = this.buf;
    if (n < 32) for (let i = 0; i < n; i++) b[o + i] = src[from + i]!;
    else b.set(src.subarray(from, from + n), o);
  }
  /** Reserves n bytes for slot k (repacking when the buffer is full); returns their offset. */
  private room(k: number, n: number): number {
    // slot k may hold a stale length: repack() must not copy it
    this.ln[k] = 0;
    if (this.top + n > this.buf.length) this.repack(n);
    const o = this.top;
    this.top = o + n;
    this.st[k] = o;
    this.ln[k] = n;
    this.bytes += n;
    return o;
  }
  /** Moves the live elements into a buffer with room for `need` more bytes. */
  private repack(need: number): void {
    let live = 0;
    for (let k = this.s; k < this.e; k++) live += this.ln[k]!;
    const nb = Buffer.allocUnsafe(Math.max(64, (live + need) * 2));
    const old = this.buf;
    let o = 0;
    for (let k = this.s; k < this.e; k++) {
      const n = this.ln[k]!;
      const f = this.st[k]!;
      if (n < 32) for (let i = 0; i < n; i++) nb[o + i] = old[f + i]!;
      else nb.set(old.subarray(f, f + n), o);
      this.st[k] = o;
      o += n;
    }
    this.buf = nb;
    this.top = o;
  }
  /** Forgets the element of slot k (its bytes become dead). */
  drop(k: number): void {
    this.bytes -= this.ln[k]!;
  }
  /** Slot `to` takes the element of slot `from`. */
  move(to: number, from: number): void {
    this.st[to] = this.st[from]!;
    this.ln[to] = this.ln[from]!;
  }
  /** Does slot k hold exactly the bytes of v? */
  eq(k: number, v: string): boolean {
    const n = v.length;
    if (this.ln[k] !== n) return false;
    const b = this.buf;
    const o = this.st[k]!;
    for (let i = 0; i < n; i++) if (b[o + i] !== v.charCodeAt(i)) return false;
    return true;
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

  /** The chunk a new head element goes into, its slot already taken (ch.s moved left). */
  private headSlot(): Chunk {
    let ch = this.nc !== 0 ? this.chunk(0) : null;
    if (ch === null) {
      ch = new Chunk(FIRST, true);
      this.insertChunk(0, ch);
    } else if (ch.s === 0) {
      if (ch.cap < CHUNK) ch.grow(true);
      else {
        ch = new Chunk(CHUNK, true);
        this.insertChunk(0, ch);
      }
    }
    ch.s--;
    this.length++;
    return ch;
  }

  /** The chunk a new tail element goes into, its slot already taken (ch.e moved right). */
  private tailSlot(): Chunk {
    let ch = this.nc !== 0 ? this.chunk(this.nc - 1) : null;
    if (ch === null) {
      ch = new Chunk(FIRST, false);
      this.insertChunk(0, ch);
    } else if (ch.e === ch.cap) {
      if (ch.cap < CHUNK) ch.grow(false);
      else {
        ch = new Chunk(CHUNK, false);
        this.insertChunk(this.nc, ch);
      }
    }
    ch.e++;
    this.length++;
    return ch;
  }

  pushLeft(v: string): void {
    const ch = this.headSlot();
    ch.put(ch.s, v);
    this.payload += v.length;
  }

  pushRight(v: string): void {
    const ch = this.tailSlot();
    ch.put(ch.e - 1, v);
    this.payload += v.length;
  }

  /** push() of the bytes b[from, from + n) (no string is made). */
  pushBytes(left: boolean, b: Uint8Array, from: number, n: number): void {
    if (left) {
      const ch = this.headSlot();
      ch.putBytes(ch.s, b, from, n);
    } else {
      const ch = this.tailSlot();
      ch.putBytes(ch.e - 1, b, from, n);
    }
    this.payload += n;
  }

  popLeft(): string | undefined {
    return this.popBytes(true) ? latin1Slice.call(this.popped, this.poppedAt, this.poppedAt + this.poppedLen) : undefined;
  }

  popRight(): string | undefined {
    return this.popBytes(false) ? latin1Slice.call(this.popped, this.poppedAt, this.poppedAt + this.poppedLen) : undefined;
  }

  /**
   * Pops the head (or tail) element without making a string: its bytes are
   * popped[poppedAt, poppedAt + poppedLen), valid until the list changes again. False if empty.
   */
  popBytes(left: boolean): boolean {
    if (this.length === 0) return false;
    const ch = this.chunk(left ? 0 : this.nc - 1);
    const k = left ? ch.s++ : --ch.e;
    const n = ch.ln[k]!;
    this.popped = ch.buf;
    this.poppedAt = ch.st[k]!;
    this.poppedLen = n;
    ch.drop(k);
    this.length--;
    this.payload -= n;
    if (ch.n === 0) {
      if (left) this.dropFirstChunk();
      else this.dropLastChunk();
    }
    return true;
  }
  popped: Buffer = NO_BYTES;
  poppedAt = 0;
  poppedLen = 0;

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
    return this.chunk(this.lc).get(this.lo);
  }

  set(i: number, v: string): void {
    this.locate(i);
    const ch = this.chunk(this.lc);
    this.payload += v.length - ch.ln[this.lo]!;
    ch.drop(this.lo);
    ch.put(this.lo, v);
  }

  first(): string | undefined {
    if (this.length === 0) return undefined;
    const ch = this.chunk(0);
    return ch.get(ch.s);
  }

  last(): string | undefined {
    if (this.length === 0) return undefined;
    const ch = this.chunk(this.nc - 1);
    return ch.get(ch.e - 1);
  }

  /** Calls fn for `count` elements from index `start` forward; stops early when fn returns false. */
  each(start: number, count: number, fn: (v: string, i: number) => boolean | void): void {
    this.eachBytes(start, count, (b, o, n, i) => fn(latin1Slice.call(b, o, o + n), i));
  }

  /** each() handing over each element's bytes, b[o, o + n), without making strings (replies). */
  eachBytes(start: number, count: number, fn: (b: Buffer, o: number, n: number, i: number) => boolean | void): void {
    if (count <= 0 || start >= this.length) return;
    this.locate(start);
    let ci = this.lc;
    let o = this.lo;
    let i = start;
    const end = Math.min(this.length, start + count);
    while (i < end) {
      const ch = this.chunk(ci);
      const e = ch.e;
      for (; o < e && i < end; o++, i++) if (fn(ch.buf, ch.st[o]!, ch.ln[o]!, i) === false) return;
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
      const s = ch.s;
      for (; o >= s && i > end; o--, i--) if (fn(ch.get(o), i) === false) return;
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
    if (ch.n === ch.cap && ch.cap < CHUNK) ch.grow(false);
    else if (ch.n === CHUNK) {
      // Split: the upper half moves into a new chunk after this one.
      const half = CHUNK >> 1;
      const nch = new Chunk(CHUNK, false);
      nch.e = CHUNK - half;
      for (let k = half; k < CHUNK; k++) nch.putBytes(k - half, ch.buf, ch.st[k]!, ch.ln[k]!);
      ch.e = half;
      ch.bytes -= nch.bytes;
      this.insertChunk(this.lc + 1, nch);
      if (o >= half) {
        ch = nch;
        o -= half;
      }
    }
    if (ch.e < ch.cap && (ch.s === 0 || ch.e - o <= o - ch.s)) {
      for (let k = ch.e; k > o; k--) ch.move(k, k - 1);
      ch.e++;
      ch.put(o, v);
    } else {
      for (let k = ch.s - 1; k < o - 1; k++) ch.move(k, k + 1);
      ch.s--;
      ch.put(o - 1, v);
    }
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
        let w = ch.s;
        let r = ch.s;
        for (; r < ch.e; r++) {
          if (left > 0 && ch.eq(r, v)) {
            left--;
            removed++;
            continue;
          }
          ch.move(w++, r);
        }
        ch.bytes -= (ch.e - w) * v.length;
        ch.e = w;
      }
    } else {
      for (let ci = this.nc - 1; ci >= 0 && left > 0; ci--) {
        const ch = this.chunk(ci);
        let w = ch.e;
        for (let r = ch.e - 1; r >= ch.s; r--) {
          if (left > 0 && ch.eq(r, v)) {
            left--;
            removed++;
            continue;
          }
          ch.move(--w, r);
        }
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
          this.payload -= ch.ln[ch.s]!;
          ch.drop(ch.s++);
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
          this.payload -= ch.ln[ch.e - 1]!;
          ch.drop(--ch.e);
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
