// The hash type: an insertion-ordered Map (field -> value). Redis keeps small hashes as a
// listpack, which also answers in insertion order, so HGETALL on small hashes matches
// redis-server exactly. The encoding flag follows Redis 7.0's one-way conversion to
// "hashtable" (more than hash-max-listpack-entries fields, or a field/value longer than
// hash-max-listpack-value bytes) and never goes back.
//
// Random access (HRANDFIELD) needs an index: it is built the first time a big hash is
// sampled and kept up to date from then on, so hashes nobody samples pay nothing for it.

import { Obj, type EncodingLimits } from "../value.ts";

const ENTRY_OVERHEAD = 32;
/** Below this size sampling walks the map instead of building the index. */
const INDEX_MIN = 64;

export class HashObj extends Obj {
  readonly type = "hash" as const;
  readonly m = new Map<string, string>();
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
    for (const [f, v] of this.m) h.m.set(f, v);
    h.lp = this.lp;
    h.payload = this.payload;
    return h;
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
    const old = this.m.get(f);
    this.m.set(f, v);
    if (old !== undefined) {
      this.payload += v.length - old.length;
      return false;
    }
    this.payload += f.length + v.length;
    if (this.idx !== null) {
      this.idx.set(f, this.keys!.length);
      this.keys!.push(f);
    }
    if (this.lp && this.m.size > lim.hashMaxListpackEntries) this.lp = false;
    return true;
  }

  delete(f: string): boolean {
    const old = this.m.get(f);
    if (old === undefined) return false;
    this.m.delete(f);
    this.payload -= f.length + old.length;
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
