// The set type, with Redis 7.0's two encodings:
// - intset: every member is an integer in Redis's canonical form (string2ll) and there are at
//   most set-max-intset-entries of them. Kept as a sorted array (numeric order), so members
//   come out sorted exactly like redis-server's intset; lookups are binary searches.
// - hashtable: a dense member array plus member -> position map, so membership, add,
//   remove and picking a uniformly random member are all O(1) (remove swaps the last
//   member into the hole). The map keeps insertion order, which SSCAN cursors walk.
// Conversion intset -> hashtable is one-way (7.0 has no listpack sets).

import { parseI64 } from "../../util/numbers.ts";
import { Obj, type EncodingLimits } from "../value.ts";

const ENTRY_OVERHEAD = 24;

/** Is s an integer Redis would store in an intset (string2ll: canonical int64)? */
export function isIntMember(s: string): boolean {
  if (s.length === 0 || s.length > 20) return false;
  const c = s.charCodeAt(0);
  if (c !== 45 && (c < 48 || c > 57)) return false;
  return !Number.isNaN(parseI64(s));
}

/** Numeric order of two canonical int64 strings. */
function cmpInt(a: string, b: string): number {
  const an = a.charCodeAt(0) === 45;
  const bn = b.charCodeAt(0) === 45;
  if (an !== bn) return an ? -1 : 1;
  let r: number;
  if (a.length !== b.length) r = a.length - b.length;
  else r = a < b ? -1 : a > b ? 1 : 0;
  return an ? -r : r;
}

export class SetObj extends Obj {
  readonly type = "set" as const;
  /** members: sorted numerically while intset, else dense in any order */
  arr: string[] = [];
  /** member -> index in arr; null while intset */
  pos: Map<string, number> | null = null;
  private payload = 0;

  /** A new set in the encoding Redis's setTypeCreate picks for its first member. */
  static forFirst(member: string): SetObj {
    const s = new SetObj();
    if (!isIntMember(member)) s.toHashtable();
    return s;
  }

  get intset(): boolean {
    return this.pos === null;
  }

  get size(): number {
    return this.arr.length;
  }

  encoding(_lim: EncodingLimits): string {
    return this.pos === null ? "intset" : "hashtable";
  }

  bytes(): number {
    return this.payload + this.arr.length * (this.pos === null ? 8 : ENTRY_OVERHEAD);
  }

  clone(): SetObj {
    const s = new SetObj();
    s.arr = this.arr.slice();
    s.payload = this.payload;
    if (this.pos !== null) s.pos = new Map(this.pos);
    return s;
  }

  toHashtable(): void {
    if (this.pos !== null) return;
    const pos = new Map<string, number>();
    for (let i = 0; i < this.arr.length; i++) pos.set(this.arr[i]!, i);
    this.pos = pos;
  }

  /** Back to intset (only SPOP's rebuild does this, as Redis 7.0 does); members must be ints. */
  toIntsetSorted(): void {
    this.arr.sort(cmpInt);
    this.pos = null;
  }

  /** Binary search in the intset: index, or -(insertion point) - 1. */
  private find(v: string): number {
    const a = this.arr;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = cmpInt(a[mid]!, v);
      if (r === 0) return mid;
      if (r < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  has(v: string): boolean {
    if (this.pos !== null) return this.pos.has(v);
    return isIntMember(v) && this.find(v) >= 0;
  }

  /** Adds a member; returns true when it was new. Converts like Redis's setTypeAdd. */
  add(v: string, lim: EncodingLimits): boolean {
    if (this.pos === null) {
      if (isIntMember(v)) {
        const i = this.find(v);
        if (i >= 0) return false;
        this.arr.splice(-i - 1, 0, v);
        this.payload += v.length;
        if (this.arr.length > lim.setMaxIntsetEntries) this.toHashtable();
        return true;
      }
      this.toHashtable();
    }
    const pos = this.pos!;
    if (pos.has(v)) return false;
    pos.set(v, this.arr.length);
    this.arr.push(v);
    this.payload += v.length;
    return true;
  }

  remove(v: string): boolean {
    const pos = this.pos;
    if (pos === null) {
      if (!isIntMember(v)) return false;
      const i = this.find(v);
      if (i < 0) return false;
      this.arr.splice(i, 1);
      this.payload -= v.length;
      return true;
    }
    const i = pos.get(v);
    if (i === undefined) return false;
    const last = this.arr.pop()!;
    if (i < this.arr.length) {
      this.arr[i] = last;
      pos.set(last, i);
    }
    pos.delete(v);
    this.payload -= v.length;
    return true;
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    return this.arr[Math.floor(Math.random() * this.arr.length)]!;
  }

  /** Removes and returns a random member. */
  popRandom(): string {
    const v = this.random();
    this.remove(v);
    return v;
  }
}
