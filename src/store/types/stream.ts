// The stream type (Redis 7.0): entries keyed by 128-bit IDs "<ms>-<seq>", consumer groups with
// their pending entries lists (PEL), consumers, last-delivered ID and the 7.0 read counters
// (entries-read, lag).
//
// Entries live in nodes that mirror Redis's listpack nodes one for one: a node starts with the
// "master" ID and fields of the first entry added to it, holds up to stream-node-max-entries
// entries (deleted ones included) and closes once its listpack would reach
// stream-node-max-bytes. The byte size of each node's listpack is tracked exactly (the
// listpack encoding size of every element, as Redis would write it). That makes everything
// whose visible result depends on node boundaries behave as in Redis: approximate trimming
// ("~" only drops whole nodes), deleted entries that stay in their node until it empties,
// XINFO STREAM's radix-tree-keys and radix-tree-nodes, and the RDB form (one listpack per
// node, byte-identical DUMP payloads).
//
// A node is a few typed arrays, not objects per entry: entry IDs as uint32 words, flags, and
// the field/value bytes back to back in one buffer (values only when an entry has the master's
// fields, as in the listpack). Measured on 300k entries: a third of the heap of one object per
// entry, and range replies 4x faster (binary searches and byte copies stay in a few cache
// lines instead of chasing an object per entry and per string).
//
// Nodes are indexed by master ID in a B+tree (IdTree, keys as words too), as are the PELs:
// O(log n) seek, insert and delete, ordered walks. uint64 halves of IDs are kept as two
// uint32 words so the whole 128-bit range is exact without BigInt on the hot paths.

import { isCSpace, parseI64 } from "../../util/numbers.ts";
import { Obj, type EncodingLimits } from "../value.ts";

const U32 = 4294967296;
const W_MAX = 0xffffffff;

// ------------------------------------------------------------------------------------- IDs

/** A stream ID: ms and seq, each an unsigned 64-bit integer held as high/low 32-bit words. */
export class SID {
  private s: string | null = null;
  constructor(
    readonly mh: number,
    readonly ml: number,
    readonly sh: number,
    readonly sl: number,
  ) {}

  /** "<ms>-<seq>" (cached). */
  get str(): string {
    return (this.s ??= u64str(this.mh, this.ml) + "-" + u64str(this.sh, this.sl));
  }

  isZero(): boolean {
    return this.mh === 0 && this.ml === 0 && this.sh === 0 && this.sl === 0;
  }

  isMax(): boolean {
    return this.mh === W_MAX && this.ml === W_MAX && this.sh === W_MAX && this.sl === W_MAX;
  }

  /** ms as a number (exact below 2^53). */
  get ms(): number {
    return this.mh * U32 + this.ml;
  }

  /** The 16 big-endian bytes Redis uses as rax keys. */
  bytes(): Uint8Array {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, this.mh);
    v.setUint32(4, this.ml);
    v.setUint32(8, this.sh);
    v.setUint32(12, this.sl);
    return b;
  }

  static fromBytes(b: Uint8Array, at = 0): SID {
    const v = new DataView(b.buffer, b.byteOffset + at, 16);
    return new SID(v.getUint32(0), v.getUint32(4), v.getUint32(8), v.getUint32(12));
  }

  static fromBig(ms: bigint, seq: bigint): SID {
    return new SID(Number(ms >> 32n), Number(ms & 0xffffffffn), Number(seq >> 32n), Number(seq & 0xffffffffn));
  }

  /** ID for a millisecond time (ms < 2^53) and a small seq. */
  static of(ms: number, seq = 0): SID {
    const mh = Math.floor(ms / U32);
    const sh = Math.floor(seq / U32);
    return new SID(mh, ms - mh * U32, sh, seq - sh * U32);
  }

  msBig(): bigint {
    return (BigInt(this.mh) << 32n) | BigInt(this.ml);
  }

  seqBig(): bigint {
    return (BigInt(this.sh) << 32n) | BigInt(this.sl);
  }
}

export const ZERO_ID = new SID(0, 0, 0, 0);
export const MAX_ID = new SID(W_MAX, W_MAX, W_MAX, W_MAX);

export function cmpId(a: SID, b: SID): number {
  return a.mh - b.mh || a.ml - b.ml || a.sh - b.sh || a.sl - b.sl;
}

/** Decimal form of an unsigned 64-bit value given as two words. */
export function u64str(h: number, l: number): string {
  if (h < 0x200000) return String(h * U32 + l);
  return ((BigInt(h) << 32n) | BigInt(l)).toString();
}

/** The next ID (128-bit increment), or null past the largest one (streamIncrID's error). */
export function incrId(a: SID): SID | null {
  if (a.sl !== W_MAX) return new SID(a.mh, a.ml, a.sh, a.sl + 1);
  if (a.sh !== W_MAX) return new SID(a.mh, a.ml, a.sh + 1, 0);
  if (a.ml !== W_MAX) return new SID(a.mh, a.ml + 1, 0, 0);
  if (a.mh !== W_MAX) return new SID(a.mh + 1, 0, 0, 0);
  return null;
}

/** The previous ID, or null below 0-0 (streamDecrID's error). */
export function decrId(a: SID): SID | null {
  if (a.sl !== 0) return new SID(a.mh, a.ml, a.sh, a.sl - 1);
  if (a.sh !== 0) return new SID(a.mh, a.ml, a.sh - 1, W_MAX);
  if (a.ml !== 0) return new SID(a.mh, a.ml - 1, W_MAX, W_MAX);
  if (a.mh !== 0) return new SID(a.mh - 1, W_MAX, W_MAX, W_MAX);
  return null;
}

const U64_MAX = 18446744073709551615n;


/**
 * Redis's string2ull: a strict int64 (string2ll) must not be negative; anything else goes to
 * strtoull (leading spaces, a sign, leading zeros; "-n" wraps modulo 2^64). Returns [hi, lo]
 * words or null.
 */
