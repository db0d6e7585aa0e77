// maxmemory for both engines: the memory estimate, Redis's eviction policies (noeviction,
// allkeys-lru/lfu/random, volatile-lru/lfu/random/ttl) with maxmemory-samples and the
// 16-entry eviction pool, the OOM gate, and the tiering hook of the lsm engine (clean values
// leave RAM before anything is deleted).
//
// Used memory is an estimate kept cheap enough to read before every command: per key table the
// live arena bytes (exact, kept by KeyTable), its columns and index, and the bytes of its
// objects (kept per entry by the table's tracker, refreshed on every write signal), plus a fixed
// 1 MiB for the server itself. The JS heap is not sampled: JSC updates its numbers only at
// garbage collection, which makes them useless for a per-command decision.

import { E } from "../errors.ts";
import { CF, type Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { gates } from "../server/dispatch.ts";
import { memoryHooks } from "../server/info.ts";
import { CMD, type Command } from "../commands/table.ts";
import { Tracker } from "../engine/tracker.ts";
import type { Db } from "./db.ts";
import type { KeyTable } from "./keytable.ts";
import { N } from "./notify.ts";

/** What the server itself takes besides the dataset (Redis reports ~1 MB for an empty server). */
export const BASE_MEMORY = 1 << 20;

export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;

const POOL_SIZE = 16;

/** The durable engine's part (tiering): cold values instead of deleted keys. */
export interface TieringHook {
  /** on: maxmemory set and `tiering yes` */
  active(): boolean;
  /** makes clean values cold until `bytes` are freed (or no candidate is left); returns bytes freed */
  cool(bytes: number): number;
  /** a checkpoint is running or dirty keys wait for one (so memory will come back) */
  relief(): boolean;
}

/** Memory of one table (with or without a tracker). */
function tableMemory(t: KeyTable): number {
  const tr = t.track as Tracker | null;
  return tr === null ? t.arenaLive + t.overheadBytes() : tr.memory();
}

/** Memory the durable engine holds besides the key tables (checkpoint batch, LSM memtables). */
export const engineMemory: { bytes: (() => number) | null } = { bytes: null };

/** The estimate behind maxmemory and INFO used_memory. */
export function usedMemoryEstimate(srv: Server): number {
  let n = BASE_MEMORY;
  if (engineMemory.bytes !== null) n += engineMemory.bytes();
  const dbs = srv.ks.dbs;
  for (let i = 0; i < dbs.length; i++) n += tableMemory(dbs[i]!.dict);
  return n;
}

/** maxmemory-eviction-tenacity -> time limit per eviction call, in ms (Redis's evictionTimeLimitUs). */
function timeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity < 100) return (500 * Math.pow(1.15, tenacity - 10)) / 1000;
  return Infinity;
}

interface PoolEntry {
  idle: number;
  key: string;
  db: number;
}

type Policy = "noeviction" | "allkeys-lru" | "allkeys-lfu" | "allkeys-random" | "volatile-lru" | "volatile-lfu" | "volatile-random" | "volatile-ttl";

export class Evictor {
  max = 0;
  policy: Policy = "noeviction";
  samples = 5;
  tenacity = 10;
  pool: (PoolEntry | null)[] = new Array(POOL_SIZE).fill(null);
  private nextDb = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** trackers are attached (maxmemory was set, or the durable engine runs) */
  tracking = false;
  /** the lsm engine tracks its tables itself (dirty keys) */
  durable = false;
  tiering: TieringHook | null = null;
  /** result of the last check before a command (scripts read it: Redis's pre_command_oom_state) */
  oomBefore = false;

  constructor(readonly srv: Server) {}

  used(): number {
    return usedMemoryEstimate(this.srv);
  }

  /** Attaches memory trackers to tables that have none (new tables after FLUSHDB...). */
  ensureTracked(): void {
    if (!this.tracking) return;
    for (const db of this.srv.ks.dbs) if (db.dict.track === null) Tracker.attach(db.dict, this.durable, this.durable);
  }

  startTracking(): void {
    if (this.tracking) return;
    this.tracking = true;
    this.ensureTracked();
    memoryHooks.used = () => this.used();
  }

  private safe(): boolean {
    const srv = this.srv;
    if (srv.loading) return false;
    if (srv.role === "replica" && srv.cfg.bool("replica-ignore-maxmemory")) return false;
    return true;
  }

