// The set type, with Redis 7.0's two encodings:
// - intset: every member is an integer in Redis's canonical form (string2ll) and there are at
//   most set-max-intset-entries of them. Kept as a sorted array (numeric order), so members
//   come out sorted exactly like redis-server's intset; lookups are binary searches.
// - hashtable: a dense member array plus member -> position map, so membership, add,
//   remove and picking a uniformly random member are all O(1) (remove swaps the last
//   member into the hole). The map keeps insertion order, which SSCAN cursors walk.
// Conversion intset -> hashtable is one-way (7.0 has no listpack sets).
// Past BIG_SET members the member -> position map is a KeyTable (members as arena bytes, the
// position in its per-entry integer column) instead of a Map: a Map with a million string
// keys costs ~550 ns per operation here, the table less than half of that.

import { parseI64 } from "../../util/numbers.ts";
import { Obj, type EncodingLimits } from "../value.ts";
import { KeyTable } from "../keytable.ts";

const ENTRY_OVERHEAD = 24;
/** Members beyond which positions live in a PosTable. */
const BIG_SET = 1024;

/** member -> position in SetObj.arr: a Map<string, number> while small, a PosTable once big. */
type PosMap = Map<string, number> | PosTable;

/**
 * member -> position over a KeyTable: the position is kept in the table's per-entry integer
 * column, and `idAt` maps positions back to entry ids, so removing the member at a known
 * position (SPOP) needs no lookup at all.
 */
class PosTable {
  private readonly t = new KeyTable(4096);
  private idAt = new Int32Array(2048);

  get size(): number {
    return this.t.size;
  }

  get table(): KeyTable {
    return this.t;
  }

  has(m: string): boolean {
    return this.t.find(m) >= 0;
  }

  get(m: string): number | undefined {
    const id = this.t.find(m);
    return id < 0 ? undefined : this.t.lruOf(id);
  }

  /** Adds a member at position i unless present; true when added (one lookup). */
  addNew(m: string, i: number): boolean {
    const id = this.t.upsert(m, 0);
    if (!this.t.created) return false;
    this.t.setLru(id, i);
    if (i >= this.idAt.length) {
      const a = new Int32Array(this.idAt.length * 2);
      a.set(this.idAt);
      this.idAt = a;
    }
    this.idAt[i] = id;
    return true;
  }

  /** Removes the member at position i; the one at `last` (the last position) moves into i. */
  removeAt(i: number, last: number): void {
    const id = this.idAt[i]!;
    if (i < last) {
      const moved = this.idAt[last]!;
      this.idAt[i] = moved;
      this.t.setLru(moved, i);
    }
    this.t.removeId(id);
    this.t.tidy();
  }

  keys(): IterableIterator<string> {
    return this.t.keys();
  }
}

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

/** The position map of members in `arr`: a Map while small, a PosTable once big. */
function positions(arr: string[]): PosMap {
  if (arr.length > BIG_SET) {
    const t = new PosTable();
    for (let i = 0; i < arr.length; i++) t.addNew(arr[i]!, i);
    return t;
  }
  const m = new Map<string, number>();
  for (let i = 0; i < arr.length; i++) m.set(arr[i]!, i);
  return m;
}

export class SetObj extends Obj {
  readonly type = "set" as const;
  /** members: sorted numerically while intset, else dense in any order */
  arr: string[] = [];
  /** member -> index in arr; null while intset */
  pos: PosMap | null = null;
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

  override elementTable(): KeyTable | null {
    return this.pos instanceof PosTable ? this.pos.table : null;
  }

  bytes(): number {
    return this.payload + this.arr.length * (this.pos === null ? 8 : ENTRY_OVERHEAD);
  }

  clone(): SetObj {
    const s = new SetObj();
    s.arr = this.arr.slice();
    s.payload = this.payload;
    if (this.pos !== null) s.pos = positions(s.arr);
    return s;
  }

  toHashtable(): void {
    if (this.pos !== null) return;
    this.pos = positions(this.arr);
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
    if (pos instanceof PosTable) {
      if (!pos.addNew(v, this.arr.length)) return false;
    } else {
      if (pos.has(v)) return false;
      pos.set(v, this.arr.length);
    }
    this.arr.push(v);
    this.payload += v.length;
    if (this.arr.length === BIG_SET + 1 && pos instanceof Map) this.pos = positions(this.arr);
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
    this.removeAt(i);
    return true;
  }

  /** Removes the member at position i of a hashtable set (the last one moves there). */
  private removeAt(i: number): string {
    const pos = this.pos!;
    const arr = this.arr;
    const v = arr[i]!;
    const last = arr.length - 1;
    if (pos instanceof PosTable) pos.removeAt(i, last);
    else {
      if (i < last) pos.set(arr[last]!, i);
      pos.delete(v);
    }
    if (i < last) arr[i] = arr[last]!;
    arr.pop();
    this.payload -= v.length;
    return v;
  }

  /** A uniformly random member (the set must not be empty). */
  random(): string {
    return this.arr[Math.floor(Math.random() * this.arr.length)]!;
  }

  /** Removes and returns a random member. */
  popRandom(): string {
    if (this.pos !== null) return this.removeAt(Math.floor(Math.random() * this.arr.length));
    const v = this.random();
    this.remove(v);
    return v;
  }
}