export function parseU64(s: string): [number, number] | null {
  const n = s.length;
  if (n === 0) return null;
  // Fast path: plain digits that fit a double exactly.
  if (n <= 15) {
    let v = 0;
    let ok = true;
    for (let i = 0; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) {
        ok = false;
        break;
      }
      v = v * 10 + d;
    }
    if (ok) {
      const h = Math.floor(v / U32);
      return [h, v - h * U32];
    }
  }
  const ll = parseI64(s);
  if (!Number.isNaN(ll)) {
    if (ll < 0) return null;
    const b = BigInt(s);
    return [Number(b >> 32n), Number(b & 0xffffffffn)];
  }
  // strtoull(s, &end, 10) with the whole string consumed, no ERANGE.
  let i = 0;
  while (i < n && isCSpace(s.charCodeAt(i))) i++;
  let neg = false;
  const c0 = s.charCodeAt(i);
  if (c0 === 43 || c0 === 45) {
    neg = c0 === 45;
    i++;
  }
  const ds = i;
  while (i < n) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return null;
    i++;
  }
  if (i === ds) return null;
  let b = BigInt(s.slice(ds));
  if (b > U64_MAX) return null;
  if (neg) b = (U64_MAX + 1n - b) & U64_MAX;
  return [Number(b >> 32n), Number(b & 0xffffffffn)];
}

/** What parseId() returns besides the ID: whether "<ms>-*" asked for an automatic seq. */
export const parsed = { seqGiven: true };

/**
 * Parses a stream ID as Redis's streamGenericParseIDOrReply: "-" / "+" (unless strict),
 * "<ms>" (seq = missingSeq: 0 or the largest), "<ms>-<seq>", and with autoSeq "<ms>-*"
 * (parsed.seqGiven = false). The C string ends at the first NUL byte; longer than 127 bytes
 * is invalid. Returns null when invalid.
 */
export function parseId(s: string, maxSeq: boolean, strict: boolean, autoSeq = false): SID | null {
  parsed.seqGiven = true;
  if (s.length > 127) return null;
  const nul = s.indexOf("\0");
  if (nul >= 0) s = s.slice(0, nul);
  if (s === "-") return strict ? null : ZERO_ID;
  if (s === "+") return strict ? null : MAX_ID;
  const dash = s.indexOf("-");
  const ms = parseU64(dash < 0 ? s : s.slice(0, dash));
  if (ms === null) return null;
  if (dash < 0) return maxSeq ? new SID(ms[0], ms[1], W_MAX, W_MAX) : new SID(ms[0], ms[1], 0, 0);
  const rest = s.slice(dash + 1);
  if (autoSeq && rest === "*") {
    parsed.seqGiven = false;
    return new SID(ms[0], ms[1], 0, 0);
  }
  const seq = parseU64(rest);
  if (seq === null) return null;
  return new SID(ms[0], ms[1], seq[0], seq[1]);
}

/**
 * parseId() for bytes b[s, e) (a command argument): plain "<ms>", "<ms>-<seq>" and "<ms>-*"
 * with at most 15 digits per part are read directly; anything else goes through parseId().
 */
export function parseIdBytes(b: Uint8Array, s: number, e: number, maxSeq: boolean, strict: boolean, autoSeq = false): SID | null {
  let i = s;
  let ms = 0;
  const m0 = i;
  while (i < e) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) break;
    ms = ms * 10 + d;
    i++;
  }
  const md = i - m0;
  if (md > 0 && md <= 15 && (md === 1 || b[m0] !== 48)) {
    const mh = Math.floor(ms / U32);
    if (i === e) {
      parsed.seqGiven = true;
      return maxSeq ? new SID(mh, ms - mh * U32, W_MAX, W_MAX) : new SID(mh, ms - mh * U32, 0, 0);
    }
    if (b[i] === 45) {
      i++;
      if (autoSeq && i + 1 === e && b[i] === 42) {
        parsed.seqGiven = false;
        return new SID(mh, ms - mh * U32, 0, 0);
      }
      let seq = 0;
      const s0 = i;
      while (i < e) {
        const d = b[i]! - 48;
        if (d < 0 || d > 9) break;
        seq = seq * 10 + d;
        i++;
      }
      const sd = i - s0;
      if (i === e && sd > 0 && sd <= 15 && (sd === 1 || b[s0] !== 48)) {
        parsed.seqGiven = true;
        const sh = Math.floor(seq / U32);
        return new SID(mh, ms - mh * U32, sh, seq - sh * U32);
      }
    }
  }
  let str = "";
  for (let k = s; k < e; k++) str += String.fromCharCode(b[k]!);
  return parseId(str, maxSeq, strict, autoSeq);
}

// ------------------------------------------------------------------- listpack size model

/** Bytes of a listpack integer element (encoding + backlen). */
export function lpIntSize(v: number): number {
  if (v >= 0 && v <= 127) return 2;
  if (v >= -4096 && v <= 4095) return 3;
  if (v >= -32768 && v <= 32767) return 4;
  if (v >= -8388608 && v <= 8388607) return 5;
  if (v >= -2147483648 && v <= 2147483647) return 6;
  return 10;
}

function backlenSize(l: number): number {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

/** Bytes of a listpack string element (integers in canonical form are stored as integers). */
export function lpStrSize(s: string): number {
  const n = s.length;
  if (n <= 20 && n > 0) {
    const c = s.charCodeAt(0);
    if ((c >= 48 && c <= 57) || c === 45) {
      const v = parseI64(s);
      if (!Number.isNaN(v)) return lpIntSize(v);
    }
  }
  const enc = n <= 63 ? 1 + n : n <= 4095 ? 2 + n : 5 + n;
  return enc + backlenSize(enc);
}

/** Bytes of the int64 (a - b) mod 2^64, for uint64 values given as words. */
function deltaSize(ah: number, al: number, bh: number, bl: number): number {
  let dh = ah - bh;
  let dl = al - bl;
  if (dl < 0) {
    dl += U32;
    dh -= 1;
  }
  const hi = dh | 0;
  if (hi === 0) return lpIntSize(dl);
  if (hi === -1) return lpIntSize(dl - U32);
  return 10;
}

/** Listpack header (total bytes + count) and end byte. */
const LP_EMPTY = 7;
/** STREAM_LISTPACK_MAX_SIZE */
export const NODE_MAX_BYTES_CAP = 1 << 30;

export const F_DELETED = 1;
export const F_SAMEFIELDS = 2;

// ----------------------------------------------------------------------------- IdTree

const LEAF_MAX = 64;
const INNER_MAX = 64;

/** Compares the ID in words kw[4j..4j+3] with id. */
function cmpW(kw: Uint32Array, j: number, id: SID): number {
  const o = j << 2;
  return kw[o]! - id.mh || kw[o + 1]! - id.ml || kw[o + 2]! - id.sh || kw[o + 3]! - id.sl;
}

function putW(kw: Uint32Array, j: number, id: SID): void {
  const o = j << 2;
  kw[o] = id.mh;
  kw[o + 1] = id.ml;
  kw[o + 2] = id.sh;
  kw[o + 3] = id.sl;
}

/** Index of the last word-key <= id among the first n (-1 if none). */
function floorW(kw: Uint32Array, n: number, id: SID): number {
  let lo = 0;
  let hi = n - 1;
  let r = -1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (cmpW(kw, m, id) <= 0) {
      r = m;
      lo = m + 1;
    } else hi = m - 1;
  }
  return r;
}

