// Per key table bookkeeping behind KeyTable.track: what changed since the last checkpoint
// (the durable engine's dirty keys), how much memory the table's objects take (maxmemory), and
// how a cold value comes back (tiering).
//
// Dirty keys are kept by entry id (a byte per id plus a list of the ids marked), deleted keys by
// name (their ids are reused). In-place changes of collections reach changed() through
// Keyspace.written and through lookups made by write commands (Db.checkLive), the same
// convention the BGSAVE copy-on-write hook relies on.

import type { KeyTable, TableTracker } from "../store/keytable.ts";
import type { Value } from "../store/value.ts";

/** What a table's dirty set was when a checkpoint froze it. */
export interface Frozen {
  /** by id: 1 = to write, 2 = written (until the checkpoint is durable, not clean) */
  flags: Uint8Array;
  ids: number[];
  deleted: string[];
}

function sizeOf(v: Value | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === "string") return v.length + 16;
  return v.bytes() + 48;
}

export class Tracker implements TableTracker {
  /** dirty-key tracking (the lsm engine); off for maxmemory accounting alone */
  durable: boolean;
  /** changes are not dirty (loading from the LSM, filling cold values) */
  mute = false;
  /** LSM generation of this table's keys (0 until the engine gives it one) */
  gen = 0;
  dirty = new Uint8Array(64);
  ids: number[] = [];
  deleted = new Set<string>();
  /** the part of the dirty set a running checkpoint writes */
  frozen: Frozen | null = null;
  /** counted object bytes per id */
  sz = new Float64Array(64);
  objBytes = 0;
  /** objects changed since they were last measured (flag by id, and the list) */
  private tf = new Uint8Array(64);
  private touched: number[] = [];
  /** the id changed last (Keyspace.written checks it before looking the key up) */
  last = -1;
  /** changes of JSON documents since their size was measured (they are measured in O(n)) */
  private jsonSkips = 0;
  /** told when the table gets its first change since the last checkpoint froze it */
  onDirty: (() => void) | null = null;
  /** loads a cold value (tiering) */
  loader: ((tr: Tracker, id: number) => void) | null = null;

  constructor(
    readonly t: KeyTable,
    durable: boolean,
  ) {
    this.durable = durable;
  }

  /** Attaches a tracker to a table, accounting (and, when durable, marking dirty) what it holds. */
  static attach(t: KeyTable, durable: boolean, markAll: boolean): Tracker {
    const tr = new Tracker(t, durable);
    tr.grow(t.top);
    tr.mute = !markAll;
    for (let id = 0; id < t.top; id++) if (t.live(id)) tr.changed(id);
    tr.mute = false;
    tr.measure();
    t.track = tr;
    return tr;
  }

  private grow(n: number): void {
    let cap = this.dirty.length;
    if (n < cap) return;
    while (cap <= n) cap *= 2;
    const d = new Uint8Array(cap);
    d.set(this.dirty);
    this.dirty = d;
    const s = new Float64Array(cap);
    s.set(this.sz);
    this.sz = s;
    const f = new Uint8Array(cap);
    f.set(this.tf);
    this.tf = f;
  }

  changed(id: number): void {
    if (id >= this.dirty.length) this.grow(id);
    if (this.durable && !this.mute && this.dirty[id] === 0) {
      this.dirty[id] = 1;
      if (this.ids.length === 0 && this.onDirty !== null) this.onDirty();
      this.ids.push(id);
    }
    this.last = id;
    const t = this.t;
    if (t.isObj(id)) {
      // objects change in place after their lookup: measured when memory() is read
      if (this.tf[id] === 0) {
        this.tf[id] = 1;
        this.touched.push(id);
      }
    } else if (this.sz[id] !== 0) {
      this.objBytes -= this.sz[id]!;
      this.sz[id] = 0;
    }
  }

  /** Measures the objects changed since the last call. */
  measure(): void {
    const t = this.t;
    const ids = this.touched;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      this.tf[id] = 0;
      if (!t.live(id)) continue;
      const v = t.peekObj(id);
      if (v !== undefined && typeof v !== "string" && v.type === "ReJSON-RL" && this.sz[id]! > 65536 && (++this.jsonSkips & 15) !== 0) continue;
      const b = sizeOf(v);
      this.objBytes += b - this.sz[id]!;
      this.sz[id] = b;
    }
    ids.length = 0;
  }

  removing(id: number): void {
    if (id >= this.dirty.length) this.grow(id);
    if (this.durable && !this.mute) {
      if (this.deleted.size === 0 && this.onDirty !== null) this.onDirty();
      this.deleted.add(this.t.keyOf(id));
    }
    if (this.sz[id] !== 0) {
      this.objBytes -= this.sz[id]!;
      this.sz[id] = 0;
    }
  }

  load(id: number): void {
    if (this.loader === null) throw new Error("cold value without a loader");
    const m = this.mute;
    this.mute = true;
    try {
      this.loader(this, id);
    } finally {
      this.mute = m;
    }
  }

  /** Stores a loaded value without marking the key dirty. */
  fill(id: number, v: Value): void {
    this.t.fillValue(id, v);
    this.changedQuiet(id);
  }

  /** Accounting only (value moved in or out of memory). */
  changedQuiet(id: number): void {
    const m = this.mute;
    this.mute = true;
    this.changed(id);
    this.mute = m;
  }

  /** Is the key's value the one in the LSM (not changed since a durable checkpoint)? */
  isClean(id: number): boolean {
    if (id < this.dirty.length && this.dirty[id] !== 0) return false;
    const f = this.frozen;
    return f === null || id >= f.flags.length || f.flags[id] === 0;
  }

  get dirtyCount(): number {
    return this.ids.length + this.deleted.size;
  }

  /** Memory of the table: arena records, columns and index, objects. */
  memory(): number {
    if (this.touched.length !== 0) this.measure();
    return this.t.arenaLive + this.t.overheadBytes() + this.objBytes;
  }

  /**
   * Freezes the dirty set for a checkpoint: ids live now are to be written, deleted keys that do
   * not exist now are to be deleted. Later changes start a new dirty set.
   */
  freeze(): Frozen {
    const t = this.t;
    const flags = this.dirty;
    const ids: number[] = [];
    for (const id of this.ids) {
      if (t.live(id)) ids.push(id);
      else flags[id] = 0;
    }
    const deleted: string[] = [];
    for (const k of this.deleted) if (t.find(k) < 0) deleted.push(k);
    const f: Frozen = { flags, ids, deleted };
    this.frozen = f;
    this.dirty = new Uint8Array(Math.max(64, flags.length));
    this.ids = [];
    this.deleted = new Set();
    return f;
  }

  /** The checkpoint failed: what it was to write is dirty again. */
  unfreeze(): void {
    const f = this.frozen;
    if (f === null) return;
    this.frozen = null;
    const t = this.t;
    for (const id of f.ids) if (t.live(id)) this.markDirty(id);
    for (const k of f.deleted) if (t.find(k) < 0) this.deleted.add(k);
  }

  markDirty(id: number): void {
    if (id >= this.dirty.length) this.grow(id);
    if (this.dirty[id] === 0) {
      this.dirty[id] = 1;
      this.ids.push(id);
    }
  }

  /** The checkpoint is durable: its keys are clean. */
  committed(): void {
    this.frozen = null;
  }
}
