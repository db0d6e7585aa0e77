// The hash type: an insertion-ordered Map (field -> value). Redis keeps small hashes as a
// listpack, which also answers in insertion order, so HGETALL on small hashes matches
// redis-server exactly. The encoding flag follows Redis 7.0's one-way conversion to
// "hashtable" (more than hash-max-listpack-entries fields, or a field/value longer than
// hash-max-listpack-value bytes) and never goes back.
//
// A hash that grows past BIG_HASH fields moves from the Map to a KeyTable (fields and values
// as arena bytes): a Map with a million string keys costs ~550 ns per operation here and
// gives the garbage collector two cells per field; the table costs a fraction of both.
//
// Random access (HRANDFIELD) needs an index: it is built the first time a big hash is
// sampled and kept up to date from then on, so hashes nobody samples pay nothing for it.

import { Obj, type EncodingLimits } from "../value.ts";
import { BIG_VALUE, KeyTable } from "../keytable.ts";

const ENTRY_OVERHEAD = 32;
/** Below this size sampling walks the map instead of building the index. */
const INDEX_MIN = 64;
/** Fields beyond which the fields live in a KeyTable. */
const BIG_HASH = 1024;

/** What readers of a hash's fields see, whichever structure holds them. */
export interface FieldMap {
  readonly size: number;
  get(f: string): string | undefined;
  has(f: string): boolean;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  entries(): IterableIterator<[string, string]>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

/** Length of a field's value in a KeyTable (values past BIG_VALUE are kept as strings). */
function fieldLength(t: KeyTable, id: number): number {
  const n = t.valueLength(id);
  return n >= 0 ? n : (t.valueOf(id) as string).length;
}

export class HashObj extends Obj {
  readonly type = "hash" as const;
  /** the fields: a Map while small, a KeyTable once big (see BIG_HASH) */
  m: FieldMap = new Map<string, string>();
  private tab: KeyTable | null = null;
  /** still "listpack" (false once converted to "hashtable") */
  lp = true;
  private payload = 0;
  /** field -> position in keys (only once random access was needed) */
  private idx: Map<string, number> | null = null;
  private keys: string[] | null = null;

  get size(): number {
    return this.m.size;
  }

  encoding(_lim: EncodingLimits): string {
    return this.lp ? "listpack" : "hashtable";
  }

  bytes(): number {
    return this.payload + this.m.size * ENTRY_OVERHEAD;
  }

  clone(): HashObj {
    const h = new HashObj();
    if (this.tab !== null) h.toTable(this.m);
    else {
      const m = h.m as Map<string, string>;
      for (const [f, v] of this.m) m.set(f, v);
    }
    h.lp = this.lp;
    h.payload = this.payload;
    return h;
  }

  override elementTable(): KeyTable | null {
    return this.tab;
  }

  /** Redis's hashTypeTryConversion: an argument longer than the listpack limit converts first. */
  checkArgLen(len: number, lim: EncodingLimits): void {
    if (this.lp && len > lim.hashMaxListpackValue) this.lp = false;
  }

  get(f: string): string | undefined {
    return this.m.get(f);
  }

  /** Sets a field; returns true when it is new. Applies Redis's conversion rules. */
  set(f: string, v: string, lim: EncodingLimits): boolean {
    if (this.lp && (f.length > lim.hashMaxListpackValue || v.length > lim.hashMaxListpackValue)) this.lp = false;
    const t = this.tab;
    if (t !== null) {
      const id = t.upsert(f, v.length <= BIG_VALUE ? v.length : 0);
      if (!t.created) {
        this.payload += v.length - fieldLength(t, id);
        t.setValue(id, v);
        return false;
      }
      t.setValue(id, v);
    } else {
      const m = this.m as Map<string, string>;
      const old = m.get(f);
      m.set(f, v);
      if (old !== undefined) {
        this.payload += v.length - old.length;
        return false;
      }
      if (m.size > BIG_HASH) this.toTable(m);
    }
    this.payload += f.length + v.length;
    if (this.idx !== null) {
      this.idx.set(f, this.keys!.length);
      this.keys!.push(f);
    }
    if (this.lp && this.m.size > lim.hashMaxListpackEntries) this.lp = false;
    return true;
  }

  /**
   * set() for a field and value given as bytes, b[fs, fe) and b[vs, ve): a big hash takes
   * them into its table without making strings. Null when the hash is not big (use set()).
   */
  setBytes(b: Uint8Array, fs: number, fe: number, vs: number, ve: number, lim: EncodingLimits): boolean | null {
    const t = this.tab;
    const fl = fe - fs;
    const vl = ve - vs;
    // HRANDFIELD's index holds field strings; values past BIG_VALUE are kept as strings.
    if (t === null || this.idx !== null || vl > BIG_VALUE) return null;
    if (this.lp && (fl > lim.hashMaxListpackValue || vl > lim.hashMaxListpackValue)) this.lp = false;
    const id = t.upsertBytes(b, fs, fe, vl);
    if (!t.created) this.payload += vl - fieldLength(t, id);
    else this.payload += fl + vl;
    t.setStringValue(id, b, vl, vs);
    if (this.lp && this.m.size > lim.hashMaxListpackEntries) this.lp = false;
    return t.created;
  }

  /** Puts the fields of `from` into a KeyTable that becomes this hash's (once it grows big, or a clone's). */
  private toTable(from: FieldMap): void {
    const t = new KeyTable(4096);
    for (const [f, v] of from) t.put(f, v);
    this.tab = t;
    this.m = t as unknown as FieldMap;
  }

  delete(f: string): boolean {
    const t = this.tab;
    if (t !== null) {
      const id = t.find(f);
      if (id < 0) return false;
      this.payload -= f.length + fieldLength(t, id);
      t.removeId(id);
      t.tidy();
    } else {
      const m = this.m as Map<string, string>;
      const old = m.get(f);
      if (old === undefined) return false;
      m.delete(f);
      this.payload -= f.length + old.length;
    }
    if (this.idx !== null) {
      const i = this.idx.get(f)!;
      const keys = this.keys!;
      const last = keys.pop()!;
      if (i < keys.length) {
        keys[i] = last;
        this.idx.set(last, i);
      }
      this.idx.delete(f);
    }
    return true;
  }

  /** A uniformly random field (the hash must not be empty). */
  randomField(): string {
    const n = this.m.size;
    if (n < INDEX_MIN && this.idx === null) {
      let k = Math.floor(Math.random() * n);
      for (const f of this.m.keys()) if (k-- === 0) return f;
    }
    return this.fieldAt(Math.floor(Math.random() * n));
  }

  /** The field at position i of the random-access index (built on first use), 0 <= i < size. */
  fieldAt(i: number): string {
    if (this.idx === null) {
      this.idx = new Map();
      this.keys = [];
      for (const f of this.m.keys()) {
        this.idx.set(f, this.keys.length);
        this.keys.push(f);
      }
    }
    return this.keys![i]!;
  }
}