/** Index of the first word-key >= id among the first n (n if none). */
function ceilW(kw: Uint32Array, n: number, id: SID): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (cmpW(kw, m, id) < 0) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/**
 * A leaf: keys as words in one typed array (binary searches touch no objects), the key
 * objects and the values side by side.
 */
export class IdLeaf<V> {
  kw = new Uint32Array((LEAF_MAX + 1) * 4);
  keys: SID[] = [];
  vals: V[] = [];
  next: IdLeaf<V> | null = null;
  prev: IdLeaf<V> | null = null;
}

class IdInner<V> {
  /** separator j (j >= 1) in words: <= every key under kids[j], > every key under kids[j-1] */
  kw = new Uint32Array((INNER_MAX + 1) * 4);
  kids: (IdLeaf<V> | IdInner<V>)[] = [];
}

/** The child of an inner node whose range holds id. */
function childFor<V>(n: IdInner<V>, id: SID): number {
  const i = floorW(n.kw, n.kids.length, id);
  return i < 1 ? 0 : i;
}

/** A position in an IdTree (leaf + index); leaf null = past the end. */
export class IdCursor<V> {
  constructor(
    public leaf: IdLeaf<V> | null,
    public i: number,
  ) {}
  get key(): SID {
    return this.leaf!.keys[this.i]!;
  }
  get val(): V {
    return this.leaf!.vals[this.i]!;
  }
  next(): void {
    const l = this.leaf!;
    if (++this.i >= l.keys.length) {
      let n = l.next;
      while (n !== null && n.keys.length === 0) n = n.next;
      this.leaf = n;
      this.i = 0;
    }
  }
  prev(): void {
    if (--this.i < 0) {
      let p = this.leaf!.prev;
      while (p !== null && p.keys.length === 0) p = p.prev;
      this.leaf = p;
      this.i = p === null ? 0 : p.keys.length - 1;
    }
  }
}

/** An ordered map keyed by stream IDs: a B+tree with linked leaves (Redis uses a rax). */
export class IdTree<V> {
  root: IdLeaf<V> | IdInner<V> = new IdLeaf<V>();
  head: IdLeaf<V>;
  tail: IdLeaf<V>;
  size = 0;

  constructor() {
    this.head = this.tail = this.root as IdLeaf<V>;
  }

  private leafFor(id: SID): IdLeaf<V> {
    let n = this.root;
    while (n instanceof IdInner) n = n.kids[childFor(n, id)]!;
    return n;
  }

  get(id: SID): V | undefined {
    const l = this.leafFor(id);
    const i = floorW(l.kw, l.keys.length, id);
    return i >= 0 && cmpW(l.kw, i, id) === 0 ? l.vals[i] : undefined;
  }

  has(id: SID): boolean {
    return this.get(id) !== undefined;
  }

  /** First entry >= id. */
  ceil(id: SID): IdCursor<V> {
    const l = this.leafFor(id);
    const n = l.keys.length;
    const c = new IdCursor<V>(l, ceilW(l.kw, n, id));
    if (c.i >= n) {
      c.i = n - 1;
      if (c.i < 0) {
        c.leaf = l.next;
        c.i = 0;
        while (c.leaf !== null && c.leaf.keys.length === 0) c.leaf = c.leaf.next;
      } else c.next();
    }
    return c;
  }

  /** Last entry <= id (leaf null if none). */
  floor(id: SID): IdCursor<V> {
    const l = this.leafFor(id);
    const c = new IdCursor<V>(l, floorW(l.kw, l.keys.length, id));
    if (c.i < 0) {
      c.i = 0;
      if (l.keys.length === 0) {
        let p = l.prev;
        while (p !== null && p.keys.length === 0) p = p.prev;
        c.leaf = p;
        c.i = p === null ? 0 : p.keys.length - 1;
      } else c.prev();
    }
    return c;
  }

  /** The value of the last entry <= id, without a cursor (undefined if none). */
  floorVal(id: SID): V | undefined {
    const l = this.leafFor(id);
    const i = floorW(l.kw, l.keys.length, id);
    if (i >= 0) return l.vals[i];
    let p = l.prev;
    while (p !== null && p.keys.length === 0) p = p.prev;
    return p === null ? undefined : p.vals[p.keys.length - 1];
  }

  first(): IdCursor<V> {
    let l: IdLeaf<V> | null = this.head;
    while (l !== null && l.keys.length === 0) l = l.next;
    return new IdCursor<V>(l, 0);
  }

  last(): IdCursor<V> {
    let l: IdLeaf<V> | null = this.tail;
    while (l !== null && l.keys.length === 0) l = l.prev;
    return new IdCursor<V>(l, l === null ? 0 : l.keys.length - 1);
  }

  firstKey(): SID | null {
    const l = this.head;
    if (l.keys.length !== 0) return l.keys[0]!;
    const c = this.first();
    return c.leaf === null ? null : c.key;
  }

  lastKey(): SID | null {
    const l = this.tail;
    if (l.keys.length !== 0) return l.keys[l.keys.length - 1]!;
    const c = this.last();
    return c.leaf === null ? null : c.key;
  }

  lastVal(): V | undefined {
    const l = this.tail;
    if (l.keys.length !== 0) return l.vals[l.keys.length - 1];
    const c = this.last();
    return c.leaf === null ? undefined : c.val;
  }

  firstVal(): V | undefined {
    const l = this.head;
    if (l.keys.length !== 0) return l.vals[0];
    const c = this.first();
    return c.leaf === null ? undefined : c.val;
  }

