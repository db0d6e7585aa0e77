// The sorted set type: a member -> score Map plus the ordered index (ztree.ts), Redis's
// dict + skiplist pair. OBJECT ENCODING reports "listpack" until the set first outgrows
// zset-max-listpack-entries / -value (one-way, checked when a new member is added, like
// Redis), then "skiplist". What the listpack form changes visibly is kept: a listpack stores
// scores as text, so a -0 score becomes 0 there.

import { E, fail } from "../../errors.ts";
import { fmtG, strtodAll } from "../../util/numbers.ts";
import { Obj, type EncodingLimits, type Value } from "../value.ts";
import { ZTree, type ZLeaf } from "./ztree.ts";
import { KeyTable } from "../keytable.ts";

/** strtod as zslParseRange uses it (in util/numbers.ts; the RDB loader takes it from here). */
export { strtodAll };

export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_INCR = 16;

export const ZOUT_NOP = 1;
export const ZOUT_ADDED = 2;
export const ZOUT_UPDATED = 4;

/** Per-member bookkeeping bytes used for MEMORY USAGE estimates. */
const ENTRY_OVERHEAD = 48;
/** Members beyond which member -> score lives in a ScoreTable. */
const BIG_ZSET = 1024;

/**
 * member -> score over a KeyTable (members as arena bytes, the score in the table's per-entry
 * float64 field, which tables of collection elements do not use for expiry): a Map with a
 * million string keys costs ~550 ns per operation here.
 */
class ScoreTable {
  private readonly t = new KeyTable(4096);

  get size(): number {
    return this.t.size;
  }

  get(m: string): number | undefined {
    const id = this.t.find(m);
    return id < 0 ? undefined : this.t.expOf(id);
  }

  has(m: string): boolean {
    return this.t.find(m) >= 0;
  }

  set(m: string, s: number): this {
    const id = this.t.upsert(m, 0);
    this.t.setNum(id, s);
    return this;
  }

  delete(m: string): boolean {
    const id = this.t.find(m);
    if (id < 0) return false;
    this.t.setNum(id, 0); // not an expiry: keep the table's expiry count out of it
    this.t.removeId(id);
    this.t.tidy();
    return true;
  }

  keys(): IterableIterator<string> {
    return this.t.keys();
  }
}

/** member -> score: a Map while small, a ScoreTable once big. */
type ScoreMap = Map<string, number> | ScoreTable;

export class ZSet extends Obj {
  readonly type = "zset" as const;
  dict: ScoreMap = new Map<string, number>();
  t = new ZTree();
  /** still in the compact (listpack) encoding */
  lp = true;
  private mem = 0;
  /** Result of the last add(): the member's score afterwards. */
  newScore = 0;

  get size(): number {
    return this.dict.size;
  }

  encoding(_lim: EncodingLimits): string {
    return this.lp ? "listpack" : "skiplist";
  }

  clone(): ZSet {
    const z = new ZSet();
    const ms: string[] = [];
    const ss: number[] = [];
    this.t.forEach((m, s) => {
      ms.push(m);
      ss.push(s);
      z.dict.set(m, s);
    });
    z.t = ZTree.fromSorted(ms, ss);
    z.lp = this.lp;
    z.mem = this.mem;
    if (z.dict.size > BIG_ZSET) z.toTable();
    return z;
  }

  bytes(): number {
    return this.mem + 16;
  }

  score(m: string): number | undefined {
    return this.dict.get(m);
  }

  /** Adds a member known to be absent, converting the encoding first if it must grow. */
  insert(m: string, s: number, lim: EncodingLimits): void {
    if (this.lp) {
      if (this.dict.size + 1 > lim.zsetMaxListpackEntries || m.length > lim.zsetMaxListpackValue) this.lp = false;
      else if (s === 0) s = 0; // a listpack keeps "0" for -0
    }
    this.dict.set(m, s);
    this.t.insert(s, m);
    this.mem += m.length + ENTRY_OVERHEAD;
    if (this.dict.size === BIG_ZSET + 1 && this.dict instanceof Map) this.toTable();
  }

  /** Moves member -> score from the Map into a ScoreTable (once, when the set grows big). */
  private toTable(): void {
    const st = new ScoreTable();
    for (const [m, s] of this.dict as Map<string, number>) st.set(m, s);
    this.dict = st;
  }

  /** Changes the score of a present member. */
  rescore(m: string, old: number, s: number): void {
    if (this.lp && s === 0) s = 0;
    this.dict.set(m, s);
    this.t.update(old, m, s);
  }

  /** Removes a member; false if absent. */
  remove(m: string): boolean {
    const s = this.dict.get(m);
    if (s === undefined) return false;
    this.dict.delete(m);
    this.t.delete(s, m);
    this.mem -= m.length + ENTRY_OVERHEAD;
    return true;
  }

