// A checkpoint: the keys changed since the previous one, as they were at WAL position P, written
// into the LSM as ONE atomic batch together with the record "checkpoint = P" (and the
// db -> generation mapping), so recovery = the LSM + the WAL records after P, each applied once.
//
// Starting one (a single event-loop tick): the WAL rotates to a new segment (P = its last
// record), every table's dirty set is frozen (later writes start a new one), deleted keys
// become deletes in the batch. Then slices of about SLICE_MS serialize the frozen keys. A key
// about to change before its slice reaches it is serialized first by the copy-on-write hook
// (as BGSAVE does), so the batch holds the values as of P. The batch is committed with
// lsm.writeAsync(sync = true) off the JS thread; once it is durable, WAL segments <= P go.

import { WriteBatch, type Lsm } from "../native/index.ts";
import { addSaveHook, removeSaveHook, type TableSaveHook } from "../store/keytable.ts";
import { encodeMeta, FUNCTIONS_KEY, KeyBuilder, META_KEY, ValueWriter, type CheckpointMeta } from "./codec.ts";
import type { Frozen, Tracker } from "./tracker.ts";

/** Work per slice before the event loop gets control back. */
export const SLICE_MS = 2;

class TablePart implements TableSaveHook {
  cursor = 0;
  hooked = false;
  constructor(
    readonly job: Checkpoint,
    readonly tr: Tracker,
    readonly f: Frozen,
  ) {}

  before(id: number): void {
    const fl = this.f.flags;
    if (id < fl.length && fl[id] === 1) {
      fl[id] = 2;
      this.job.write(this.tr, id);
    }
  }

  created(_id: number): void {}

  unhook(): void {
    if (this.hooked) removeSaveHook(this.tr.t, this);
    this.hooked = false;
  }
}

export class Checkpoint {
  private readonly parts: TablePart[] = [];
  private cur = 0;
  private readonly kb = new KeyBuilder();
  keys = 0;
  deletes = 0;
  readonly startedAt = Date.now();
  done = false;

  constructor(
    /** WAL position covered */
    readonly seq: number,
    private readonly vw: ValueWriter,
    /** reused between checkpoints (writeAsync copies it at once) */
    readonly batch: WriteBatch,
  ) {
    batch.clear();
  }

  /** Freezes a table's dirty set into this checkpoint. */
  add(tr: Tracker): void {
    const f = tr.freeze();
    for (const k of f.deleted) {
      this.batch.delete(this.kb.str(tr.gen, k));
      this.deletes++;
    }
    if (f.ids.length === 0) {
      return;
    }
    const part = new TablePart(this, tr, f);
    addSaveHook(tr.t, part);
    part.hooked = true;
    this.parts.push(part);
  }

  /** Serializes entry `id` as of now (its slice, or the hook before it changes). */
  write(tr: Tracker, id: number): void {
    this.batch.put(this.kb.entry(tr.gen, tr.t, id), this.vw.entry(tr.t, id));
    this.keys++;
  }

  /** One slice; true when every frozen key is in the batch. */
  step(budgetMs = SLICE_MS): boolean {
    const start = performance.now();
    let n = 0;
    while (this.cur < this.parts.length) {
      const p = this.parts[this.cur]!;
      const ids = p.f.ids;
      const fl = p.f.flags;
      while (p.cursor < ids.length) {
        const id = ids[p.cursor++]!;
        if (fl[id] !== 1) continue;
        fl[id] = 2;
        this.write(p.tr, id);
        if ((++n & 31) === 0 && performance.now() - start > budgetMs) return false;
      }
      p.unhook();
      this.cur++;
    }
    return true;
  }

  /** Adds the checkpoint record and commits the batch (durably, off the JS thread). */
  commit(lsm: Lsm, meta: CheckpointMeta, functions: Uint8Array | null | undefined): Promise<void> {
    meta.keys = this.keys;
    if (functions !== undefined) {
      if (functions === null) this.batch.delete(FUNCTIONS_KEY);
      else this.batch.put(FUNCTIONS_KEY, functions);
    }
    this.batch.put(META_KEY, encodeMeta(meta));
    return lsm.writeAsync(this.batch, { sync: true });
  }

  /** Commits synchronously (shutdown). */
  commitSync(lsm: Lsm, meta: CheckpointMeta, functions: Uint8Array | null | undefined): void {
    meta.keys = this.keys;
    if (functions !== undefined) {
      if (functions === null) this.batch.delete(FUNCTIONS_KEY);
      else this.batch.put(FUNCTIONS_KEY, functions);
    }
    this.batch.put(META_KEY, encodeMeta(meta));
    lsm.write(this.batch, { sync: true });
  }

  /** Removes the copy-on-write hooks (finished or abandoned). */
  unhook(): void {
    for (const p of this.parts) p.unhook();
  }

  get tables(): Tracker[] {
    return this.parts.map((p) => p.tr);
  }

  get byteLength(): number {
    return this.batch.byteLength;
  }

  get pendingKeys(): number {
    let n = 0;
    for (let i = this.cur; i < this.parts.length; i++) n += this.parts[i]!.f.ids.length - this.parts[i]!.cursor;
    return n;
  }
}