  /** Inserts or replaces; returns true when the key is new. */
  set(id: SID, v: V): boolean {
    // Appends (the common case: new IDs are the largest) go straight to the tail leaf.
    const t = this.tail;
    const n = t.keys.length;
    if (n !== 0 && n < LEAF_MAX && cmpW(t.kw, n - 1, id) < 0 && this.root !== t) {
      putW(t.kw, n, id);
      t.keys.push(id);
      t.vals.push(v);
      this.size++;
      return true;
    }
    this.added = false;
    const split = this.ins(this.root, id, v);
    if (split !== null) {
      const r = new IdInner<V>();
      r.kids.push(this.root, split);
      putW(r.kw, 1, this.splitKey!);
      this.root = r;
    }
    if (this.added) this.size++;
    return this.added;
  }

  private added = false;
  private splitKey: SID | null = null;

  /** Inserts under n; returns a new right sibling when n split (its low key in splitKey). */
  private ins(n: IdLeaf<V> | IdInner<V>, id: SID, v: V): IdLeaf<V> | IdInner<V> | null {
    if (n instanceof IdLeaf) {
      const len = n.keys.length;
      const i = ceilW(n.kw, len, id);
      if (i < len && cmpW(n.kw, i, id) === 0) {
        n.vals[i] = v;
        return null;
      }
      this.added = true;
      n.kw.copyWithin((i + 1) << 2, i << 2, len << 2);
      putW(n.kw, i, id);
      n.keys.splice(i, 0, id);
      n.vals.splice(i, 0, v);
      if (len + 1 <= LEAF_MAX) return null;
      const r = new IdLeaf<V>();
      // Appending at the very end keeps the full leaf full (sequential inserts stay dense).
      const at = i === len && n.next === null ? len : (len + 1) >> 1;
      r.kw.set(n.kw.subarray(at << 2, (len + 1) << 2));
      r.keys = n.keys.splice(at);
      r.vals = n.vals.splice(at);
      r.next = n.next;
      r.prev = n;
      if (n.next !== null) n.next.prev = r;
      else this.tail = r;
      n.next = r;
      this.splitKey = r.keys[0]!;
      return r;
    }
    const i = childFor(n, id);
    const s = this.ins(n.kids[i]!, id, v);
    if (s === null) return null;
    const len = n.kids.length;
    n.kw.copyWithin((i + 2) << 2, (i + 1) << 2, len << 2);
    putW(n.kw, i + 1, this.splitKey!);
    n.kids.splice(i + 1, 0, s);
    if (len + 1 <= INNER_MAX) return null;
    const r = new IdInner<V>();
    const at = i + 1 === len ? len : (len + 1) >> 1;
    r.kw.set(n.kw.subarray(at << 2, (len + 1) << 2));
    r.kids = n.kids.splice(at);
    const o = 0;
    this.splitKey = new SID(r.kw[o]!, r.kw[o + 1]!, r.kw[o + 2]!, r.kw[o + 3]!);
    return r;
  }

  /** Removes a key; returns its value (undefined when absent). */
  delete(id: SID): V | undefined {
    const v = this.del(this.root, id);
    if (v === undefined) return undefined;
    this.size--;
    const r = this.root;
    if (r instanceof IdInner) {
      if (r.kids.length === 0) this.root = this.head = this.tail = new IdLeaf<V>();
      else if (r.kids.length === 1) this.root = r.kids[0]!;
    }
    return v;
  }

  private del(n: IdLeaf<V> | IdInner<V>, id: SID): V | undefined {
    if (n instanceof IdLeaf) {
      const len = n.keys.length;
      const i = floorW(n.kw, len, id);
      if (i < 0 || cmpW(n.kw, i, id) !== 0) return undefined;
      const v = n.vals[i]!;
      n.kw.copyWithin(i << 2, (i + 1) << 2, len << 2);
      n.keys.splice(i, 1);
      n.vals.splice(i, 1);
      return v;
    }
    const i = childFor(n, id);
    const k = n.kids[i]!;
    const v = this.del(k, id);
    if (v === undefined) return undefined;
    const empty = k instanceof IdLeaf ? k.keys.length === 0 : k.kids.length === 0;
    if (empty) {
      if (k instanceof IdLeaf) {
        if (k.prev !== null) k.prev.next = k.next;
        else this.head = k.next!;
        if (k.next !== null) k.next.prev = k.prev;
        else this.tail = k.prev!;
      }
      const len = n.kids.length;
      n.kw.copyWithin(i << 2, (i + 1) << 2, len << 2);
      n.kids.splice(i, 1);
    }
    return v;
  }

  /** Visits entries in order (the callback must not modify the tree). */
  forEach(f: (k: SID, v: V) => void): void {
    for (let l: IdLeaf<V> | null = this.head; l !== null; l = l.next) {
      for (let i = 0; i < l.keys.length; i++) f(l.keys[i]!, l.vals[i]!);
    }
  }
}

// --------------------------------------------------------------------------------- nodes

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;
const I64_MAX_DIGITS = "9223372036854775807";

/** lpStrSize for bytes b[s, e). */
export function lpBytesSize(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n > 0 && n <= 20) {
    let i = s;
    const neg = b[i] === 45;
    if (neg) i++;
    const digits = e - i;
    const first = b[i];
    let ok = digits > 0 && first !== undefined && first >= 48 && first <= 57 && (first !== 48 || (digits === 1 && !neg));
    let v = 0;
    for (let k = i; ok && k < e; k++) {
      const d = b[k]! - 48;
      if (d < 0 || d > 9) ok = false;
      else v = v * 10 + d;
    }
    if (ok && digits === 19) {
      // Within int64? Compare the digits with 9223372036854775807 (or ...808 when negative).
      for (let k = 0; k < 19; k++) {
        const d = b[i + k]! - I64_MAX_DIGITS.charCodeAt(k) + (k === 18 && neg ? -1 : 0);
        if (d !== 0) {
          ok = d < 0;
          break;
        }
      }
    } else if (digits > 19) ok = false;
    if (ok) return lpIntSize(neg ? -v : v);
  }
  const enc = n <= 63 ? 1 + n : n <= 4095 ? 2 + n : 5 + n;
  return enc + backlenSize(enc);
}

/** Are bytes b[s, e) the latin1 string str? */
function eqBytes(b: Uint8Array, s: number, e: number, str: string): boolean {
  if (e - s !== str.length) return false;
  for (let k = 0; k < str.length; k++) if (b[s + k] !== str.charCodeAt(k)) return false;
  return true;
}