  /** Redis's performEvictions: frees memory down to maxmemory. */
  perform(): number {
    if (this.max === 0 || !this.safe()) return EVICT_OK;
    this.ensureTracked();
    const srv = this.srv;
    let used = this.used();
    if (used <= this.max) return EVICT_OK;
    // tiering: values leave RAM before any key is deleted
    const tier = this.tiering;
    if (tier !== null && tier.active()) {
      used -= tier.cool(used - this.max);
      if (used <= this.max) return EVICT_OK;
      if (tier.relief() && used < this.max * 2) return EVICT_OK;
    }
    if (this.policy === "noeviction") return EVICT_FAIL;
    const toFree = used - this.max;
    let freed = 0;
    const start = performance.now();
    const limit = timeLimitMs(this.tenacity);
    let n = 0;
    while (freed < toFree) {
      const pick = this.pick();
      if (pick === null) return EVICT_FAIL;
      const [db, id] = pick;
      const before = this.used();
      this.evict(db, id);
      freed += before - this.used();
      if ((++n & 15) === 0 && performance.now() - start > limit) {
        // keep going from a timer (Redis's evictionTimeProc); commands go on meanwhile
        this.startTimer();
        return EVICT_RUNNING;
      }
    }
    void srv;
    return EVICT_OK;
  }

  private startTimer(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.perform() === EVICT_RUNNING) this.startTimer();
    }, 0);
  }

  /** Deletes a key as an eviction: DEL propagated, "evicted" event, evicted_keys. */
  private evict(db: Db, id: number): void {
    const srv = this.srv;
    const ks = srv.ks;
    const key = db.dict.keyOf(id);
    db.removeId(id, key);
    ks.stats.evicted++;
    ks.modified(db, key);
    ks.notify(N.EVICTED, "evicted", key, db.id);
    srv.propagate(db.id, [srv.cfg.bool("lazyfree-lazy-eviction") ? "UNLINK" : "DEL", key]);
  }

  // ------------------------------------------------------------------ picking keys

  private pick(): [Db, number] | null {
    const p = this.policy;
    const dbs = this.srv.ks.dbs;
    if (p === "allkeys-random" || p === "volatile-random") {
      const volatile = p === "volatile-random";
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[this.nextDb++ % dbs.length]!;
        const t = db.dict;
        if ((volatile ? t.expCount : t.size) === 0) continue;
        const id = randomId(t, volatile);
        if (id >= 0) return [db, id];
      }
      return null;
    }
    // LRU / LFU / TTL: fill the pool from every db, take the best that still exists
    for (let tries = 0; tries < 4; tries++) {
      let keys = 0;
      for (const db of dbs) {
        const t = db.dict;
        const n = p.startsWith("volatile") ? t.expCount : t.size;
        if (n === 0) continue;
        keys += n;
        this.populate(db, p.startsWith("volatile"));
      }
      if (keys === 0) return null;
      for (let k = POOL_SIZE - 1; k >= 0; k--) {
        const e = this.pool[k];
        if (e === null || e === undefined) continue;
        this.pool[k] = null;
        const db = dbs[e.db]!;
        const id = db.dict.find(e.key);
        if (id >= 0) return [db, id];
      }
    }
    return null;
  }

  /** Redis's evictionPoolPopulate: sampled keys by idle score, best at the end. */
  private populate(db: Db, volatile: boolean): void {
    const t = db.dict;
    const ids = sampleIds(t, this.samples, volatile, null);
    for (const id of ids) this.poolInsert(this.score(t, id), db, id);
  }

  private score(t: KeyTable, id: number): number {
    const ks = this.srv.ks;
    switch (this.policy) {
      case "allkeys-lfu":
      case "volatile-lfu":
        return 255 - ks.lfuDecay(t.lruOf(id));
      case "volatile-ttl":
        return Number.MAX_SAFE_INTEGER - t.expOf(id);
      default: {
        const clock = t.lruOf(id);
        const now = ks.lruClock;
        return now >= clock ? now - clock : now + 0x1000000 - clock;
      }
    }
  }

  private poolInsert(idle: number, db: Db, id: number): void {
    // sorted by idle ascending from the left, empty slots at the right end (Redis's layout)
    const pool = this.pool;
    let k = 0;
    while (k < POOL_SIZE && pool[k] !== null && pool[k]!.idle < idle) k++;
    if (k === 0 && pool[POOL_SIZE - 1] !== null) return; // worse than everything in a full pool
    const e: PoolEntry = { idle, key: db.dict.keyOf(id), db: db.id };
    if (k < POOL_SIZE && pool[k] === null) {
      pool[k] = e;
      return;
    }
    if (pool[POOL_SIZE - 1] === null) {
      // room on the right: shift k.. right
      for (let i = POOL_SIZE - 1; i > k; i--) pool[i] = pool[i - 1]!;
      pool[k] = e;
    } else {
      // full: drop the leftmost (smallest idle), insert at k-1
      k--;
      for (let i = 0; i < k; i++) pool[i] = pool[i + 1]!;
      pool[k] = e;
    }
  }

  // ------------------------------------------------------------------ the gate

  /** The OOM gate (Redis's processCommand): evicts, then refuses denyoom commands when it cannot. */
  readonly gate = (c: Client, cmd: Command): string | null => {
    if (this.max === 0) return null;
    if (c.flags & CF.MASTER) return null;
    const oom = this.perform() === EVICT_FAIL;
    this.oomBefore = oom;
    if (!oom) return null;
    let reject = (cmd.flags & CMD.DENYOOM) !== 0;
    if (!reject && cmd.name === "exec") reject = c.queued.some((q) => (q.cmd.flags & CMD.DENYOOM) !== 0);
    if (c.flags & CF.MULTI) {
      const n = cmd.name;
      if (n !== "exec" && n !== "discard" && n !== "quit" && n !== "reset") reject = true;
    }
    return reject ? E.OOM : null;
  };
}

