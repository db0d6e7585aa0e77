// The keyspace: all databases, the clock commands see, expiry (lazy + active cycle),
// and the signals every write sends (WATCH, keyspace events, blocked clients, propagation).

import { Db } from "./db.ts";
import { N, Notifier } from "./notify.ts";

export interface KeyspaceStats {
  hits: number;
  misses: number;
  expired: number;
  evicted: number;
  expiredStalePerc: number;
  expiredTimeCapReached: number;
  expireCycleCpuMs: number;
}

/** Receives the effects of writes as commands (the propagation stream: WAL, replicas). */
export type PropagateFn = (dbid: number, args: (string | Uint8Array)[]) => void;

export class Keyspace {
  dbs: Db[];
  /** Time commands see, in ms: fixed while a command (or script, or EXEC) runs. */
  now = Date.now();
  /** Seconds clock for object idle time, like Redis's 24-bit LRU clock. */
  lruClock = 0;
  /** Changes since the last save (Redis's server.dirty). */
  dirty = 0;
  stats: KeyspaceStats = {
    hits: 0,
    misses: 0,
    expired: 0,
    evicted: 0,
    expiredStalePerc: 0,
    expiredTimeCapReached: 0,
    expireCycleCpuMs: 0,
  };
  readonly events = new Notifier();
  /** Keys that got a value while clients were blocked on them; served after each command. */
  readyKeys: [Db, string][] = [];
  /** Expiry deletion is off while replaying or loading, and with DEBUG SET-ACTIVE-EXPIRE 0. */
  activeExpire = true;
  lazyExpire = true;
  propagate: PropagateFn | null = null;
  /** Set while a write command runs (dispatch's call()): lookups of collections count as changes. */
  writing = false;
  /** Set while a command time is frozen (MULTI/EXEC, scripts). */
  frozen = 0;
  /** LFU mode (maxmemory-policy *-lfu): Obj.lru holds minutes<<8 | log counter, as in Redis. */
  lfu = false;
  lfuLogFactor = 10;
  lfuDecayTime = 1;

  constructor(databases: number) {
    this.dbs = [];
    for (let i = 0; i < databases; i++) this.dbs.push(new Db(i, this));
    this.tick();
  }

  /**
   * Refreshes the command clock unless frozen. Reading a clock costs ~100 ns in Bun, so the
   * network loop refreshes it once per batch of commands (setNow), not per command; the
   * monotonic clock plus an offset re-read from the wall clock each cron tick stands in for
   * Date.now().
   */
  tick(): void {
    this.setNow(this.clockOffset + performance.now());
  }

  /** Wall-clock ms minus performance.now(), refreshed by the cron (follows clock changes). */
  clockOffset = Date.now() - performance.now();

  setNow(ms: number): void {
    if (this.frozen) return;
    this.now = Math.floor(ms);
    this.lruClock = Math.floor(this.now / 1000) & 0xffffff;
  }

  /**
   * Tracks access of plain strings too (needed by LRU/LFU eviction); collections always carry
   * their clock in Obj.lru.
   */
  setAccessTracking(_on: boolean, lfu: boolean): void {
    // Access clocks are always kept (a column of the key table); the policy picks LRU or LFU.
    this.lfu = lfu;
  }

  private minutes(): number {
    return Math.floor(this.now / 60000) & 0xffff;
  }

  /** LFU value of a new object: current minutes, counter 5 (LFU_INIT_VAL). */
  lfuInit(): number {
    return (this.minutes() << 8) | 5;
  }

  /** Counter after decay by elapsed periods of lfu-decay-time minutes. */
  lfuDecay(lru: number): number {
    const ldt = lru >>> 8;
    const counter = lru & 255;
    const now = this.minutes();
    const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    const periods = this.lfuDecayTime ? Math.floor(elapsed / this.lfuDecayTime) : 0;
    return periods > counter ? 0 : counter - periods;
  }

  /** An access: decay, then a logarithmic increment (probability 1/((c-5)*factor+1)). */
  lfuTouch(lru: number): number {
    let counter = this.lfuDecay(lru);
    if (counter < 255) {
      const base = Math.max(0, counter - 5);
      if (Math.random() < 1 / (base * this.lfuLogFactor + 1)) counter++;
    }
    return (this.minutes() << 8) | counter;
  }

  /** Deletes an expired key (lazily found). Returns false when expiry is suspended. */
  expireIfAllowed(db: Db, key: string): boolean {
    if (!this.lazyExpire) return false;
    this.deleteExpired(db, key);
    return true;
  }

  private deleteExpired(db: Db, key: string): void {
    db.remove(key);
    this.stats.expired++;
    this.events.notify(N.EXPIRED, "expired", key, db.id);
    this.modified(db, key);
    this.propagate?.(db.id, ["DEL", key]);
  }