/**
 * One listpack node, as columns: entry IDs as words, flags, each entry's first item, and the
 * items (field and value bytes) back to back in one buffer, as a listpack keeps them: values
 * only for entries with the master's fields, fields and values otherwise. Replies copy bytes
 * from here; no JS object exists per entry. Deleted entries stay until the node empties.
 */
export class SNode {
  /** entries, valid and deleted */
  n = 0;
  ids: Uint32Array;
  flags: Uint8Array;
  /** off[i]: index of entry i's first item; off[n] = items */
  off: Uint32Array;
  items = 0;
  /** pos[k]: where item k starts in buf; pos[items] = bytes used */
  pos: Uint32Array;
  buf: Uint8Array;
  /** valid and deleted entry counts (the master entry's "count" and "deleted") */
  live = 0;
  dead = 0;
  /** exact listpack size */
  bytes = 0;

  constructor(
    readonly master: SID,
    readonly mfields: string[],
    cap = 8,
    bufCap = 256,
  ) {
    this.ids = new Uint32Array(cap * 4);
    this.flags = new Uint8Array(cap);
    this.off = new Uint32Array(cap + 1);
    this.pos = new Uint32Array(cap * 2 + 1);
    this.buf = new Uint8Array(bufCap);
  }

  private growEntries(): void {
    const cap = this.flags.length * 2;
    const ids = new Uint32Array(cap * 4);
    ids.set(this.ids);
    this.ids = ids;
    const flags = new Uint8Array(cap);
    flags.set(this.flags);
    this.flags = flags;
    const off = new Uint32Array(cap + 1);
    off.set(this.off);
    this.off = off;
  }

  /** Room for k more items of `bytes` more bytes. */
  private reserve(k: number, bytes: number): void {
    if (this.items + k >= this.pos.length) {
      let cap = this.pos.length * 2;
      while (this.items + k >= cap) cap *= 2;
      const pos = new Uint32Array(cap);
      pos.set(this.pos);
      this.pos = pos;
    }
    const used = this.pos[this.items]!;
    if (used + bytes > this.buf.length) {
      let cap = this.buf.length * 2;
      while (used + bytes > cap) cap *= 2;
      const buf = new Uint8Array(cap);
      buf.set(this.buf.subarray(0, used));
      this.buf = buf;
    }
  }

  private beginEntry(id: SID, flags: number): void {
    if (this.n === this.flags.length) this.growEntries();
    const i = this.n++;
    putW(this.ids, i, id);
    this.flags[i] = flags;
    this.off[i] = this.items;
  }

  private addItemStr(s: string): void {
    const p = this.pos[this.items]!;
    const b = this.buf;
    for (let k = 0; k < s.length; k++) b[p + k] = s.charCodeAt(k);
    this.pos[++this.items] = p + s.length;
  }

  /** Appends an entry given as strings (`vals`: what the listpack holds for it). */
  push(id: SID, flags: number, vals: string[]): void {
    let bytes = 0;
    for (let k = 0; k < vals.length; k++) bytes += vals[k]!.length;
    this.reserve(vals.length, bytes);
    this.beginEntry(id, flags);
    for (let k = 0; k < vals.length; k++) this.addItemStr(vals[k]!);
    this.off[this.n] = this.items;
  }

  /**
   * Appends an entry from command arguments a[from, to) (field, value, ...), values only when
   * the fields are the master's.
   */
  pushArgs(id: SID, same: boolean, src: Uint8Array, offs: Int32Array, from: number, to: number): void {
    let bytes = 0;
    const step = same ? 2 : 1;
    const first = same ? from + 1 : from;
    for (let j = first; j < to; j += step) bytes += offs[j * 2 + 1]! - offs[j * 2]!;
    this.reserve((to - first + step - 1) / step, bytes);
    this.beginEntry(id, same ? F_SAMEFIELDS : 0);
    const b = this.buf;
    const pos = this.pos;
    let k = this.items;
    let p = pos[k]!;
    for (let j = first; j < to; j += step) {
      const s = offs[j * 2]!;
      const e = offs[j * 2 + 1]!;
      // Short items byte by byte: a subarray view costs more than the copy.
      if (e - s < 64) for (let x = s; x < e; x++) b[p++] = src[x]!;
      else {
        b.set(src.subarray(s, e), p);
        p += e - s;
      }
      pos[++k] = p;
    }
    this.items = k;
    this.off[this.n] = k;
  }

  /** Do arguments a[from, to) (field, value, ...) have exactly the master's fields? */
  sameFields(src: Uint8Array, offs: Int32Array, from: number, to: number): boolean {
    const mf = this.mfields;
    if (mf.length * 2 !== to - from) return false;
    for (let k = 0; k < mf.length; k++) {
      const j = from + 2 * k;
      if (!eqBytes(src, offs[j * 2]!, offs[j * 2 + 1]!, mf[k]!)) return false;
    }
    return true;
  }

  /** Compares entry i's ID with id. */
  cmpAt(i: number, id: SID): number {
    return cmpW(this.ids, i, id);
  }

  idAt(i: number): SID {
    const o = i << 2;
    const w = this.ids;
    return new SID(w[o]!, w[o + 1]!, w[o + 2]!, w[o + 3]!);
  }

  /** Field/value pairs of entry i. */
  pairs(i: number): number {
    const len = this.off[i + 1]! - this.off[i]!;
    return this.flags[i]! & F_SAMEFIELDS ? len : len >> 1;
  }

  /** Item k as a string. */
  item(k: number): string {
    return latin1Slice.call(this.buf, this.pos[k]!, this.pos[k + 1]!);
  }

  field(i: number, k: number): string {
    return this.flags[i]! & F_SAMEFIELDS ? this.mfields[k]! : this.item(this.off[i]! + 2 * k);
  }

  value(i: number, k: number): string {
    return this.item(this.flags[i]! & F_SAMEFIELDS ? this.off[i]! + k : this.off[i]! + 2 * k + 1);
  }

  /** Entry i's fields and values, interleaved. */
  fieldValues(i: number): string[] {
    const n = this.pairs(i);
    const out: string[] = new Array(n * 2);
    for (let k = 0; k < n; k++) {
      out[k * 2] = this.field(i, k);
      out[k * 2 + 1] = this.value(i, k);
    }
    return out;
  }

  /** The listpack items of entry i, as strings. */
  itemsOf(i: number): string[] {
    const out: string[] = [];
    for (let k = this.off[i]!; k < this.off[i + 1]!; k++) out.push(this.item(k));
    return out;
  }

