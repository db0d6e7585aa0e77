// Randomized model check of the LSM binding: random batches of puts/deletes (sync and async),
// gets, multiGets, range/prefix iteration, snapshots, flushes, compactions and reopens, all
// checked against an in-memory sorted map. Used by model.test.ts (small) and by
// bench/native/model.ts (large).

import { Lsm, WriteBatch, type LsmOptions, type Snapshot } from "../../src/native/index.ts";
import { Rng } from "./helpers.ts";

export interface ModelResult {
  ops: number;
  reopens: number;
  flushes: number;
  compactions: number;
  checks: number;
  finalKeys: number;
}

// Keys as latin1 strings: JS string order on them is byte order.
const toKey = (u: Uint8Array) => Buffer.from(u).toString("latin1");
const fromKey = (s: string) => new Uint8Array(Buffer.from(s, "latin1"));

function fail(seed: number, op: number, what: string): never {
  throw new Error(`model mismatch (seed ${seed}, op ${op}): ${what}`);
}

function same(a: Uint8Array | null | undefined, b: Uint8Array | null | undefined): boolean {
  if (a == null || b == null) return a == null && b == null;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** Runs `ops` random operations, or fewer if `maxMs` elapses first (then verifies and stops). */
/** Map + sorted key list (binary-search inserts), so range checks need no sort per query. */
class SortedModel {
  readonly map = new Map<string, Uint8Array>();
  readonly keys: string[] = [];

  private lowerBound(k: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get(k: string): Uint8Array | undefined {
    return this.map.get(k);
  }

  set(k: string, v: Uint8Array): void {
    if (!this.map.has(k)) this.keys.splice(this.lowerBound(k), 0, k);
    this.map.set(k, v);
  }

  delete(k: string): void {
    if (this.map.delete(k)) this.keys.splice(this.lowerBound(k), 1);
  }

  /** Entries with lo <= key < hi (null = unbounded), in key order. */
  range(lo: string | null, hi: string | null): (readonly [string, Uint8Array])[] {
    const start = lo === null ? 0 : this.lowerBound(lo);
    const end = hi === null ? this.keys.length : this.lowerBound(hi);
    const out: (readonly [string, Uint8Array])[] = [];
    for (let i = start; i < end; i++) out.push([this.keys[i]!, this.map.get(this.keys[i]!)!]);
    return out;
  }

  clone(): SortedModel {
    const c = new SortedModel();
    for (const [k, v] of this.map) c.map.set(k, v);
    c.keys.push(...this.keys);
    return c;
  }

  get size(): number {
    return this.keys.length;
  }
}

export async function runModel(dir: string, seed: number, ops: number, options: LsmOptions, maxMs = Infinity, onProgress?: (op: number) => void): Promise<ModelResult> {
  const deadline = performance.now() + maxMs;
  const rng = new Rng(seed);
  const model = new SortedModel();
  let db = Lsm.open(dir, options);
  const res: ModelResult = { ops, reopens: 0, flushes: 0, compactions: 0, checks: 0, finalKeys: 0 };
  const alphabet = [0x00, 0x01, 0x61, 0x62, 0x63, 0x7b, 0x7d, 0xfe, 0xff];
  const randKey = (): Uint8Array => {
    // Short keys over a small alphabet: many shared prefixes, overwrites and empty keys.
    const n = rng.below(6);
    const k = new Uint8Array(n);
    for (let i = 0; i < n; i++) k[i] = alphabet[rng.below(alphabet.length)]!;
    return k;
  };
  const randValue = (op: number): Uint8Array => {
    const n = rng.below(10) === 0 ? 2000 + rng.below(4000) : rng.below(120);
    const v = new Uint8Array(n);
    for (let i = 0; i < n; i++) v[i] = (op + i * 31) & 0xff;
    return v;
  };
  let snap: { s: Snapshot; copy: SortedModel; until: number } | null = null;
  const sortedEntries = (m: SortedModel, lo: string | null, hi: string | null) => m.range(lo, hi);

  let op = 0;
  for (; op < ops; op++) {
    if ((op & 63) === 0 && performance.now() > deadline) break;
    if (onProgress !== undefined && op % 10_000 === 0 && op > 0) onProgress(op);
    const r = rng.below(1000);
    if (r < 400) {
      const wb = new WriteBatch();
      const n = 1 + rng.below(12);
      const staged: [string, Uint8Array | null][] = [];
      for (let i = 0; i < n; i++) {
        const k = randKey();
        if (rng.below(4) === 0) {
          wb.delete(k);
          staged.push([toKey(k), null]);
        } else {
          const v = randValue(op);
          wb.put(k, v);
          staged.push([toKey(k), v]);
        }
      }
      if (rng.below(3) === 0) await db.writeAsync(wb, { sync: rng.below(10) === 0 });
      else db.write(wb);
      for (const [k, v] of staged) v === null ? model.delete(k) : model.set(k, v);
    } else if (r < 650) {
      const k = randKey();
      res.checks++;
      if (!same(db.get(k), model.get(toKey(k)))) fail(seed, op, `get ${toKey(k)}`);
    } else if (r < 750) {
      const keys = Array.from({ length: 1 + rng.below(20) }, randKey);
      const got = db.multiGet(keys);
      res.checks++;
      keys.forEach((k, i) => {
        if (!same(got[i], model.get(toKey(k)))) fail(seed, op, `multiGet ${toKey(k)}`);
      });
    } else if (r < 850) {
      let lo: string | null = rng.below(3) ? toKey(randKey()) : null;
      let hi: string | null = rng.below(3) ? toKey(randKey()) : null;
      if (lo !== null && hi !== null && lo > hi) [lo, hi] = [hi, lo];
      const prefix = rng.below(4) === 0 ? randKey().subarray(0, 1 + rng.below(2)) : null;
      const want = sortedEntries(model, lo, hi).filter(([k]) => prefix === null || k.startsWith(toKey(prefix)));
      const it = db.iterator({ start: lo === null ? undefined : fromKey(lo), end: hi === null ? undefined : fromKey(hi), prefix: prefix ?? undefined });
      const got: [string, Uint8Array][] = [];
      const per = 1 + rng.below(50);
      for (let bt = it.nextBatch(per); bt !== null; bt = it.nextBatch(per)) {
        for (let i = 0; i < bt.keys.length; i++) got.push([toKey(bt.keys[i]!), bt.values[i]!]);
      }
      res.checks++;
      if (got.length !== want.length) fail(seed, op, `iterate [${lo},${hi}) prefix ${prefix}: ${got.length} entries, want ${want.length}`);
      got.forEach(([k, v], i) => {
        if (k !== want[i]![0] || !same(v, want[i]![1])) fail(seed, op, `iterate entry ${i}`);
      });
    } else if (r < 900) {
      if (snap === null) {
        snap = { s: db.snapshot(), copy: model.clone(), until: op + 50 + rng.below(200) };
      } else {
        const k = randKey();
        res.checks++;
        if (!same(db.get(k, { snapshot: snap.s }), snap.copy.get(toKey(k)))) fail(seed, op, `snapshot get ${toKey(k)}`);
        if (op >= snap.until) {
          const want = sortedEntries(snap.copy, null, null);
          const got = [...db.iterator({ snapshot: snap.s })];
          if (got.length !== want.length) fail(seed, op, `snapshot iterate: ${got.length} vs ${want.length}`);
          snap.s.release();
          snap = null;
        }
      }
    } else if (r < 940) {
      await db.flush();
      res.flushes++;
    } else if (r < 955) {
      let a: Uint8Array | null = rng.below(2) ? randKey() : null;
      let z: Uint8Array | null = rng.below(2) ? randKey() : null;
      if (a !== null && z !== null && toKey(a) > toKey(z)) [a, z] = [z, a];
      await db.compactRange(a, z);
      res.compactions++;
    } else if (r < 975) {
      snap?.s.release();
      snap = null;
      db.close();
      db = Lsm.open(dir, options);
      res.reopens++;
    } else {
      await db.waitIdle();
    }
  }
  res.ops = op;
  snap?.s.release();
  db.close();
  db = Lsm.open(dir, options);
  const want = sortedEntries(model, null, null);
  const got = [...db.iterator()];
  if (got.length !== want.length) fail(seed, op, `final: ${got.length} vs ${want.length}`);
  got.forEach(([k, v], i) => {
    if (toKey(k) !== want[i]![0] || !same(v, want[i]![1])) fail(seed, op, `final entry ${i}`);
  });
  res.finalKeys = got.length;
  db.close();
  return res;
}