  /** signalModifiedKey: invalidates WATCHes on the key. */
  modified(db: Db, key: string): void {
    const w = db.watched;
    if (w === null) return;
    const set = w.get(key);
    if (set) for (const t of set) t.watchTouched();
  }

  /**
   * Invalidates the WATCHes a whole-db change affects (touchAllWatchedKeysInDb): keys that exist
   * in the db, or (SWAPDB) in the db replacing it. Called before the change.
   */
  modifiedAll(db: Db, replacedWith: Db | null = null): void {
    const w = db.watched;
    if (w === null) return;
    const whole = { replacedWith };
    for (const [key, set] of w) {
      if (!db.dict.has(key) && !(replacedWith !== null && replacedWith.dict.has(key))) continue;
      for (const t of set) t.watchTouched(whole);
    }
  }

  notify(klass: number, event: string, key: string, dbid: number): void {
    if (this.events.flags !== 0) this.events.notify(klass, event, key, dbid);
  }

  /** The common tail of a write: WATCH, keyspace event, dirty counter. */
  written(db: Db, key: string, klass: number, event: string, dirty = 1): void {
    this.modified(db, key);
    if (this.events.flags !== 0) this.events.notify(klass, event, key, db.id);
    this.dirty += dirty;
    // in-place changes (collections) reach the durable engine and maxmemory accounting here
    // (usually already told by the lookup: then no second lookup)
    const t = db.dict;
    const tr = t.track;
    if (tr !== null) {
      let id = tr.last;
      if (id < 0 || !t.isKey(id, key)) id = t.find(key);
      if (id >= 0) tr.changed(id);
    }
  }

  /** written() for a key known by entry id: the key string is made only if someone needs it. */
  writtenId(db: Db, id: number, klass: number, event: string): void {
    if (db.watched !== null || this.events.flags !== 0 || db.blocked !== null) {
      const key = db.dict.keyOf(id);
      this.modified(db, key);
      if (this.events.flags !== 0) this.events.notify(klass, event, key, db.id);
      // A value replaced in place (SET's fast path): XREADGROUP waiters on a stream that was
      // there must hear of it, as after Db.set.
      if (db.blocked !== null && db.blocked.has(key)) this.readyKeys.push([db, key]);
    }
    this.dirty++;
    if (db.dict.track !== null) db.dict.track.changed(id);
  }

  get keyCount(): number {
    let n = 0;
    for (const db of this.dbs) n += db.size;
    return n;
  }

  /**
   * One slice of Redis's active expiry: per db, look at keys with a TTL in rounds of 20,
   * repeating while more than 25% of a round was expired, within a time budget.
   */
  activeExpireCycle(budgetMs: number): void {
    if (!this.activeExpire || !this.lazyExpire) return;
    const start = performance.now();
    this.tick();
    let sampled = 0;
    let expired = 0;
    for (const db of this.dbs) {
      for (;;) {
        const t = db.dict;
        if (t.expCount === 0) break;
        // Visit entry ids round-robin; about 20 keys with a TTL per round, like Redis's samples.
        const span = Math.min(t.top, Math.max(20, Math.ceil((20 * t.top) / t.expCount)));
        let round = 0;
        let roundExpired = 0;
        let id = db.expireCursor;
        for (let i = 0; i < span; i++, id++) {
          if (id >= t.top) id = 0;
          const e = t.expOf(id);
          if (e === 0 || !t.live(id)) continue;
          round++;
          if (this.now > e) {
            this.deleteExpired(db, t.keyOf(id));
            roundExpired++;
          }
          if (round >= 20) break;
        }
        db.expireCursor = id;
        sampled += round;
        expired += roundExpired;
        if (round === 0 || roundExpired * 4 <= round) break;
        if (performance.now() - start > budgetMs) {
          this.stats.expiredTimeCapReached++;
          break;
        }
      }
    }
    if (sampled > 0) this.stats.expiredStalePerc = (expired / sampled) * 0.05 + this.stats.expiredStalePerc * 0.95;
    this.stats.expireCycleCpuMs += performance.now() - start;
  }

  flushDb(db: Db): number {
    this.modifiedAll(db);
    const n = db.clear();
    this.dirty += n;
    return n;
  }

  flushAll(): number {
    let n = 0;
    for (const db of this.dbs) n += this.flushDb(db);
    return n;
  }

  swapDb(a: number, b: number): void {
    const da = this.dbs[a]!;
    const dbb = this.dbs[b]!;
    // Watchers of keys in either db see the swap as a change (touchAllWatchedKeysInDb).
    this.modifiedAll(da, dbb);
    this.modifiedAll(dbb, da);
    da.swapWith(dbb);
    // Clients blocked in either db may now find their keys (or, XREADGROUP, lose them).
    for (const db of [da, dbb]) {
      if (db.blocked) for (const key of db.blocked.keys()) this.readyKeys.push([db, key]);
    }
    this.dirty++;
  }
}