  /** Size of the master entry: count, deleted, num-fields, fields..., 0. */
  masterSize(): number {
    let n = lpIntSize(this.live) + lpIntSize(this.dead) + lpIntSize(this.mfields.length) + 2;
    for (const f of this.mfields) n += lpStrSize(f);
    return n;
  }

  /** Index of the entry with this ID (deleted or not), or -1. */
  indexOf(id: SID): number {
    const i = floorW(this.ids, this.n, id);
    return i >= 0 && cmpW(this.ids, i, id) === 0 ? i : -1;
  }

  /** Index of the first entry >= id. */
  ceil(id: SID): number {
    return ceilW(this.ids, this.n, id);
  }

  /** Changes the valid/deleted counters, keeping the byte size exact. */
  setCounts(live: number, dead: number): number {
    const before = lpIntSize(this.live) + lpIntSize(this.dead);
    this.live = live;
    this.dead = dead;
    const d = lpIntSize(live) + lpIntSize(dead) - before;
    this.bytes += d;
    return d;
  }

  /** Listpack bytes of entry i. */
  entrySize(i: number): number {
    const o = i << 2;
    const w = this.ids;
    const m = this.master;
    let size = 2 + deltaSize(w[o]!, w[o + 1]!, m.mh, m.ml) + deltaSize(w[o + 2]!, w[o + 3]!, m.sh, m.sl);
    const s = this.off[i]!;
    const e = this.off[i + 1]!;
    const pos = this.pos;
    for (let k = s; k < e; k++) size += lpBytesSize(this.buf, pos[k]!, pos[k + 1]!);
    if (this.flags[i]! & F_SAMEFIELDS) size += lpIntSize(e - s + 3);
    else {
      const nf = (e - s) >> 1;
      size += lpIntSize(nf) + lpIntSize(nf * 2 + 4);
    }
    return size;
  }

  copy(): SNode {
    const used = this.pos[this.items]!;
    const c = new SNode(this.master, this.mfields, Math.max(1, this.n), Math.max(16, used));
    c.ids.set(this.ids.subarray(0, this.n * 4));
    c.flags.set(this.flags.subarray(0, this.n));
    c.off.set(this.off.subarray(0, this.n + 1));
    if (c.pos.length < this.items + 1) c.pos = new Uint32Array(this.items + 1);
    c.pos.set(this.pos.subarray(0, this.items + 1));
    c.buf.set(this.buf.subarray(0, used));
    c.n = this.n;
    c.items = this.items;
    c.live = this.live;
    c.dead = this.dead;
    c.bytes = this.bytes;
    return c;
  }
}

// --------------------------------------------------------------------------- consumer groups

/** A pending entry: delivered to a consumer, not acknowledged yet. */
export class Nack {
  constructor(
    public time: number,
    public count: number,
    public consumer: Consumer | null,
  ) {}
}

export class Consumer {
  pel = new IdTree<Nack>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

/** SCG_INVALID_ENTRIES_READ */
export const INVALID_READ = -1;

export class Group {
  pel = new IdTree<Nack>();
  consumers = new Map<string, Consumer>();
  constructor(
    readonly name: string,
    public lastId: SID,
    public entriesRead: number,
  ) {}

  private sorted: Consumer[] | null = null;

  /** Consumers in name (byte) order, as Redis's rax iterates them (cached until one comes or goes). */
  sortedConsumers(): Consumer[] {
    if (this.sorted === null || this.sorted.length !== this.consumers.size) {
      const names = [...this.consumers.keys()].sort();
      this.sorted = names.map((n) => this.consumers.get(n)!);
    }
    return this.sorted;
  }

  addConsumer(c: Consumer): void {
    this.consumers.set(c.name, c);
    this.sorted = null;
  }

  removeConsumer(name: string): void {
    this.consumers.delete(name);
    this.sorted = null;
  }
}

// ------------------------------------------------------------------------------- the stream

export const TRIM_MAXLEN = 1;
export const TRIM_MINID = 2;

export interface TrimArgs {
  strategy: number;
  maxlen: number;
  minid: SID;
  approx: boolean;
  /** most entries to remove (0 = no limit) */
  limit: number;
}

export class StreamObj extends Obj {
  readonly type = "stream" as const;
  nodes = new IdTree<SNode>();
  length = 0;
  lastId: SID = ZERO_ID;
  firstId: SID = ZERO_ID;
  maxDeletedId: SID = ZERO_ID;
  entriesAdded = 0;
  groups: Map<string, Group> | null = null;
  /** total listpack bytes of all nodes */
  lpBytes = 0;
  private raxCache = -1;

  encoding(_lim: EncodingLimits): string {
    return "stream";
  }

  bytes(): number {
    let n = 64 + this.lpBytes + this.nodes.size * 160;
    if (this.groups !== null) {
      for (const g of this.groups.values()) {
        n += 64 + g.name.length + g.pel.size * 48;
        for (const c of g.consumers.values()) n += 48 + c.name.length + c.pel.size * 16;
      }
    }
    return n;
  }

  clone(): StreamObj {
    const s = new StreamObj();
    this.nodes.forEach((k, n) => {
      s.nodes.set(k, n.copy());
    });
    s.length = this.length;
    s.lastId = this.lastId;
    s.firstId = this.firstId;
    s.maxDeletedId = this.maxDeletedId;
    s.entriesAdded = this.entriesAdded;
    s.lpBytes = this.lpBytes;
    if (this.groups !== null) {
      s.groups = new Map();
      for (const [name, g] of this.groups) {
        const ng = new Group(name, g.lastId, g.entriesRead);
        const map = new Map<Nack, Nack>();
        g.pel.forEach((id, nk) => {
          const nn = new Nack(nk.time, nk.count, null);
          map.set(nk, nn);
          ng.pel.set(id, nn);
        });
        for (const [cn, c] of g.consumers) {
          const nc = new Consumer(cn, c.seenTime);
          c.pel.forEach((id, nk) => {
            const nn = map.get(nk)!;
            nn.consumer = nc;
            nc.pel.set(id, nn);
          });
          ng.addConsumer(nc);
        }
        s.groups.set(name, ng);
      }
    }
    return s;
  }

  // ---- entries ----

