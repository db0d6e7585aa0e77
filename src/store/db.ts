// One logical database: the key table (keys, values, expiry times and access clocks, see
// keytable.ts) and the hooks WATCH, blocking pops and cluster slot counting need. Expired keys
// are removed lazily on access (and actively by Keyspace.activeExpireCycle).

import { keySlotStr } from "../cluster/slot.ts";
import type { Argv } from "../resp/argv.ts";
import { type ExpiresView, KeyTable } from "./keytable.ts";
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
  dict = new KeyTable();
  /** key -> transactions watching it (WATCH); null while nobody watches in this db */
  watched: Map<string, Set<Watcher>> | null = null;
  /** key -> number of clients blocked on it; null while nobody blocks in this db */
  blocked: Map<string, number> | null = null;
  /** slot -> keys, kept only in cluster mode (CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT) */
  slots: Map<number, Set<string>> | null = null;
  /** average TTL estimate for INFO keyspace */
  avgTtl = 0;
  /** where the active expiry cycle continues (an entry id) */
  expireCursor = 0;

  constructor(
    readonly id: number,
    readonly ks: Keyspace,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /** Expiry times seen as a Map (key -> ms). */
  get expires(): ExpiresView {
    return this.dict.expires;
  }

  /** Expiry travels with the table; kept assignable for code that swaps whole tables. */
  set expires(_v: ExpiresView) {}

  /** Kept for code that resets iteration state; entry ids need none. */
  set expireIter(_v: null) {}

  // ------------------------------------------------------------------ lookups

  /**
   * Entry id of a live key (expiring it if due, touching its access clock), or -1.
   * The hot paths (GET, SET, ...) work with ids to avoid materializing values.
   */
  lookupId(key: string): number {
    const t = this.dict;
    const id = t.find(key);
    return id < 0 ? -1 : this.checkLive(id, key);
  }

  /** lookupId() without touching the access clock (OBJECT, TYPE-like introspection). */
  lookupIdNoTouch(key: string): number {
    const t = this.dict;
    const id = t.find(key);
    if (id < 0) return -1;
    const e = t.expOf(id);
    if (e !== 0 && this.ks.now > e && this.ks.expireIfAllowed(this, key)) return -1;
    return id;
  }

  /** lookupId() for a key given as argument `i` of a command: no string is created. */
  lookupArg(a: Argv, i: number): number {
    const t = this.dict;
    const id = t.findBytes(a.buf, a.offs[i * 2]!, a.offs[i * 2 + 1]!);
    return id < 0 ? -1 : this.checkLive(id, null);
  }

  private checkLive(id: number, key: string | null): number {
    const t = this.dict;
    const ks = this.ks;
    if (t.expCount !== 0) {
      const e = t.expOf(id);
      if (e !== 0 && ks.now > e && ks.expireIfAllowed(this, key ?? t.keyOf(id))) return -1;
    }
    t.setLru(id, ks.lfu ? ks.lfuTouch(t.lruOf(id)) : ks.lruClock);
    // A running background save copies a collection before a caller may change it in place.
    if (t.saving !== null && t.valueLength(id) < 0) t.saving.before(id);
    // Likewise a write command may change a collection in place without Keyspace.written
    // (stream groups): the durable engine counts it as changed (a cold value is loaded first).
    if (t.track !== null && ks.writing && t.valueLength(id) < 0) t.track.changed(id);
    return id;
  }

  /** Counts a read's hit or miss (and the keymiss event). */
  countRead(id: number, key: string): void {
    if (id < 0) {
      this.ks.stats.misses++;
      if (this.ks.events.flags !== 0) this.ks.notify(N.KEY_MISS, "keymiss", key, this.id);
    } else this.ks.stats.hits++;
  }

  /** countRead() for a key given as argument `i` (the key string is made only for events). */
  countReadArg(id: number, a: Argv, i: number): void {
    if (id < 0) {
      this.ks.stats.misses++;
      if (this.ks.events.flags !== 0) this.ks.notify(N.KEY_MISS, "keymiss", a.str(i), this.id);
    } else this.ks.stats.hits++;
  }

  /** Value for a write or an internal lookup: expires lazily, no hit/miss stats. */
  lookup(key: string): Value | undefined {
    const id = this.lookupId(key);
    return id < 0 ? undefined : this.dict.valueOf(id);
  }

  /** Value for a read command: like lookup() and counts keyspace hits/misses. */
  read(key: string): Value | undefined {
    const id = this.lookupId(key);
    this.countRead(id, key);
    return id < 0 ? undefined : this.dict.valueOf(id);
  }

  /** read() without the value: existence for a read command (hits/misses counted), the id or -1. */
  readId(key: string): number {
    const id = this.lookupId(key);
    this.countRead(id, key);
    return id;
  }

  /** Does the key exist (expiring it if due)? */
  has(key: string): boolean {
    return this.lookupId(key) >= 0;
  }

  /** OBJECT IDLETIME: seconds since last access. */
  idleSeconds(key: string, _v?: Value): number {
    const id = this.dict.find(key);
    if (id < 0) return 0;
    const clock = this.dict.lruOf(id);
    const now = this.ks.lruClock;
    return now >= clock ? now - clock : now + 0x1000000 - clock;
  }

  /** OBJECT FREQ: the decayed logarithmic access counter. */
  lfuCounter(key: string, _v?: Value): number {
    const id = this.dict.find(key);
    return id < 0 ? 0 : this.ks.lfuDecay(this.dict.lruOf(id));
  }

  // ------------------------------------------------------------------ writes

  /**
   * Stores a value (Redis's setKey): adds or overwrites, drops the TTL unless keepTtl.
   * The caller signals the change (Keyspace.written) once its command is done.
   */
  set(key: string, v: Value, keepTtl = false): void {
    const t = this.dict;
    let id = t.find(key);
    if (id < 0) {
      id = t.put(key, v);
      this.fresh(id, key);
    } else {
      t.setValue(id, v);
      // The old value is gone: waiters that care (XREADGROUP on a stream) must hear of it.
      if (this.blocked !== null && this.blocked.has(key)) this.ks.readyKeys.push([this, key]);
      if (!keepTtl && t.expOf(id) !== 0) t.clearExp(id);
      // A new value is a new object for LRU/LFU purposes, as in Redis's dbOverwrite.
      t.setLru(id, this.ks.lfu ? this.ks.lfuInit() : this.ks.lruClock);
    }
  }

  /** Adds a key known not to exist (a new collection). */
  add(key: string, v: Value): void {
    const id = this.dict.put(key, v);
    this.fresh(id, key);
  }

  /** Bookkeeping for a key that was just created with entry id `id`. */
  fresh(id: number, key: string | null): void {
    const ks = this.ks;
    this.dict.setLru(id, ks.lfu ? ks.lfuInit() : ks.lruClock);
    if (this.slots !== null || this.blocked !== null || ks.events.flags & N.NEW) this.added(key ?? this.dict.keyOf(id));
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
    const id = this.dict.find(key);
    if (id < 0) return false;
    this.removeId(id, key);
    return true;
  }

  removeId(id: number, key: string | null): void {
    if (this.blocked !== null) {
      // Deleted keys are signalled like new ones: XREADGROUP waiters are unblocked (7.0).
      const k = key ?? this.dict.keyOf(id);
      if (this.blocked.has(k)) this.ks.readyKeys.push([this, k]);
    }
    if (this.slots !== null) {
      const k = key ?? this.dict.keyOf(id);
      const slot = keySlotStr(k);
      const set = this.slots.get(slot);
      if (set) {
        set.delete(k);
        if (set.size === 0) this.slots.delete(slot);
      }
    }
    this.dict.removeId(id);
  }

  getExpire(key: string): number | undefined {
    const t = this.dict;
    if (t.expCount === 0) return undefined;
    const id = t.find(key);
    if (id < 0) return undefined;
    const e = t.expOf(id);
    return e === 0 ? undefined : e;
  }

  setExpire(key: string, whenMs: number): void {
    const id = this.dict.find(key);
    if (id >= 0) this.dict.setExp(id, whenMs);
  }

  persist(key: string): boolean {
    const t = this.dict;
    if (t.expCount === 0) return false;
    const id = t.find(key);
    return id >= 0 && t.clearExp(id);
  }

  /** Removes everything; returns how many keys were removed. */
  clear(): number {
    const n = this.dict.size;
    if (this.blocked !== null) for (const key of this.blocked.keys()) if (this.dict.has(key)) this.ks.readyKeys.push([this, key]);
    // A new table (not an in-place clear): a script's undo log may keep the old one.
    this.dict = new KeyTable();
    if (this.slots !== null) this.slots = new Map();
    this.expireCursor = 0;
    return n;
  }

  /** A random key (Redis's dbRandomKey): expired keys met on the way are removed. */
  randomKey(): string | null {
    const t = this.dict;
    for (let tries = 0; tries < 100 && t.size > 0; tries++) {
      let id = Math.floor(Math.random() * t.top);
      if (!t.live(id)) {
        // Sparse table: walk to the next live id (wrapping).
        id = t.nextLive(id);
        if (id < 0) id = t.nextLive(0);
        if (id < 0) return null;
      }
      const e = t.expOf(id);
      if (e !== 0 && this.ks.now > e && this.ks.expireIfAllowed(this, t.keyOf(id))) continue;
      return t.keyOf(id);
    }
    return null;
  }

  /** Swaps contents with another db (SWAPDB); hooks stay with the db index. */
  swapWith(o: Db): void {
    [this.dict, o.dict] = [o.dict, this.dict];
    [this.slots, o.slots] = [o.slots, this.slots];
    [this.avgTtl, o.avgTtl] = [o.avgTtl, this.avgTtl];
    this.expireCursor = o.expireCursor = 0;
  }
}
