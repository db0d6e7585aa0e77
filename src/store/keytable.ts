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

/** VLEN code: the value is an object (or a big string) in objs. */
const OBJ = -1;
/** VLEN code: the value is not in memory (tiering): the tracker loads it on first access. */
const COLD = -2;

// An entry's fields sit together in one 32-byte row (int32 view; the float64 view covers
// the last 8 bytes), so a lookup over millions of keys touches one cache line of the table
// instead of one per column. The value's capacity is not kept: the record header has it.
const STRIDE = 8;
const HASH = 0;
/** arena chunk of the record, -1 when the id is free */
const CHUNK_I = 1;
const OFF = 2;
const KLEN = 3;
/** value length in the arena, or OBJ / COLD */
const VLEN = 4;
const LRU = 5;
/** float64 index of the expiry within a row's float64 view (int32 fields 6 and 7) */
const NUM = 3;

// Rows and object slots live in pages of PAGE ids, so a table of millions of keys grows by
// adding a page, never by copying every row in one step (that took 15-33 ms at 1-2M keys).
// The first page doubles while the table is small, so a 1025-field hash does not hold a
// page meant for 65536.
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

/** Most keys prefetch() takes at once. */
export const PREFETCH_MAX = 64;
const STAGE = new Int32Array(PREFETCH_MAX * 2);

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
  // ---- entry rows, by id ----
  private cap = 0;
  /** ids in use are < top; free ids below it are listed in freeIds */
  top = 0;
  private freeIds: number[] = [];
  /** rows: int32 view of each page */
  private R: Int32Array[] = [];
  /** rows: float64 view of each page */
  private F: Float64Array[] = [];
  /** object values (collections, edited or big strings) of each page, by id */
  private O: (Value | undefined)[][] = [];
  // ---- index: pairs of [id + 1 (0 empty, -1 tombstone), hash] ----
  private slots = new Int32Array(MIN_SLOTS * 2);
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
    this.grow();
  }

  private chunkSize: number;

  // ------------------------------------------------------------------ rows

  private grow(): void {
    if (this.cap < PAGE) {
      const cap = Math.max(64, this.cap * 2);
      const r = new Int32Array(cap * STRIDE);
      const objs: (Value | undefined)[] = new Array(cap).fill(undefined);
      if (this.cap > 0) {
        r.set(this.R[0]!);
        const old = this.O[0]!;
        for (let i = 0; i < this.cap; i++) objs[i] = old[i];
      }
      this.R[0] = r;
      this.F[0] = new Float64Array(r.buffer);
      this.O[0] = objs;
      this.cap = cap;
    } else {
      const r = new Int32Array(PAGE * STRIDE);
      this.R.push(r);
      this.F.push(new Float64Array(r.buffer));
      this.O.push(new Array(PAGE).fill(undefined));
      this.cap += PAGE;
    }
  }

  private newId(): number {
    if (this.freeIds.length !== 0) return this.freeIds.pop()!;
    if (this.top === this.cap) this.grow();
    return this.top++;
  }

  /** Int32 field `f` of the row of `id`. */
  private field(id: number, f: number): number {
    return this.R[id >>> PAGE_BITS]![((id & PAGE_MASK) << 3) + f]!;
  }

  private setField(id: number, f: number, v: number): void {
    this.R[id >>> PAGE_BITS]![((id & PAGE_MASK) << 3) + f] = v;
  }

  private obj(id: number): Value | undefined {
    return this.O[id >>> PAGE_BITS]![id & PAGE_MASK];
  }

  private setObj(id: number, v: Value | undefined): void {
    this.O[id >>> PAGE_BITS]![id & PAGE_MASK] = v;
  }

  /** Is `id` a live entry? */
  live(id: number): boolean {
    return id >= 0 && id < this.top && this.field(id, CHUNK_I) >= 0;
  }

  /** Expiry time (ms) of an entry; 0 = none. */
  expOf(id: number): number {
    return this.F[id >>> PAGE_BITS]![((id & PAGE_MASK) << 2) + NUM]!;
  }

  /**
   * The float64 field that holds the expiry, written without hooks or counts: tables of a
   * collection's elements have no expiry and keep their own number there (sorted-set scores).
   */
  setNum(id: number, v: number): void {
    this.F[id >>> PAGE_BITS]![((id & PAGE_MASK) << 2) + NUM] = v;
  }

  /** LRU clock or LFU data (what Redis keeps in each object's 24 bits); sets keep a position here. */
  lruOf(id: number): number {
    return this.field(id, LRU);
  }

  setLru(id: number, v: number): void {
    this.setField(id, LRU, v);
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
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    r[ro + CHUNK_I] = c;
    r[ro + OFF] = o;
    r[ro + KLEN] = kl;
  }

  /** Arena bytes of the record of `id` (header, key and value capacity). */
  private recordSize(id: number): number {
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    return this.chunks[r[ro + CHUNK_I]!]!.readUInt32LE(r[ro + OFF]! + 4);
  }

  // ------------------------------------------------------------------ index

  private keyEqBytes(id: number, b: Uint8Array, s: number, e: number): boolean {
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    const n = e - s;
    if (r[ro + KLEN] !== n) return false;
    const ch = this.chunks[r[ro + CHUNK_I]!]!;
    const o = r[ro + OFF]! + HEADER;
    for (let i = 0; i < n; i++) if (ch[o + i] !== b[s + i]) return false;
    return true;
  }

  private keyEqStr(id: number, k: string): boolean {
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    const n = k.length;
    if (r[ro + KLEN] !== n) return false;
    const ch = this.chunks[r[ro + CHUNK_I]!]!;
    const o = r[ro + OFF]! + HEADER;
    for (let i = 0; i < n; i++) if (ch[o + i] !== k.charCodeAt(i)) return false;
    return true;
  }

  /** Entry id of a key given as bytes, or -1. */
  findBytes(b: Uint8Array, s: number, e: number): number {
    const h = hashBytes(b, s, e);
    const id = this.probeBytes(this.slots, h, b, s, e);
    return id >= 0 || this.old === null ? id : this.probeBytes(this.old, h, b, s, e);
  }

  /** Entry id of a key given as a latin1 string, or -1. */
  find(k: string): number {
    const h = hashString(k);
    const id = this.probeStr(this.slots, h, k);
    return id >= 0 || this.old === null ? id : this.probeStr(this.old, h, k);
  }

  private probeBytes(slots: Int32Array, h: number, b: Uint8Array, s: number, e: number): number {
    const mask = (slots.length >> 1) - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i << 1]!;
      if (v === 0) return -1;
      if (v > 0 && slots[(i << 1) + 1] === h && this.keyEqBytes(v - 1, b, s, e)) return v - 1;
    }
  }

  private probeStr(slots: Int32Array, h: number, k: string): number {
    const mask = (slots.length >> 1) - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i << 1]!;
      if (v === 0) return -1;
      if (v > 0 && slots[(i << 1) + 1] === h && this.keyEqStr(v - 1, k)) return v - 1;
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

  /** Moves the entries of up to `n` slots of the old index into the new one. */
  private migrate(n: number): void {
    const old = this.old!;
    const len = old.length >> 1;
    const end = Math.min(len, this.mig + n);
    for (let i = this.mig; i < end; i++) {
      const v = old[i << 1]!;
      if (v > 0) {
        this.insertSlot(v - 1, old[(i << 1) + 1]!);
        // A tombstone, not empty: probes for entries still in `old` must go on past it.
        old[i << 1] = -1;
      }
    }
    this.mig = end;
    if (end === len) this.old = null;
  }

  private insertSlot(id: number, h: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = slots[i << 1]!;
      if (v <= 0) {
        if (v === 0) this.used++;
        slots[i << 1] = id + 1;
        slots[(i << 1) + 1] = h;
        return;
      }
    }
  }

  private removeSlot(id: number): void {
    if (this.removeFrom(this.slots, id) || this.old === null) return;
    this.removeFrom(this.old, id);
  }

  private removeFrom(slots: Int32Array, id: number): boolean {
    const mask = (slots.length >> 1) - 1;
    for (let i = this.field(id, HASH) & mask; ; i = (i + 1) & mask) {
      const v = slots[i << 1]!;
      if (v === id + 1) {
        slots[i << 1] = -1;
        return true;
      }
      if (v === 0) return false;
    }
  }

  /** Slot count of an index holding `n` entries at a load of at most 1/2. */
  private static indexSlots(n: number): number {
    let len = MIN_SLOTS;
    while (len < n * 2) len *= 2;
    return len;
  }

  /**
   * Starts moving to a fresh index sized for `n` entries (larger when growing, smaller or just
   * without tombstones otherwise): new inserts go to it while migrate() moves the rest over.
   */
  private rebuildIndex(n: number): void {
    if (this.old !== null || n < INCREMENTAL_MIN) {
      this.rehash(n);
      return;
    }
    this.old = this.slots;
    this.mig = 0;
    this.slots = new Int32Array(KeyTable.indexSlots(n) * 2);
    this.used = 0;
  }

  /** Rebuilds the index for `n` live keys (drops tombstones, resizes to load <= 1/2). */
  private rehash(n: number): void {
    this.slots = new Int32Array(KeyTable.indexSlots(n) * 2);
    this.used = 0;
    this.old = null;
    for (let id = 0; id < this.top; id++) if (this.field(id, CHUNK_I) >= 0) this.insertSlot(id, this.field(id, HASH));
  }

  // ------------------------------------------------------------------ entries

  /** Creates an entry for a key known to be absent; the value is set by the caller. */
  private create(key: Uint8Array | string, kl: number, h: number, vcap: number): number {
    // Grow the index before the entry exists: a rebuild after place() would index the new id
    // and insertSlot would then index it a second time (a stale slot once the key is deleted).
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    if ((this.used + 1) * 4 > (this.slots.length >> 1) * 3) this.rebuildIndex(this.size + 1);
    const id = this.newId();
    this.place(id, key, kl, vcap);
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    r[ro + HASH] = h;
    r[ro + VLEN] = OBJ;
    r[ro + LRU] = 0;
    this.F[id >>> PAGE_BITS]![(ro >> 1) + NUM] = 0;
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
    if (this.field(id, VLEN) === COLD) this.coldCount--;
    this.removeSlot(id);
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    this.release(this.field(id, CHUNK_I), this.recordSize(id));
    this.setField(id, CHUNK_I, -1);
    this.setObj(id, undefined);
    if (this.expOf(id) !== 0) {
      this.setNum(id, 0);
      this.expCount--;
    }
    this.freeIds.push(id);
    this.size--;
    // Many tombstones make probes long, and a table that shrank wastes its index: rebuild
    // (incrementally past INCREMENTAL_MIN: SPOP emptying a big set rebuilt ~600k slots at once).
    const slots = this.slots.length >> 1;
    if (this.used - this.size > slots / 4 || (this.size * 8 < slots && slots > 1024)) this.rebuildIndex(this.size);
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

  /** Offset of the value bytes of `id` in its chunk. */
  private valueOffset(r: Int32Array, ro: number): number {
    return r[ro + OFF]! + HEADER + r[ro + KLEN]!;
  }

  /** The value of an entry (a string value in the arena is materialized). */
  valueOf(id: number): Value {
    let n = this.field(id, VLEN);
    if (n < 0) {
      if (n === OBJ) return this.obj(id)!;
      this.warm(id);
      n = this.field(id, VLEN);
      if (n < 0) return this.obj(id)!;
    }
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    const o = this.valueOffset(r, ro);
    return latin1Slice.call(this.chunks[r[ro + CHUNK_I]!]!, o, o + n);
  }

  /** For replies: the arena bytes of a string value (chunk, offset, length), or null if not in the arena. */
  valueBytes(id: number): Buffer | null {
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    if (r[ro + VLEN]! < 0) {
      if (r[ro + VLEN] === OBJ) return null;
      this.warm(id);
      if (r[ro + VLEN]! < 0) return null;
    }
    this.vOff = this.valueOffset(r, ro);
    return this.chunks[r[ro + CHUNK_I]!]!;
  }
  /** Offset set by valueBytes(). */
  vOff = 0;

  /** Length of an arena string value; negative when the value is an object. */
  valueLength(id: number): number {
    const n = this.field(id, VLEN);
    if (n !== COLD) return n;
    this.warm(id);
    return this.field(id, VLEN);
  }

  // ------------------------------------------------------------------ tiering (cold values)

  /** Is `id` the live entry of key `k`? */
  isKey(id: number, k: string): boolean {
    return id < this.top && this.field(id, CHUNK_I) >= 0 && this.keyEqStr(id, k);
  }

  /** Is the value of `id` on disk only? (No load.) */
  isCold(id: number): boolean {
    return this.field(id, VLEN) === COLD;
  }

  /** Is the value of `id` an object (or big string) in objs? (No load.) */
  isObj(id: number): boolean {
    return this.field(id, VLEN) === OBJ;
  }

  /** The object value of `id` without loading anything (undefined for arena strings and cold values). */
  peekObj(id: number): Value | undefined {
    return this.field(id, VLEN) === OBJ ? this.obj(id) : undefined;
  }

  /** Arena bytes of the record of `id` (key and value capacity, header included). */
  recordBytes(id: number): number {
    return this.recordSize(id);
  }

  /** Copy of the key bytes of `id` (place() may allocate a new chunk, so not a view). */
  private keyCopy(id: number): Uint8Array {
    const o = this.field(id, OFF) + HEADER;
    return Uint8Array.prototype.slice.call(this.chunks[this.field(id, CHUNK_I)]!, o, o + this.field(id, KLEN));
  }

  /** Moves the record of `id` to a new one with room for `vcap` value bytes. */
  private replace(id: number, vcap: number): void {
    const oldC = this.field(id, CHUNK_I);
    const oldSize = this.recordSize(id);
    this.place(id, this.keyCopy(id), this.field(id, KLEN), vcap);
    this.release(oldC, oldSize);
  }

  /**
   * Drops the value of `id` from memory (tiering: it lives on disk). The key, expiry and access
   * clock stay; the record shrinks to the key alone. No hook runs: the value did not change.
   */
  setCold(id: number): void {
    if (this.field(id, VLEN) === COLD) return;
    if (this.recordSize(id) > HEADER + this.field(id, KLEN)) this.replace(id, 0);
    this.setObj(id, undefined);
    this.setField(id, VLEN, COLD);
    this.coldCount++;
  }

  /** Loads a cold value back through the tracker (which calls fillValue()). */
  private warm(id: number): void {
    if (this.track === null) throw new Error("cold value without a loader");
    this.track.load(id);
    if (this.field(id, VLEN) === COLD) throw new Error("cold value was not loaded");
  }

  /**
   * Stores the loaded value of a cold entry (or of an entry being loaded from disk). No hook
   * runs: for the rest of the server the value never changed.
   */
  fillValue(id: number, v: Value): void {
    if (this.field(id, VLEN) === COLD) this.coldCount--;
    if (typeof v === "string" && v.length <= BIG_VALUE) this.writeString(id, v, v.length, 0);
    else {
      this.setField(id, VLEN, OBJ);
      this.setObj(id, v);
    }
  }

  /** fillValue() for a string value given as bytes b[from, from + n). */
  fillBytes(id: number, b: Uint8Array, from: number, n: number): void {
    if (this.field(id, VLEN) === COLD) this.coldCount--;
    this.writeString(id, b, n, from);
  }

  /** Copies the key bytes of `id` into dst at off; returns the key length. */
  keyInto(id: number, dst: Uint8Array, off: number): number {
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    const n = r[ro + KLEN]!;
    const ch = this.chunks[r[ro + CHUNK_I]!]!;
    const o = r[ro + OFF]! + HEADER;
    if (n <= 32) for (let i = 0; i < n; i++) dst[off + i] = ch[o + i]!;
    else dst.set(ch.subarray(o, o + n), off);
    return n;
  }

  keyLength(id: number): number {
    return this.field(id, KLEN);
  }

  /** Key of an entry as a latin1 string. */
  keyOf(id: number): string {
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    const o = r[ro + OFF]! + HEADER;
    return latin1Slice.call(this.chunks[r[ro + CHUNK_I]!]!, o, o + r[ro + KLEN]!);
  }

  /** Stores a value for an existing id. */
  setValue(id: number, v: Value): void {
    if (this.saving !== null) this.saving.before(id);
    if (typeof v === "string" && v.length <= BIG_VALUE) this.setStringValue(id, v, v.length);
    else {
      if (this.field(id, VLEN) === COLD) this.coldCount--;
      this.setField(id, VLEN, OBJ);
      this.setObj(id, v);
      if (this.track !== null) this.track.changed(id);
    }
  }

  /** Stores string bytes (from a string or a byte range) as the value of `id`. */
  setStringValue(id: number, v: string | Uint8Array, n: number, from = 0): void {
    if (this.saving !== null) this.saving.before(id);
    if (this.field(id, VLEN) === COLD) this.coldCount--;
    this.writeString(id, v, n, from);
    if (this.track !== null) this.track.changed(id);
  }

  /** Writes a string value into the record of `id`, moving the record when it has no room. */
  private writeString(id: number, v: string | Uint8Array, n: number, from: number): void {
    const r = this.R[id >>> PAGE_BITS]!;
    const ro = (id & PAGE_MASK) << 3;
    let b = this.chunks[r[ro + CHUNK_I]!]!;
    let o = this.valueOffset(r, ro);
    // The record header's size less header and key is the value capacity.
    if (n > b.readUInt32LE(r[ro + OFF]! + 4) - HEADER - r[ro + KLEN]!) {
      this.replace(id, n);
      b = this.chunks[r[ro + CHUNK_I]!]!;
      o = this.valueOffset(r, ro);
    }
    if (typeof v === "string") {
      if (n < 32) for (let i = 0; i < n; i++) b[o + i] = v.charCodeAt(i);
      else b.latin1Write(v, o, n);
    } else if (n <= 64) {
      // A loop beats creating a subarray view for short values.
      for (let i = 0; i < n; i++) b[o + i] = v[from + i]!;
    } else b.set(from === 0 && v.length === n ? v : v.subarray(from, from + n), o);
    r[ro + VLEN] = n;
    this.setObj(id, undefined);
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
    for (let id = from; id < this.top; id++) if (this.field(id, CHUNK_I) >= 0) return id;
    return -1;
  }

  *keys(): IterableIterator<string> {
    for (let id = 0; id < this.top; id++) if (this.field(id, CHUNK_I) >= 0) yield this.keyOf(id);
  }

  *values(): IterableIterator<Value> {
    for (let id = 0; id < this.top; id++) if (this.field(id, CHUNK_I) >= 0) yield this.valueOf(id);
  }

  *entries(): IterableIterator<[string, Value]> {
    for (let id = 0; id < this.top; id++) if (this.field(id, CHUNK_I) >= 0) yield [this.keyOf(id), this.valueOf(id)];
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
    if (this.expOf(id) === 0) this.expCount++;
    this.setNum(id, when);
    if (this.track !== null) this.track.changed(id);
  }

  clearExp(id: number): boolean {
    if (this.expOf(id) === 0) return false;
    if (this.saving !== null) this.saving.before(id);
    this.setNum(id, 0);
    this.expCount--;
    if (this.track !== null) this.track.changed(id);
    return true;
  }

  /** Sets the expiry of an entry being loaded from disk (no hook runs). */
  loadExp(id: number, when: number): void {
    if (this.expOf(id) === 0) this.expCount++;
    this.setNum(id, when);
  }

  /**
   * Bytes of the index and the row a live entry takes (maxmemory accounting): a 32-byte row
   * and two 8-byte index slots. Counted per live entry, not per allocated id, so deleting a
   * key frees its share (freed ids are reused, like an allocator's free lists).
   */
  overheadBytes(): number {
    return this.size * 48;
  }

  /** Map-like view of the expiry field (what used to be a Map<string, number>). */
  readonly expires = new ExpiresView(this);

  // ------------------------------------------------------------------ prefetch

  /** Where prefetch() keeps the loaded values, so the loads are not optimized away. */
  private sink = 0;

  /**
   * Pulls the index slots, rows and records of `n` keys, b[offs[2i], offs[2i + 1]), into the
   * CPU cache one stage for all keys before the next, so their cache misses overlap instead of
   * coming one after another (see src/server/prefetch.ts). Changes nothing.
   */
  prefetch(b: Uint8Array, offs: Int32Array, n: number): void {
    const st = STAGE;
    for (let i = 0; i < n; i++) st[i] = hashBytes(b, offs[i << 1]!, offs[(i << 1) + 1]!);
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    for (let i = 0; i < n; i++) st[i] = slots[(st[i]! & mask) << 1]! - 1;
    for (let i = 0; i < n; i++) {
      const id = st[i]!;
      if (id >= 0 && id < this.top) {
        const r = this.R[id >>> PAGE_BITS]!;
        const ro = (id & PAGE_MASK) << 3;
        st[i] = r[ro + CHUNK_I]!;
        st[n + i] = r[ro + OFF]!;
      } else st[i] = -1;
    }
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const ch = st[i]! >= 0 ? this.chunks[st[i]!] : undefined;
      if (ch !== undefined) acc += ch[st[n + i]! + HEADER]!;
    }
    this.sink = acc;
  }

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
        if (id < this.top && this.field(id, CHUNK_I) === c && this.field(id, OFF) === pos) {
          const kl = this.field(id, KLEN);
          const vc = Math.max(0, this.field(id, VLEN));
          const key = b.subarray(pos + HEADER, pos + HEADER + kl);
          const val = b.subarray(pos + HEADER + kl, pos + HEADER + kl + vc);
          this.place(id, key, kl, vc);
          if (vc) this.chunks[this.field(id, CHUNK_I)]!.set(val, this.field(id, OFF) + HEADER + kl);
          this.release(c, size);
          moved += size;
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
    const e = this.t.expOf(id);
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
      if (t.live(id) && t.expOf(id) !== 0) yield [t.keyOf(id), t.expOf(id)];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  [Symbol.iterator](): IterableIterator<[string, number]> {
    return this.entries();
  }
}
