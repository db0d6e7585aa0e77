// The keyspace's main table: key -> value without a JavaScript object per key.
//
// A Map<string, string> costs ~290 bytes per small key/value in JSC (hash bucket, two string
// cells, their backing stores) and gives the garbage collector millions of cells to mark,
// which shows up as RSS and as pauses. Here keys and plain string values live as bytes in a
// few large arena chunks; the table itself is typed-array columns indexed by a stable entry
// id, and an open-addressing index (linear probing, tombstones) maps hashes to ids. Only
// values that are objects (collections, edited strings) or very large strings are kept as JS
// values. Lookups work on the received bytes directly (no string per request), and the
// entry id doubles as a stateless SCAN cursor: ids never move while the key lives.
//
// Record layout in an arena chunk: [id u32][record size u32][key bytes][value bytes (capacity)].
// Space of overwritten/deleted records is reclaimed by compact(), which moves live records of a
// mostly-dead chunk to the tail, a bounded amount of work per call.

import type { Value } from "./value.ts";

const CHUNK = 1 << 22;
/** Strings longer than this stay JS strings (in `objs`), not arena bytes. */
export const BIG_VALUE = 1 << 16;
const HEADER = 8;
const MIN_SLOTS = 16;
/** Indexes for fewer entries than this are rebuilt in one go (a fraction of a millisecond). */
const INCREMENTAL_MIN = 1 << 16;
/** Old-index slots moved per insert or delete while the index grows. */
const MIGRATE_STEP = 32;

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;

/** Per-process seed so clients cannot craft colliding keys (hash flooding). */
const SEED = (Math.random() * 0x100000000) >>> 0;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = SEED ^ (e - s);
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return fmix(h);
}