/** A random live id (with a TTL when volatile), or -1. */
function randomId(t: KeyTable, volatile: boolean): number {
  const ids = sampleIds(t, 1, volatile, null);
  return ids.length ? ids[0]! : -1;
}

/**
 * Up to n distinct random live ids (with a TTL when volatile; accepted by `ok` when given):
 * random probes first, then a walk from a random place when the table is sparse.
 */
export function sampleIds(t: KeyTable, n: number, volatile: boolean, ok: ((id: number) => boolean) | null): number[] {
  const out: number[] = [];
  const top = t.top;
  if (top === 0) return out;
  const good = (id: number): boolean => t.live(id) && (!volatile || t.expOf(id) !== 0) && (ok === null || ok(id)) && !out.includes(id);
  for (let i = 0; i < n * 8 && out.length < n; i++) {
    const id = Math.floor(Math.random() * top);
    if (good(id)) out.push(id);
  }
  if (out.length < n) {
    let id = Math.floor(Math.random() * top);
    for (let i = 0; i < top && out.length < n; i++, id++) {
      if (id >= top) id = 0;
      if (good(id)) out.push(id);
    }
  }
  return out;
}

let current: Evictor | null = null;

/** Redis's pre_command_oom_state: maxmemory is set and the check before this command failed. */
export function preCommandOom(): boolean {
  return current !== null && current.max > 0 && current.oomBefore;
}

export function evictorOf(_srv: Server): Evictor | null {
  return current;
}

/**
 * Installs maxmemory for a server: follows the maxmemory* parameters, gates commands, keeps
 * evicting from the cron. `durable`: the lsm engine runs (its trackers mark dirty keys).
 */
export function installEviction(srv: Server, durable: boolean): Evictor {
  const ev = new Evictor(srv);
  current = ev;
  ev.durable = durable;
  if (durable) ev.startTracking();
  srv.cfg.watch("maxmemory", (v: bigint | number) => {
    ev.max = Number(v);
    if (ev.max > 0) {
      ev.startTracking();
      if (!srv.loading) {
        const used = ev.used();
        if (used > ev.max) {
          srv.log.warning(
            `WARNING: the new maxmemory value set via CONFIG SET (${ev.max}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
          );
        }
        queueMicrotask(() => ev.perform() === EVICT_RUNNING && void 0);
      }
    }
  });
  srv.cfg.watch("maxmemory-policy", (v: string) => {
    ev.policy = v as Policy;
    ev.pool.fill(null);
  });
  srv.cfg.watch("maxmemory-samples", (v: number | bigint) => void (ev.samples = Number(v)));
  srv.cfg.watch("maxmemory-eviction-tenacity", (v: number | bigint) => void (ev.tenacity = Number(v)));
  gates.push(ev.gate);
  srv.hooks.cron.push(() => {
    if (ev.max === 0) return;
    ev.perform();
    // arena space of evicted or cooled values comes back faster under pressure
    for (const db of srv.ks.dbs) {
      const t = db.dict;
      if (t.size !== 0) t.compact(4 << 20);
    }
  });
  return ev;
}