  /** Removes `count` members from rank `start` on; gone() sees each (in order). */
  removeRange(start: number, count: number, gone?: (m: string, s: number) => void): void {
    this.t.deleteRange(start, count, (m, s) => {
      this.dict.delete(m);
      this.mem -= m.length + ENTRY_OVERHEAD;
      gone?.(m, s);
    });
  }

  /**
   * Redis's zsetAdd. Returns ZOUT_* flags (newScore holds the resulting score), or -1 when an
   * increment produced NaN.
   */
  add(score: number, m: string, flags: number, lim: EncodingLimits): number {
    const cur = this.dict.get(m);
    if (cur !== undefined) {
      if (flags & ZADD_NX) return ZOUT_NOP;
      if (flags & ZADD_INCR) {
        score += cur;
        if (Number.isNaN(score)) return -1;
      }
      if ((flags & ZADD_LT && score >= cur) || (flags & ZADD_GT && score <= cur)) return ZOUT_NOP;
      this.newScore = score;
      if (score !== cur) {
        this.rescore(m, cur, score);
        return ZOUT_UPDATED;
      }
      return 0;
    }
    if (flags & ZADD_XX) return ZOUT_NOP;
    this.newScore = score;
    this.insert(m, score, lim);
    return ZOUT_ADDED;
  }

  /**
   * Picks the encoding for a set built as a whole (ZUNIONSTORE & co.), like Redis's
   * zsetConvertToListpackIfNeeded; maxLen is the longest member.
   */
  settle(maxLen: number, lim: EncodingLimits): void {
    this.lp = this.dict.size <= lim.zsetMaxListpackEntries && maxLen <= lim.zsetMaxListpackValue;
    if (!this.lp) return;
    for (let l: typeof this.t.head | null = this.t.head; l; l = l.next) {
      const ls = l.s;
      for (let i = 0; i < ls.length; i++) {
        if (ls[i] === 0 && Object.is(ls[i], -0)) {
          ls[i] = 0;
          this.dict.set(l.m[i]!, 0);
        }
      }
    }
  }

  /** Builds a set from members already in score order (no duplicates). */
  static fromSorted(ms: string[], ss: number[]): ZSet {
    const z = new ZSet();
    for (let i = 0; i < ms.length; i++) {
      z.dict.set(ms[i]!, ss[i]!);
      z.mem += ms[i]!.length + ENTRY_OVERHEAD;
    }
    z.t = ZTree.fromSorted(ms, ss);
    z.lp = false;
    if (z.dict.size > BIG_ZSET) z.toTable();
    return z;
  }
}

/** The sorted set in `v`, or WRONGTYPE. */
export function asZSet(v: Value): ZSet {
  if (v instanceof ZSet) return v;
  return fail(E.WRONGTYPE);
}

/** Redis's d2string (ZSCAN, listpack text of a score): integers printed as integers. */
export function d2string(d: number): string {
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isInteger(d) && d >= -4611686018427387903 && d <= 4611686018427387903) {
    // Beyond 2^53 String() rounds to 17 digits; the exact integer is what Redis prints.
    return Math.abs(d) <= Number.MAX_SAFE_INTEGER ? String(d) : BigInt(d).toString();
  }
  return fmtG(d, 17);
}

/** A score interval (zrangespec). */
export interface ScoreRange {
  min: number;
  max: number;
  minex: boolean;
  maxex: boolean;
}

/** zslParseRange: "(" makes a bound exclusive. Returns null when either is not a float. */
export function parseScoreRange(a: string, b: string): ScoreRange | null {
  const minex = a.charCodeAt(0) === 40;
  const maxex = b.charCodeAt(0) === 40;
  const min = strtodAll(minex ? a.slice(1) : a);
  const max = strtodAll(maxex ? b.slice(1) : b);
  if (Number.isNaN(min) || Number.isNaN(max)) return null;
  return { min, max, minex, maxex };
}

/** A lex interval (zlexrangespec): null bounds are "-" (min) and "+" (max) infinities. */
export interface LexRange {
  /** "" with minInf for "-"; "+" gives maxInf */
  min: string;
  max: string;
  minex: boolean;
  maxex: boolean;
  /** min is "-" (below everything) or "+" (above everything) */
  minKind: number;
  maxKind: number;
}

/** Kind of a lex bound: 0 a string, -1 "-", +1 "+". */
function lexItem(s: string): [kind: number, v: string, ex: boolean] | null {
  const c = s.charCodeAt(0);
  if (c === 43) return s.length === 1 ? [1, "", false] : null; // +
  if (c === 45) return s.length === 1 ? [-1, "", false] : null; // -
  if (c === 40) return [0, s.slice(1), true]; // (
  if (c === 91) return [0, s.slice(1), false]; // [
  return null;
}