  /**
   * Appends an entry (the ID is known to be greater than lastId), into the tail node unless
   * that node is full, as streamAppendItem does. fv: field, value, ...
   */
  append(id: SID, fv: string[], maxBytes: number, maxEntries: number): void {
    const bufs = fv.map((x) => Buffer.from(x, "latin1"));
    const all = Buffer.concat(bufs);
    const offs = new Int32Array(fv.length * 2);
    let p = 0;
    for (let k = 0; k < fv.length; k++) {
      offs[k * 2] = p;
      p += bufs[k]!.length;
      offs[k * 2 + 1] = p;
    }
    this.appendArgs(id, all, offs, 0, fv.length, maxBytes, maxEntries);
  }

  /**
   * append() from command arguments (src/offs as in Argv): fields and values a[from, to),
   * copied as bytes.
   */
  appendArgs(id: SID, src: Uint8Array, offs: Int32Array, from: number, to: number, maxBytes: number, maxEntries: number): void {
    if (maxBytes === 0 || maxBytes > NODE_MAX_BYTES_CAP) maxBytes = NODE_MAX_BYTES_CAP;
    let node = this.nodes.lastVal();
    if (node !== undefined) {
      let total = 0;
      for (let j = from; j < to; j++) total += offs[j * 2 + 1]! - offs[j * 2]!;
      if (node.bytes + total >= maxBytes || (maxEntries !== 0 && node.live + node.dead >= maxEntries)) node = undefined;
    }
    if (node === undefined) {
      const nf = (to - from) >> 1;
      const mf: string[] = new Array(nf);
      for (let k = 0; k < nf; k++) {
        const j = from + 2 * k;
        mf[k] = latin1Slice.call(src, offs[j * 2]!, offs[j * 2 + 1]!);
      }
      node = new SNode(id, mf, maxEntries > 0 && maxEntries <= 128 ? maxEntries : 16);
      node.bytes = LP_EMPTY + node.masterSize();
      this.lpBytes += node.bytes;
      this.nodes.set(id, node);
      this.raxCache = -1;
    }
    node.pushArgs(id, node.sameFields(src, offs, from, to), src, offs, from, to);
    const sz = node.entrySize(node.n - 1);
    node.bytes += sz;
    this.lpBytes += sz + node.setCounts(node.live + 1, node.dead);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Where find() / edge() found an entry. */
  hitNode: SNode | null = null;
  hitIdx = 0;

  /** Finds the valid (not deleted) entry with this ID: sets hitNode/hitIdx, or returns false. */
  find(id: SID): boolean {
    const n = this.nodes.floorVal(id);
    if (n === undefined) return false;
    const i = n.indexOf(id);
    if (i < 0 || n.flags[i]! & F_DELETED) return false;
    this.hitNode = n;
    this.hitIdx = i;
    return true;
  }

  /** Is there a valid entry with this ID? */
  has(id: SID): boolean {
    return this.find(id);
  }

  /** Deletes a valid entry (XDEL); returns false when there is none with this ID. */
  delete(id: SID): boolean {
    if (!this.find(id)) return false;
    const n = this.hitNode!;
    n.flags[this.hitIdx] = n.flags[this.hitIdx]! | F_DELETED;
    if (n.live === 1) this.removeNode(n);
    else this.lpBytes += n.setCounts(n.live - 1, n.dead + 1);
    this.length--;
    return true;
  }

  private removeNode(n: SNode): void {
    this.nodes.delete(n.master);
    this.lpBytes -= n.bytes;
    this.raxCache = -1;
  }

  /**
   * Visits valid entries with start <= id <= end in order (reverse when rev) until visit
   * returns false. The visitor must not change the stream.
   */
  range(start: SID, end: SID, rev: boolean, visit: (n: SNode, i: number) => boolean): void {
    if (cmpId(start, end) > 0) return;
    if (!rev) {
      let c = this.nodes.floor(start);
      if (c.leaf === null) c = this.nodes.first();
      let first = true;
      while (c.leaf !== null) {
        const n = c.val;
        const cnt = n.n;
        const flags = n.flags;
        for (let i = first ? n.ceil(start) : 0; i < cnt; i++) {
          if (n.cmpAt(i, end) > 0) return;
          if (flags[i]! & F_DELETED) continue;
          if (!visit(n, i)) return;
        }
        first = false;
        c.next();
      }
    } else {
      const c = this.nodes.floor(end);
      let first = true;
      while (c.leaf !== null) {
        const n = c.val;
        const flags = n.flags;
        let i = n.n - 1;
        if (first) {
          i = n.ceil(end);
          if (i === n.n || n.cmpAt(i, end) > 0) i--;
        }
        for (; i >= 0; i--) {
          if (n.cmpAt(i, start) < 0) return;
          if (flags[i]! & F_DELETED) continue;
          if (!visit(n, i)) return;
        }
        first = false;
        c.prev();
      }
    }
  }

  /** Finds the first (or last) valid entry (hitNode/hitIdx); false when there is none. */
  edge(first: boolean): boolean {
    let found = false;
    this.range(ZERO_ID, MAX_ID, !first, (n, i) => {
      this.hitNode = n;
      this.hitIdx = i;
      found = true;
      return false;
    });
    return found;
  }

  /** streamLastValidID: the last valid entry's ID (0-0 when empty). */
  lastValidId(): SID {
    return this.edge(false) ? this.hitNode!.idAt(this.hitIdx) : ZERO_ID;
  }

  /** The first entry's ID, deleted or not (streamGetEdgeID without skipping tombstones). */
  firstIdWithTombstones(): SID {
    const n = this.nodes.firstVal();
    return n === undefined ? MAX_ID : n.idAt(0);
  }

  /** Updates firstId after entries were removed from the front. */
  refreshFirstId(): void {
    this.firstId = this.length !== 0 && this.edge(true) ? this.hitNode!.idAt(this.hitIdx) : ZERO_ID;
  }

  /** streamTrim: removes entries from the start; returns how many. */
  trim(t: TrimArgs): number {
    let deleted = 0;
    for (;;) {
      if (t.strategy === TRIM_MAXLEN && this.length <= t.maxlen) break;
      const n = this.nodes.firstVal();
      if (n === undefined) break;
      const entries = n.live;
      if (t.limit !== 0 && deleted + entries > t.limit) break;
      let remove: boolean;
      if (t.strategy === TRIM_MAXLEN) remove = this.length - entries >= t.maxlen;
      else remove = n.cmpAt(n.n - 1, t.minid) < 0;
      if (remove) {
        this.removeNode(n);
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (t.approx) break;
      let fromNode = 0;
      const flags = n.flags;
      for (let i = 0; i < n.n; i++) {
        const stop = t.strategy === TRIM_MAXLEN ? this.length <= t.maxlen : n.cmpAt(i, t.minid) >= 0;
        if (stop) break;
        if (!(flags[i]! & F_DELETED)) {
          flags[i] = flags[i]! | F_DELETED;
          fromNode++;
          this.length--;
        }
      }
      deleted += fromNode;
      this.lpBytes += n.setCounts(entries - fromNode, n.dead + fromNode);
      break;
    }
    if (deleted !== 0) this.refreshFirstId();
    return deleted;
  }

  // ---- 7.0 read counters ----

  /** streamRangeHasTombstones from start to the end. */
  hasTombstonesFrom(start: SID | null): boolean {
    if (this.length === 0 || this.maxDeletedId.isZero()) return false;
    if (cmpId(this.firstId, this.maxDeletedId) > 0) return false;
    return cmpId(start ?? ZERO_ID, this.maxDeletedId) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry (INVALID_READ when unknown). */
  estimateDistance(id: SID): number {
    if (this.entriesAdded === 0) return 0;
    if (this.length === 0 && cmpId(id, this.lastId) < 1) return this.entriesAdded;
    const cl = cmpId(id, this.lastId);
    if (cl === 0) return this.entriesAdded;
    if (cl > 0) return INVALID_READ;
    const cf = cmpId(id, this.firstId);
    if (this.maxDeletedId.isZero() || cmpId(this.maxDeletedId, this.firstId) < 0) {
      if (cf < 0) return this.entriesAdded - this.length;
      if (cf === 0) return this.entriesAdded - this.length + 1;
    }
    return INVALID_READ;
  }

  /** A group's lag, or null when it cannot be known. */
  lag(g: Group): number | null {
    if (this.entriesAdded === 0) return 0;
    if (g.entriesRead !== INVALID_READ && !this.hasTombstonesFrom(g.lastId)) return this.entriesAdded - g.entriesRead;
    const r = this.estimateDistance(g.lastId);
    return r === INVALID_READ ? null : this.entriesAdded - r;
  }

  /** The group's counters after delivering entry id (streamReplyWithRange). */
  advanceGroup(g: Group, id: SID): void {
    if (cmpId(id, g.lastId) <= 0) return;
    if (g.entriesRead !== INVALID_READ && !this.hasTombstonesFrom(id)) g.entriesRead++;
    else if (this.entriesAdded !== 0) g.entriesRead = this.estimateDistance(id);
    g.lastId = id;
  }

  // ---- groups ----

  group(name: string): Group | undefined {
    return this.groups?.get(name);
  }

  /** Groups in name (byte) order. */
  sortedGroups(): Group[] {
    if (this.groups === null) return [];
    return [...this.groups.keys()].sort().map((n) => this.groups!.get(n)!);
  }

  // ---- radix tree shape ----

  /**
   * Number of nodes of the rax that would index these listpacks in Redis (XINFO STREAM's
   * radix-tree-nodes): a rax holding a set of keys has the shape of a compressed trie, so the
   * count follows from the sorted 16-byte keys. Computed on demand, cached until the node set
   * changes.
   */
  raxNodes(): number {
    if (this.raxCache >= 0) return this.raxCache;
    // Adjacent common-prefix lengths of the node keys, in order, from the leaves' words.
    const lcps: number[] = [];
    let pk: Uint32Array | null = null;
    let pj = 0;
    for (let l: IdLeaf<SNode> | null = this.nodes.head; l !== null; l = l.next) {
      for (let j = 0; j < l.keys.length; j++) {
        if (pk !== null) lcps.push(wordLcp(pk, pj, l.kw, j));
        pk = l.kw;
        pj = j;
      }
    }
    this.raxCache = nodesFromLcps(this.nodes.size, lcps);
    return this.raxCache;
  }
}

/** Common prefix length, in bytes, of the 16-byte keys at word slots i of a and j of b. */
function wordLcp(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  for (let w = 0; w < 4; w++) {
    const x = (a[(i << 2) + w]! ^ b[(j << 2) + w]!) >>> 0;
    if (x !== 0) return w * 4 + (Math.clz32(x) >> 3);
  }
  return 16;
}

/**
 * Nodes of a compressed trie (rax) over n sorted, distinct 16-byte keys, from the common
 * prefix lengths of adjacent keys. The trie has a node for the root, each branching point,
 * each child of a branching point and each leaf (a single node when two coincide). So: a
 * leaf counts 1, plus 1 for the compressed node leading to it unless its branching point is at
 * depth 15; a branching point counts 1, plus 1 for a compressed node when it sits deeper than
 * where its parent's edge enters. Branching points are found with a stack over the lcps (a
 * Cartesian tree): O(n), no allocation.
 */
function nodesFromLcps(n: number, l: number[]): number {
  if (n === 0) return 1;
  if (n === 1) return 2;
  let count = 0;
  // leaves: the parent branch of key i is at depth max(l[i-1], l[i])
  for (let i = 0; i < n; i++) {
    const d = Math.max(i > 0 ? l[i - 1]! : -1, i < n - 1 ? l[i]! : -1);
    count += d < 15 ? 2 : 1;
  }
  const stack = new Int32Array(17);
  let top = 0;
  const popTo = (parentDepth: number) => {
    const d = stack[--top]!;
    const entry = parentDepth < 0 ? 0 : parentDepth + 1;
    count += entry < d ? 2 : 1;
  };
  for (let i = 0; i < n - 1; i++) {
    const v = l[i]!;
    while (top > 0 && stack[top - 1]! > v) popTo(Math.max(v, top > 1 ? stack[top - 2]! : -1));
    if (top === 0 || stack[top - 1]! < v) stack[top++] = v;
  }
  while (top > 0) popTo(top > 1 ? stack[top - 2]! : -1);
  return count;
}

/** raxNodeCount over sorted, distinct 16-byte keys (for tests and tools). */
export function raxNodeCount(keys: Uint8Array[]): number {
  const l: number[] = [];
  for (let i = 0; i + 1 < keys.length; i++) {
    let k = 0;
    while (k < 16 && keys[i]![k] === keys[i + 1]![k]) k++;
    l.push(k);
  }
  return nodesFromLcps(keys.length, l);
}
