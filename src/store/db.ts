// One logical database: key -> value, key -> expiry (absolute ms), and the hooks that
// WATCH, blocking pops and cluster slot counting need. Expired keys are removed lazily
// on access (and actively by Keyspace.activeExpireCycle).

import { keySlotStr } from "../cluster/slot.ts";
import type { Keyspace } from "./keyspace.ts";
import { N } from "./notify.ts";
import type { Value } from "./value.ts";

/** Something that WATCHes keys: a transaction that must fail if the key changes. */
export interface Watcher {
  /**
   * A watched key changed. `whole` is set when the whole db changed (FLUSHDB/FLUSHALL:
   * replacedWith null; SWAPDB: the db whose contents replace this one's), called before it.
   */
  watchTouched(whole?: { replacedWith: Db | null }): void;
}

export class Db {
  dict = new Map<string, Value>();
  expires = new Map<string, number>();
  /** key -> transactions watching it (WATCH); null while nobody watches in this db */
  watched: Map<string, Set<Watcher>> | null = null;
  /** key -> number of clients blocked on it; null while nobody blocks in this db */
  blocked: Map<string, number> | null = null;
  /** slot -> keys, kept only in cluster mode (CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT) */
  slots: Map<number, Set<string>> | null = null;
  /** average TTL estimate for INFO keyspace */
  avgTtl = 0;
  // Rotating iterators: random sampling without a key array (RANDOMKEY, active expiry).
  private randIter: Iterator<string> | null = null;
  expireIter: Iterator<[string, number]> | null = null;

  constructor(
    readonly id: number,
    readonly ks: Keyspace,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /** Value for a write or an internal lookup: expires lazily, no hit/miss stats. */
  lookup(key: string): Value | undefined {
    const v = this.dict.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0) {
      const t = this.expires.get(key);
      if (t !== undefined && this.ks.now > t && this.ks.expireIfAllowed(this, key)) return undefined;
    }
    if (typeof v === "object") {
      if (this.ks.lfu) v.lru = this.ks.lfuTouch(v.lru);
      else v.lru = this.ks.lruClock;
    } else if (this.access !== null) this.touchString(key);
    return v;
  }

  /** Access data of plain string values, kept only while an LRU/LFU policy needs it. */
  access: Map<string, number> | null = null;

  private touchString(key: string): void {
    const ks = this.ks;
    this.access!.set(key, ks.lfu ? ks.lfuTouch(this.access!.get(key) ?? ks.lfuInit()) : ks.lruClock);
  }

  /** OBJECT IDLETIME: seconds since last access (0 for strings while access is untracked). */
  idleSeconds(key: string, v: Value): number {
    const clock = typeof v === "object" ? v.lru : this.access?.get(key);
    if (clock === undefined) return 0;
    const now = this.ks.lruClock;
    return now >= clock ? now - clock : now + 0x1000000 - clock;
  }

  /** OBJECT FREQ: the decayed logarithmic access counter. */
  lfuCounter(key: string, v: Value): number {
    const lru = typeof v === "object" ? v.lru : this.access?.get(key);
    return lru === undefined ? 0 : this.ks.lfuDecay(lru);
  }

  /** Value for a read command: like lookup() and counts keyspace hits/misses. */
  read(key: string): Value | undefined {
    const v = this.lookup(key);
    if (v === undefined) {
      this.ks.stats.misses++;
      if (this.ks.events.flags !== 0) this.ks.notify(N.KEY_MISS, "keymiss", key, this.id);
    } else this.ks.stats.hits++;
    return v;
  }

  /** Does the key exist (expiring it if due)? */
  has(key: string): boolean {
    return this.lookup(key) !== undefined;
  }

  /**
   * Stores a value (Redis's setKey): adds or overwrites, drops the TTL unless keepTtl.
   * The caller signals the change (Keyspace.written) once its command is done.
   */
  set(key: string, v: Value, keepTtl = false): void {
    if ((this.slots !== null || this.blocked !== null || this.ks.events.flags & N.NEW) && !this.dict.has(key)) this.added(key);
    this.dict.set(key, v);
    if (typeof v === "object") v.lru = this.ks.lfu ? this.ks.lfuInit() : this.ks.lruClock;
    if (!keepTtl && this.expires.size !== 0) this.expires.delete(key);
  }

  /** Adds a key known not to exist (a new collection). */
  add(key: string, v: Value): void {
    this.dict.set(key, v);
    if (typeof v === "object") v.lru = this.ks.lfu ? this.ks.lfuInit() : this.ks.lruClock;
    if (this.slots !== null || this.blocked !== null || this.ks.events.flags & N.NEW) this.added(key);
  }

  private added(key: string): void {
    if (this.ks.events.flags & N.NEW) this.ks.notify(N.NEW, "new", key, this.id);
    if (this.slots !== null) {
      const slot = keySlotStr(key);
      let set = this.slots.get(slot);
      if (!set) this.slots.set(slot, (set = new Set()));
      set.add(key);
    }
    if (this.blocked !== null && this.blocked.has(key)) this.ks.readyKeys.push([this, key]);
  }

  /** Removes a key and its TTL. Returns whether it was there. */
  remove(key: string): boolean {
    if (!this.dict.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    if (this.access !== null) this.access.delete(key);
    if (this.slots !== null) {
      const slot = keySlotStr(key);
      const set = this.slots.get(slot);
      if (set) {
        set.delete(key);
        if (set.size === 0) this.slots.delete(slot);
      }
    }
    return true;
  }

  getExpire(key: string): number | undefined {
    return this.expires.size === 0 ? undefined : this.expires.get(key);
  }

  setExpire(key: string, whenMs: number): void {
    this.expires.set(key, whenMs);
  }

  persist(key: string): boolean {
    return this.expires.delete(key);
  }

  /** Removes everything; returns how many keys were removed. */
  clear(): number {
    const n = this.dict.size;
    this.dict = new Map();
    this.expires = new Map();
    if (this.access !== null) this.access = new Map();
    if (this.slots !== null) this.slots = new Map();
    this.randIter = null;
    this.expireIter = null;
    return n;
  }

  /**
   * A pseudo-random key: walks a rotating iterator a random number of steps, so no key
   * array is kept. Expired keys met on the way are removed, like Redis's dbRandomKey.
   */
  randomKey(): string | null {
    for (let tries = 0; tries < 100 && this.dict.size > 0; tries++) {
      let steps = Math.floor(Math.random() * Math.min(this.dict.size, 32));
      let key: string | undefined;
      while (steps-- >= 0) {
        if (this.randIter === null) this.randIter = this.dict.keys();
        const r = this.randIter.next();
        if (r.done) {
          this.randIter = null;
          continue;
        }
        key = r.value;
      }
      if (key === undefined) continue;
      const t = this.expires.size ? this.expires.get(key) : undefined;
      if (t !== undefined && this.ks.now > t) {
        if (this.ks.expireIfAllowed(this, key)) continue;
      }
      return key;
    }
    return null;
  }

  /** Swaps contents with another db (SWAPDB); hooks stay with the db index. */
  swapWith(o: Db): void {
    [this.dict, o.dict] = [o.dict, this.dict];
    [this.expires, o.expires] = [o.expires, this.expires];
    [this.access, o.access] = [o.access, this.access];
    [this.slots, o.slots] = [o.slots, this.slots];
    [this.avgTtl, o.avgTtl] = [o.avgTtl, this.avgTtl];
    this.randIter = o.randIter = null;
    this.expireIter = o.expireIter = null;
  }
}