/** zslParseLexRange; null when an item is not valid. */
export function parseLexRange(a: string, b: string): LexRange | null {
  const x = lexItem(a);
  const y = lexItem(b);
  if (!x || !y) return null;
  return { min: x[1], max: y[1], minex: x[2], maxex: y[2], minKind: x[0], maxKind: y[0] };
}

/** Rank of the first element with score in range (i.e. count below the min bound). */
export function scoreStart(z: ZSet, r: ScoreRange): number {
  return z.t.countBelow(r.minex ? 2 : 1, r.min, "");
}

/** One past the rank of the last element with score in range. */
export function scoreEnd(z: ZSet, r: ScoreRange): number {
  return z.t.countBelow(r.maxex ? 1 : 2, r.max, "");
}

/** Rank of the first element at or above the lex min. */
export function lexStart(z: ZSet, r: LexRange): number {
  if (r.minKind < 0) return 0;
  if (r.minKind > 0) return z.size;
  return z.t.countBelow(r.minex ? 4 : 3, 0, r.min);
}

/** One past the last element at or below the lex max. */
export function lexEnd(z: ZSet, r: LexRange): number {
  if (r.maxKind > 0) return z.size;
  if (r.maxKind < 0) return 0;
  return z.t.countBelow(r.maxex ? 3 : 4, 0, r.max);
}

// Listpack-encoded sets answer lex ranges the way Redis's listpack code does: by linear scans
// that assume nothing about scores. With equal scores (the documented use) that is the same
// as the index search; with mixed scores it keeps small sets answering exactly like Redis.

export function lexGteMin(r: LexRange, m: string): boolean {
  if (r.minKind < 0) return true;
  if (r.minKind > 0) return false;
  return r.minex ? m > r.min : m >= r.min;
}

export function lexLteMax(r: LexRange, m: string): boolean {
  if (r.maxKind > 0) return true;
  if (r.maxKind < 0) return false;
  return r.maxex ? m < r.max : m <= r.max;
}

/** zslIsInLexRange's "always empty" test ("-" and "+" are exclusive bounds there). */
function lexRangeEmpty(r: LexRange): boolean {
  let cmp: number;
  if (r.minKind !== 0 && r.minKind === r.maxKind) return true;
  if (r.minKind < 0 || r.maxKind > 0) cmp = -1;
  else if (r.minKind > 0 || r.maxKind < 0) cmp = 1;
  else cmp = r.min < r.max ? -1 : r.min > r.max ? 1 : 0;
  return cmp > 0 || (cmp === 0 && (r.minex || r.maxex));
}

function lpLexPossible(z: ZSet, r: LexRange): boolean {
  if (z.size === 0 || lexRangeEmpty(r)) return false;
  const t = z.t;
  if (!lexGteMin(r, t.tail.m[t.tail.m.length - 1]!)) return false;
  return lexLteMax(r, t.head.m[0]!);
}

/** zzlFirstInLexRange: rank of the first element >= min if it is also <= max, else -1. */
export function lpLexFirst(z: ZSet, r: LexRange): number {
  if (!lpLexPossible(z, r)) return -1;
  let rank = 0;
  for (let l: ZLeaf | null = z.t.head; l; l = l.next) {
    for (let i = 0; i < l.m.length; i++, rank++) {
      const m = l.m[i]!;
      if (lexGteMin(r, m)) return lexLteMax(r, m) ? rank : -1;
    }
  }
  return -1;
}

/** zzlLastInLexRange: rank of the last element <= max if it is also >= min, else -1. */
export function lpLexLast(z: ZSet, r: LexRange): number {
  if (!lpLexPossible(z, r)) return -1;
  let rank = z.size - 1;
  for (let l: ZLeaf | null = z.t.tail; l; l = l.prev) {
    for (let i = l.m.length - 1; i >= 0; i--, rank--) {
      const m = l.m[i]!;
      if (lexLteMax(r, m)) return lexGteMin(r, m) ? rank : -1;
    }
  }
  return -1;
}

/** Number of elements from rank `first` on that stay <= the lex max (a listpack walk). */
export function lpLexRun(z: ZSet, r: LexRange, first: number): number {
  let leaf: ZLeaf | null = z.t.seek(first);
  let i = z.t.si;
  let n = 0;
  while (leaf !== null && lexLteMax(r, leaf.m[i]!)) {
    n++;
    if (++i === leaf.m.length) {
      leaf = leaf.next;
      i = 0;
    }
  }
  return n;
}