export function hashString(k: string): number {
  let h = SEED ^ k.length;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/**
 * Copy-on-write hook of a running background save (src/persistence/snapshot.ts) or checkpoint
 * (src/engine/checkpoint.ts): told before an entry's value or expiry changes or the entry goes,
 * and when an entry is created. Several may run at once: install them with addSaveHook().
 */
export interface TableSaveHook {
  before(id: number): void;
  created(id: number): void;
}

/** Several copy-on-write hooks on one table (a BGSAVE and a checkpoint at the same time). */
class SaveHooks implements TableSaveHook {
  constructor(readonly list: TableSaveHook[]) {}
  before(id: number): void {
    const l = this.list;
    for (let i = 0; i < l.length; i++) l[i]!.before(id);
  }
  created(id: number): void {
    const l = this.list;
    for (let i = 0; i < l.length; i++) l[i]!.created(id);
  }
}

export function addSaveHook(t: KeyTable, h: TableSaveHook): void {
  const cur = t.saving;
  if (cur === null) t.saving = h;
  else if (cur instanceof SaveHooks) cur.list.push(h);
  else t.saving = new SaveHooks([cur, h]);
}

export function removeSaveHook(t: KeyTable, h: TableSaveHook): void {
  const cur = t.saving;
  if (cur === h) t.saving = null;
  else if (cur instanceof SaveHooks) {
    const i = cur.list.indexOf(h);
    if (i >= 0) cur.list.splice(i, 1);
    if (cur.list.length === 1) t.saving = cur.list[0]!;
    else if (cur.list.length === 0) t.saving = null;
  }
}

/**
 * Follows every change of a table's entries (src/engine/tracker.ts): the durable engine's dirty
 * keys, maxmemory accounting, and the loader of cold values (tiering). Null unless one of
 * those is on, so the memory engine without maxmemory pays one null check per change.
 */
export interface TableTracker {
  /** entry `id` was created, or its value or expiry was set (also in-place changes, via Keyspace.written) */
  changed(id: number): void;
  /** entry `id` is about to be removed */
  removing(id: number): void;
  /** the entry changed last (a hint: Keyspace.written compares its key before a lookup) */
  readonly last: number;
  /** brings the value of a cold entry back (it calls KeyTable.fillValue) */
  load(id: number): void;
}

/** vl[] code: the value is an object (or a big string) in objs. */
const OBJ = -1;
/** vl[] code: the value is not in memory (tiering): the tracker loads it on first access. */
const COLD = -2;

export class KeyTable {
  size = 0;
  /** set while a background save or checkpoint runs; null otherwise */
  saving: TableSaveHook | null = null;
  /** change tracker (durable engine, maxmemory); null when nothing needs it */
  track: TableTracker | null = null;
  /** arena bytes in live records (keys and string values) */
  arenaLive = 0;
  /** entries whose value is cold (tiering) */
  coldCount = 0;
  /** Keys that have an expiry time. */
  expCount = 0;
  // ---- entry columns, by id ----
  private cap = 0;
  /** ids in use are < top; free ids below it are listed in freeIds */
  top = 0;
  private freeIds: number[] = [];
  private hash = new Int32Array(0);
  /** arena chunk of the record, -1 when the id is free */
  private rc = new Int32Array(0);
  private ro = new Int32Array(0);
  private kl = new Int32Array(0);
  /** value length in the arena; -1 when the value is in objs, -2 when it is cold (on disk only) */
  private vl = new Int32Array(0);
  private vc = new Int32Array(0);
  /** expiry time (ms) per id; 0 = none */
  exp = new Float64Array(0);
  /** LRU clock or LFU data per id (what Redis keeps in each object's 24 bits) */
  lru = new Uint32Array(0);
  private objs: (Value | undefined)[] = [];
  // ---- index ----
  private slots = new Int32Array(MIN_SLOTS);
  private used = 0;
  // ---- arena ----
  private chunks: Buffer[] = [];
  private fill: number[] = [];
  private liveBytes: number[] = [];
  private tail = -1;
  private spare: Buffer[] = [];
  // compaction progress
  private cChunk = -1;
  private cPos = 0;

  /**
   * `firstChunk`: size of the first arena chunk; each next one doubles up to CHUNK (tables of
   * collections start small, the keyspace's starts at CHUNK).
   */
  constructor(private readonly firstChunk = CHUNK) {
    this.chunkSize = firstChunk;
    this.grow(64);
  }

  private chunkSize: number;

  // ------------------------------------------------------------------ columns

  private grow(n: number): void {
    const cap = Math.max(n, this.cap * 2);
    const i32 = (old: Int32Array) => {
      const a = new Int32Array(cap);
      a.set(old);
      return a;
    };
    this.hash = i32(this.hash);
    const rc = new Int32Array(cap).fill(-1);
    rc.set(this.rc);
    this.rc = rc;
    this.ro = i32(this.ro);
    this.kl = i32(this.kl);
    this.vl = i32(this.vl);
    this.vc = i32(this.vc);
    const exp = new Float64Array(cap);
    exp.set(this.exp);
    this.exp = exp;
    const lru = new Uint32Array(cap);
    lru.set(this.lru);
    this.lru = lru;
    this.cap = cap;
  }

  private newId(): number {
    if (this.freeIds.length !== 0) return this.freeIds.pop()!;
    if (this.top === this.cap) this.grow(this.cap * 2);
    return this.top++;
  }

  /** Is `id` a live entry? */
  live(id: number): boolean {
    return id >= 0 && id < this.top && this.rc[id]! >= 0;
  }

  // ------------------------------------------------------------------ arena

  /** Reserves `n` bytes; returns chunk index, offset in this.aOff. */
  private aOff = 0;

  private alloc(n: number): number {
    if (n > CHUNK / 4) {
      // A record this large gets a chunk of its own.
      const c = this.addChunk(Buffer.allocUnsafe(n));
      this.fill[c] = n;
      this.liveBytes[c] = n;
      this.arenaLive += n;
      this.aOff = 0;
      return c;
    }
    if (this.tail < 0 || this.fill[this.tail]! + n > this.chunks[this.tail]!.length) {
      let b = this.spare.pop();
      if (b === undefined) {
        let size = this.chunkSize;
        while (size < n * 4) size *= 2;
        b = Buffer.allocUnsafe(size);
        this.chunkSize = Math.min(CHUNK, size * 2);
      }
      this.tail = this.addChunk(b);
    }
    const c = this.tail;
    this.aOff = this.fill[c]!;
    this.fill[c] = this.aOff + n;
    this.liveBytes[c] = this.liveBytes[c]! + n;
    this.arenaLive += n;
    return c;
  }

  private addChunk(b: Buffer): number {
    let c = this.chunks.indexOf(undefined as unknown as Buffer);
    if (c < 0) c = this.chunks.length;
    this.chunks[c] = b;
    this.fill[c] = 0;
    this.liveBytes[c] = 0;
    return c;
  }

  private release(c: number, bytes: number): void {
    this.arenaLive -= bytes;
    const left = (this.liveBytes[c] = this.liveBytes[c]! - bytes);
    if (left === 0 && c !== this.tail) this.dropChunk(c);
  }

  private dropChunk(c: number): void {
    const b = this.chunks[c]!;
    if (b.length === CHUNK && this.spare.length < 2) this.spare.push(b);
    this.chunks[c] = undefined as unknown as Buffer;
    this.fill[c] = 0;
    if (this.cChunk === c) this.cChunk = -1;
  }

  /** Writes a record for `id` with key bytes and room for `vcap` value bytes. */
  private place(id: number, key: Uint8Array | string, kl: number, vcap: number): void {
    const size = HEADER + kl + vcap;
    const c = this.alloc(size);
    const o = this.aOff;
    const b = this.chunks[c]!;
    b.writeUInt32LE(id, o);
    b.writeUInt32LE(size, o + 4);
    if (typeof key === "string") b.latin1Write(key, o + HEADER);
    else b.set(key, o + HEADER);
    this.rc[id] = c;
    this.ro[id] = o;
    this.kl[id] = kl;
    this.vc[id] = vcap;
  }

  private recordSize(id: number): number {
    return HEADER + this.kl[id]! + this.vc[id]!;
  }

  // ------------------------------------------------------------------ index

  private keyEqBytes(id: number, b: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    if (this.kl[id] !== n) return false;
    const ch = this.chunks[this.rc[id]!]!;
    const o = this.ro[id]! + HEADER;
    for (let i = 0; i < n; i++) if (ch[o + i] !== b[s + i]) return false;
    return true;
  }

  private keyEqStr(id: number, k: string): boolean {
    const n = k.length;
    if (this.kl[id] !== n) return false;
    const ch = this.chunks[this.rc[id]!]!;
    const o = this.ro[id]! + HEADER;
    for (let i = 0; i < n; i++) if (ch[o + i] !== k.charCodeAt(i)) return false;
    return true;
  }

  /** Entry id of a key given as bytes, or -1. */
  findBytes(b: Uint8Array, s: number, e: number): number {
    const h = hashBytes(b, s, e);
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return this.old === null ? -1 : this.findOldBytes(h, b, s, e);
      if (v > 0 && this.hash[v - 1] === h && this.keyEqBytes(v - 1, b, s, e)) return v - 1;
    }
  }

  /** Entry id of a key given as a latin1 string, or -1. */
  find(k: string): number {
    const h = hashString(k);
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return this.old === null ? -1 : this.findOldStr(h, k);
      if (v > 0 && this.hash[v - 1] === h && this.keyEqStr(v - 1, k)) return v - 1;
    }
  }

  // The index grows incrementally, as Redis's dict rehashes: a new index twice the size takes
  // the inserts while the entries of the old one move over a few slots per write (and per
  // cron compaction), so no single command pays for rebuilding an index of millions of keys.
  // An entry is in exactly one of the two; lookups that miss the new index try the old one.

  /** the index being emptied into `slots` during an incremental growth, or null */
  private old: Int32Array | null = null;
  /** slots of `old` below this have been moved */
  private mig = 0;

  private findOldBytes(h: number, b: Uint8Array, s: number, e: number): number {
    const slots = this.old!;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return -1;
      if (v > 0 && this.hash[v - 1] === h && this.keyEqBytes(v - 1, b, s, e)) return v - 1;
    }
  }

  private findOldStr(h: number, k: string): number {
    const slots = this.old!;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return -1;
      if (v > 0 && this.hash[v - 1] === h && this.keyEqStr(v - 1, k)) return v - 1;
    }
  }

  /** Moves the entries of up to `n` slots of the old index into the new one. */
  private migrate(n: number): void {
    const old = this.old!;
    const end = Math.min(old.length, this.mig + n);
    for (let i = this.mig; i < end; i++) {
      const v = old[i]!;
      if (v > 0) {
        this.insertSlot(v - 1, this.hash[v - 1]!);
        // A tombstone, not empty: probes for entries still in `old` must go on past it.
        old[i] = -1;
      }
    }
    this.mig = end;
    if (end === old.length) this.old = null;
  }

  private insertSlot(id: number, h: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v <= 0) {
        if (v === 0) this.used++;
        slots[i] = id + 1;
        return;
      }
    }
  }

  private removeSlot(id: number): void {
    if (this.removeFrom(this.slots, id) || this.old === null) return;
    this.removeFrom(this.old, id);
  }

  private removeFrom(slots: Int32Array, id: number): boolean {
    const mask = slots.length - 1;
    for (let i = this.hash[id]! & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === id + 1) {
        slots[i] = -1;
        return true;
      }
      if (v === 0) return false;
    }
  }

  /** Starts growing the index for `n` entries: new inserts go to a larger one (see migrate). */
  private growIndex(n: number): void {
    if (this.old !== null || n < INCREMENTAL_MIN) {
      this.rehash(n);
      return;
    }
    let len = MIN_SLOTS;
    while (len < n * 2) len *= 2;
    this.old = this.slots;
    this.mig = 0;
    this.slots = new Int32Array(len);
    this.used = 0;
  }

  /** Rebuilds the index for `n` live keys (drops tombstones, resizes to load <= 1/2). */
  private rehash(n: number): void {
    let len = MIN_SLOTS;
    while (len < n * 2) len *= 2;
    const slots = new Int32Array(len);
    const mask = len - 1;
    for (let id = 0; id < this.top; id++) {
      if (this.rc[id]! < 0) continue;
      for (let i = this.hash[id]! & mask; ; i = (i + 1) & mask) {
        if (slots[i] === 0) {
          slots[i] = id + 1;
          break;
        }
      }
    }
    this.slots = slots;
    this.used = this.size;
    this.old = null;
  }

  // ------------------------------------------------------------------ entries

  /** Creates an entry for a key known to be absent; the value is set by the caller. */
  private create(key: Uint8Array | string, kl: number, h: number, vcap: number): number {
    // Grow the index before the entry exists: a rebuild after place() would index the new id
    // and insertSlot would then index it a second time (a stale slot once the key is deleted).
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    if ((this.used + 1) * 4 > this.slots.length * 3) this.growIndex(this.size + 1);
    const id = this.newId();
    this.hash[id] = h;
    this.place(id, key, kl, vcap);
    this.vl[id] = OBJ;
    this.exp[id] = 0;
    this.lru[id] = 0;
    this.insertSlot(id, h);
    this.size++;
    if (this.saving !== null) this.saving.created(id);
    if (this.track !== null) this.track.changed(id);
    return id;
  }

  /** Removes an entry by id. */
  removeId(id: number): void {
    if (this.saving !== null) this.saving.before(id);
    if (this.track !== null) this.track.removing(id);
    if (this.vl[id] === COLD) this.coldCount--;
    this.removeSlot(id);
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    this.release(this.rc[id]!, this.recordSize(id));
    this.rc[id] = -1;
    this.objs[id] = undefined;
    if (this.exp[id] !== 0) {
      this.exp[id] = 0;
      this.expCount--;
    }
    this.freeIds.push(id);
    this.size--;
    // Many tombstones make probes long, and a table that shrank wastes its index: rebuild.
    if (this.used - this.size > this.slots.length / 4 || (this.size * 8 < this.slots.length && this.slots.length > 1024)) {
      this.rehash(this.size);
    }
    if (this.size === 0 && this.top > 1024) this.reset();
  }

  /** Forgets every id once empty, so a table that shrank to nothing gives its memory back. */
  private reset(): void {
    const view = this.expires;
    const saving = this.saving;
    const track = this.track;
    Object.assign(this, new KeyTable(this.firstChunk));
    (this as { expires: ExpiresView }).expires = view;
    this.saving = saving;
    this.track = track;
  }

  /** The value of an entry (a string value in the arena is materialized). */
  valueOf(id: number): Value {
    let n = this.vl[id]!;
    if (n < 0) {
      if (n === OBJ) return this.objs[id]!;
      this.warm(id);
      n = this.vl[id]!;
      if (n < 0) return this.objs[id]!;
    }
    const o = this.ro[id]! + HEADER + this.kl[id]!;
    return latin1Slice.call(this.chunks[this.rc[id]!]!, o, o + n);
  }

  /** For replies: the arena bytes of a string value (chunk, offset, length), or null if not in the arena. */
  valueBytes(id: number): Buffer | null {
    if (this.vl[id]! < 0) {
      if (this.vl[id] === OBJ) return null;
      this.warm(id);
      if (this.vl[id]! < 0) return null;
    }
    this.vOff = this.ro[id]! + HEADER + this.kl[id]!;
    return this.chunks[this.rc[id]!]!;
  }
  /** Offset set by valueBytes(). */
  vOff = 0;

  /** Length of an arena string value; negative when the value is an object. */
  valueLength(id: number): number {
    const n = this.vl[id]!;
    if (n !== COLD) return n;
    this.warm(id);
    return this.vl[id]!;
  }

  // ------------------------------------------------------------------ tiering (cold values)

  /** Is `id` the live entry of key `k`? */
  isKey(id: number, k: string): boolean {
    return id < this.top && this.rc[id]! >= 0 && this.keyEqStr(id, k);
  }

  /** Is the value of `id` on disk only? (No load.) */
  isCold(id: number): boolean {
    return this.vl[id] === COLD;
  }

  /** Is the value of `id` an object (or big string) in objs? (No load.) */
  isObj(id: number): boolean {
    return this.vl[id] === OBJ;
  }

  /** The object value of `id` without loading anything (undefined for arena strings and cold values). */
  peekObj(id: number): Value | undefined {
    return this.vl[id] === OBJ ? this.objs[id] : undefined;
  }

  /** Arena bytes of the record of `id` (key and value capacity, header included). */
  recordBytes(id: number): number {
    return this.recordSize(id);
  }

  /**
   * Drops the value of `id` from memory (tiering: it lives on disk). The key, expiry and access
   * clock stay; the record shrinks to the key alone. No hook runs: the value did not change.
   */
  setCold(id: number): void {
    if (this.vl[id] === COLD) return;
    if (this.vc[id]! > 0) {
      const oldC = this.rc[id]!;
      const oldO = this.ro[id]!;
      const kl = this.kl[id]!;
      const oldSize = this.recordSize(id);
      const keyCopy = Uint8Array.prototype.slice.call(this.chunks[oldC]!, oldO + HEADER, oldO + HEADER + kl);
      this.place(id, keyCopy, kl, 0);
      this.release(oldC, oldSize);
    }
    this.objs[id] = undefined;
    this.vl[id] = COLD;
    this.coldCount++;
  }

  /** Loads a cold value back through the tracker (which calls fillValue()). */
  private warm(id: number): void {
    if (this.track === null) throw new Error("cold value without a loader");
    this.track.load(id);
    if (this.vl[id] === COLD) throw new Error("cold value was not loaded");
  }

  /**
   * Stores the loaded value of a cold entry (or of an entry being loaded from disk). No hook
   * runs: for the rest of the server the value never changed.
   */
  fillValue(id: number, v: Value): void {
    if (this.vl[id] === COLD) this.coldCount--;
    if (typeof v === "string" && v.length <= BIG_VALUE) {
      const n = v.length;
      this.makeRoom(id, n);
      const b = this.chunks[this.rc[id]!]!;
      const o = this.ro[id]! + HEADER + this.kl[id]!;
      if (n < 32) for (let i = 0; i < n; i++) b[o + i] = v.charCodeAt(i);
      else b.latin1Write(v, o, n);
      this.vl[id] = n;
      this.objs[id] = undefined;
    } else {
      this.vl[id] = OBJ;
      this.objs[id] = v;
    }
  }

  /** fillValue() for a string value given as bytes b[from, from + n). */
  fillBytes(id: number, b: Uint8Array, from: number, n: number): void {
    if (this.vl[id] === COLD) this.coldCount--;
    this.makeRoom(id, n);
    const d = this.chunks[this.rc[id]!]!;
    const o = this.ro[id]! + HEADER + this.kl[id]!;
    if (n <= 64) for (let i = 0; i < n; i++) d[o + i] = b[from + i]!;
    else d.set(b.subarray(from, from + n), o);
    this.vl[id] = n;
    this.objs[id] = undefined;
  }

  /** Copies the key bytes of `id` into dst at off; returns the key length. */
  keyInto(id: number, dst: Uint8Array, off: number): number {
    const n = this.kl[id]!;
    const ch = this.chunks[this.rc[id]!]!;
    const o = this.ro[id]! + HEADER;
    if (n <= 32) for (let i = 0; i < n; i++) dst[off + i] = ch[o + i]!;
    else dst.set(ch.subarray(o, o + n), off);
    return n;
  }

  keyLength(id: number): number {
    return this.kl[id]!;
  }

  /** Key of an entry as a latin1 string. */
  keyOf(id: number): string {
    const o = this.ro[id]! + HEADER;
    return latin1Slice.call(this.chunks[this.rc[id]!]!, o, o + this.kl[id]!);
  }

  /** Stores a value for an existing id. */
  setValue(id: number, v: Value): void {
    if (this.saving !== null) this.saving.before(id);
    if (typeof v === "string" && v.length <= BIG_VALUE) this.setStringValue(id, v, v.length);
    else {
      if (this.vl[id] === COLD) this.coldCount--;
      this.vl[id] = OBJ;
      this.objs[id] = v;
      if (this.track !== null) this.track.changed(id);
    }
  }

  /** Moves the record of `id` to a larger one when its value capacity is below n bytes. */
  private makeRoom(id: number, n: number): void {
    if (n <= this.vc[id]!) return;
    const oldC = this.rc[id]!;
    const oldO = this.ro[id]!;
    const kl = this.kl[id]!;
    const oldSize = this.recordSize(id);
    // place() may allocate a new tail chunk: copy the key out first.
    const keyCopy = Uint8Array.prototype.slice.call(this.chunks[oldC]!, oldO + HEADER, oldO + HEADER + kl);
    this.place(id, keyCopy, kl, n);
    this.release(oldC, oldSize);
  }

  /** Stores string bytes (from a string or a byte range) as the value of `id`. */
  setStringValue(id: number, v: string | Uint8Array, n: number, from = 0): void {
    if (this.saving !== null) this.saving.before(id);
    if (this.vl[id] === COLD) this.coldCount--;
    this.makeRoom(id, n);
    const b = this.chunks[this.rc[id]!]!;
    const o = this.ro[id]! + HEADER + this.kl[id]!;
    if (typeof v === "string") {
      if (n < 32) for (let i = 0; i < n; i++) b[o + i] = v.charCodeAt(i);
      else b.latin1Write(v, o, n);
    } else if (n <= 64) {
      // A loop beats creating a subarray view for short values.
      for (let i = 0; i < n; i++) b[o + i] = v[from + i]!;
    } else b.set(from === 0 && v.length === n ? v : v.subarray(from, from + n), o);
    this.vl[id] = n;
    this.objs[id] = undefined;
    if (this.track !== null) this.track.changed(id);
  }

  // ------------------------------------------------------------------ Map-like API

  get(k: string): Value | undefined {
    const id = this.find(k);
    return id < 0 ? undefined : this.valueOf(id);
  }

  has(k: string): boolean {
    return this.find(k) >= 0;
  }

  /** Sets a value; returns the entry id. */
  set(k: string, v: Value): this {
    this.put(k, v);
    return this;
  }

  put(k: string, v: Value): number {
    let id = this.find(k);
    if (id < 0) {
      const small = typeof v === "string" && v.length <= BIG_VALUE;
      id = this.create(k, k.length, hashString(k), small ? (v as string).length : 0);
    }
    this.setValue(id, v);
    return id;
  }

  /** Creates or finds the entry for key bytes; returns [id, created]. */
  upsertBytes(b: Uint8Array, s: number, e: number, vcap: number): number {
    const id = this.findBytes(b, s, e);
    if (id >= 0) {
      this.created = false;
      return id;
    }
    this.created = true;
    return this.create(b.subarray(s, e), e - s, hashBytes(b, s, e), vcap);
  }
  /** upsertBytes() for a key given as a latin1 string. */
  upsert(k: string, vcap: number): number {
    const id = this.find(k);
    if (id >= 0) {
      this.created = false;
      return id;
    }
    this.created = true;
    return this.create(k, k.length, hashString(k), vcap);
  }

  /** Whether the last upsertBytes() or upsert() created the entry. */
  created = false;

  delete(k: string): boolean {
    const id = this.find(k);
    if (id < 0) return false;
    this.removeId(id);
    return true;
  }

  clear(): void {
    this.reset();
  }

  /** Next live id at or after `from`, or -1. */
  nextLive(from: number): number {
    for (let id = from; id < this.top; id++) if (this.rc[id]! >= 0) return id;
    return -1;
  }

  *keys(): IterableIterator<string> {
    for (let id = 0; id < this.top; id++) if (this.rc[id]! >= 0) yield this.keyOf(id);
  }

  *values(): IterableIterator<Value> {
    for (let id = 0; id < this.top; id++) if (this.rc[id]! >= 0) yield this.valueOf(id);
  }

  *entries(): IterableIterator<[string, Value]> {
    for (let id = 0; id < this.top; id++) if (this.rc[id]! >= 0) yield [this.keyOf(id), this.valueOf(id)];
  }

  [Symbol.iterator](): IterableIterator<[string, Value]> {
    return this.entries();
  }

  forEach(f: (v: Value, k: string) => void): void {
    for (const [k, v] of this.entries()) f(v, k);
  }

  // ------------------------------------------------------------------ expiry

  setExp(id: number, when: number): void {
    if (this.saving !== null) this.saving.before(id);
    if (this.exp[id] === 0) this.expCount++;
    this.exp[id] = when;
    if (this.track !== null) this.track.changed(id);
  }

  clearExp(id: number): boolean {
    if (this.exp[id] === 0) return false;
    if (this.saving !== null) this.saving.before(id);
    this.exp[id] = 0;
    this.expCount--;
    if (this.track !== null) this.track.changed(id);
    return true;
  }

  /** Sets the expiry of an entry being loaded from disk (no hook runs). */
  loadExp(id: number, when: number): void {
    if (this.exp[id] === 0) this.expCount++;
    this.exp[id] = when;
  }

  /**
   * Bytes of the index and the per-entry columns a live entry takes (maxmemory accounting):
   * 44 bytes of columns and two index slots. Counted per live entry, not per allocated id, so
   * deleting a key frees its share (freed ids are reused, like an allocator's free lists).
   */
  overheadBytes(): number {
    return this.size * 52;
  }

  /** Map-like view of the expiry column (what used to be a Map<string, number>). */
  readonly expires = new ExpiresView(this);

  // ------------------------------------------------------------------ maintenance

  /** Arena bytes held and bytes still live (for INFO / MEMORY). */
  arenaStats(): { held: number; live: number; chunks: number } {
    let held = 0;
    let live = 0;
    let n = 0;
    for (let c = 0; c < this.chunks.length; c++) {
      if (!this.chunks[c]) continue;
      n++;
      held += this.chunks[c]!.length;
      live += this.liveBytes[c]!;
    }
    return { held, live, chunks: n };
  }

  private deletes = 0;

  /**
   * Compaction for tables that hold a collection's elements (the keyspace's cron does not
   * see them): call after a delete. Every 256 deletes, while the arena holds more than twice
   * its live bytes, moves records out of chunks at most a quarter live, so an emptying table
   * does not move the same records over and over.
   */
  tidy(): void {
    if (++this.deletes % 256 !== 0) return;
    const { held, live } = this.arenaStats();
    if (held > 2 * live + (64 << 10)) this.compact(64 << 10, 0.25);
  }

  /**
   * Moves live records out of chunks that are mostly dead, at most `budget` bytes per call,
   * so the space of overwritten and deleted values comes back. Returns bytes moved.
   */
  compact(budget: number, maxLive = 0.5): number {
    // The cron's compaction also moves an index that is growing along, a bounded step a tick.
    if (this.old !== null) this.migrate(1 << 16);
    let moved = 0;
    while (moved < budget) {
      if (this.cChunk < 0 || !this.chunks[this.cChunk]) {
        this.cChunk = this.pickSparse(maxLive);
        this.cPos = 0;
        if (this.cChunk < 0) return moved;
      }
      const c = this.cChunk;
      const b = this.chunks[c]!;
      const end = this.fill[c]!;
      while (this.cPos < end && moved < budget) {
        const pos = this.cPos;
        const id = b.readUInt32LE(pos);
        const size = b.readUInt32LE(pos + 4);
        this.cPos = pos + size;
        if (id < this.top && this.rc[id] === c && this.ro[id] === pos) {
          const kl = this.kl[id]!;
          const vc = Math.max(0, this.vl[id]!);
          const key = b.subarray(pos + HEADER, pos + HEADER + kl);
          const val = b.subarray(pos + HEADER + kl, pos + HEADER + kl + vc);
          const oldSize = this.recordSize(id);
          this.place(id, key, kl, vc);
          if (vc) this.chunks[this.rc[id]!]!.set(val, this.ro[id]! + HEADER + kl);
          this.release(c, oldSize);
          moved += oldSize;
          if (!this.chunks[c]) break;
        }
      }
      if (!this.chunks[c] || this.cPos >= end) this.cChunk = -1;
    }
    return moved;
  }

  /** A chunk (not the tail) whose live bytes are below `maxLive` of its fill, or -1. */
  private pickSparse(maxLive: number): number {
    for (let c = 0; c < this.chunks.length; c++) {
      if (c === this.tail || !this.chunks[c]) continue;
      if (this.liveBytes[c]! < this.fill[c]! * maxLive) return c;
    }
    return -1;
  }
}

/** The expiry column seen as a Map<string, number> (size counts keys with a TTL). */
export class ExpiresView {
  constructor(private readonly t: KeyTable) {}

  get size(): number {
    return this.t.expCount;
  }

  get(k: string): number | undefined {
    if (this.t.expCount === 0) return undefined;
    const id = this.t.find(k);
    if (id < 0) return undefined;
    const e = this.t.exp[id]!;
    return e === 0 ? undefined : e;
  }

  has(k: string): boolean {
    return this.get(k) !== undefined;
  }

  set(k: string, when: number): this {
    const id = this.t.find(k);
    if (id >= 0) this.t.setExp(id, when);
    return this;
  }

  delete(k: string): boolean {
    if (this.t.expCount === 0) return false;
    const id = this.t.find(k);
    return id >= 0 && this.t.clearExp(id);
  }

  *entries(): IterableIterator<[string, number]> {
    const t = this.t;
    for (let id = 0; id < t.top && t.expCount > 0; id++) {
      if (t.live(id) && t.exp[id] !== 0) yield [t.keyOf(id), t.exp[id]!];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  [Symbol.iterator](): IterableIterator<[string, number]> {
    return this.entries();
  }
}
