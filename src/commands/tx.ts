// Transactions: MULTI EXEC DISCARD WATCH UNWATCH, and the effects buffer that EXEC and scripts
// use to propagate what they did as one MULTI ... EXEC block.
//
// Dispatch queues commands while CF.MULTI is set and flags CF.DIRTY_EXEC when it rejects one;
// this module runs the queue. WATCH registers one WatchEntry per (client, db, key) in the
// db's watched map; the keyspace calls watchTouched() on every change of the key, with Redis
// 7.0's rules for keys that were already expired when watched (deleting such a key is not a
// change, setting it is).

import { E, fail } from "../errors.ts";
import { CF, type Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { call } from "../server/dispatch.ts";
import type { PropagateFn } from "../store/keyspace.ts";
import type { Db, Watcher } from "../store/db.ts";
import { resetHooks } from "./connection.ts";
import type { Handlers } from "./table.ts";

/** True when the key exists but its time is past (Redis's keyIsExpired). */
function keyIsExpired(db: Db, key: string): boolean {
  if (db.expires.size === 0) return false;
  const t = db.expires.get(key);
  return t !== undefined && db.ks.now > t;
}

/** One watched key of one client. */
class WatchEntry implements Watcher {
  constructor(
    readonly c: Client,
    readonly db: Db,
    readonly key: string,
    /** the key was already (logically) expired when WATCH was called */
    public expired: boolean,
  ) {}

  watchTouched(whole?: { replacedWith: Db | null }): void {
    const c = this.c;
    if (whole === undefined) {
      if (this.expired) {
        // Deleting a key that was expired when watched is no logical change.
        if (!this.db.dict.has(this.key)) {
          this.expired = false;
          return;
        }
        if (keyIsExpired(this.db, this.key)) return;
      }
    } else {
      const other = whole.replacedWith;
      if (this.expired) {
        if (other === null || !other.dict.has(this.key)) {
          this.expired = false;
          return;
        }
        if (keyIsExpired(other, this.key)) return;
      } else if (other !== null && !this.db.dict.has(this.key) && keyIsExpired(other, this.key)) {
        // A missing key replaced by an expired one: still logically missing.
        this.expired = true;
        return;
      }
    }
    c.flags |= CF.DIRTY_CAS;
  }
}

const entries = new WeakMap<Client, WatchEntry[]>();

function watchKey(c: Client, key: string): void {
  const db = c.db;
  let list = entries.get(c);
  if (list === undefined) entries.set(c, (list = []));
  for (let i = 0; i < list.length; i++) if (list[i]!.db === db && list[i]!.key === key) return;
  const e = new WatchEntry(c, db, key, db.dict.has(key) && keyIsExpired(db, key));
  list.push(e);
  c.watchedKeys.push([db, key]);
  if (db.watched === null) db.watched = new Map();
  let set = db.watched.get(key);
  if (set === undefined) db.watched.set(key, (set = new Set()));
  set.add(e);
}

export function unwatchAll(c: Client): void {
  const list = entries.get(c);
  if (list === undefined || list.length === 0) return;
  for (const e of list) {
    const w = e.db.watched;
    const set = w?.get(e.key);
    if (set === undefined) continue;
    set.delete(e);
    if (set.size === 0) {
      w!.delete(e.key);
      if (w!.size === 0) e.db.watched = null;
    }
  }
  list.length = 0;
  c.watchedKeys.length = 0;
}

function watchedKeyExpired(c: Client): boolean {
  const list = entries.get(c);
  if (list === undefined) return false;
  for (const e of list) if (!e.expired && keyIsExpired(e.db, e.key)) return true;
  return false;
}

export function discardTransaction(c: Client): void {
  c.queued = [];
  c.flags &= ~(CF.MULTI | CF.DIRTY_CAS | CF.DIRTY_EXEC);
  unwatchAll(c);
}

// ---- effects buffer ----

const COLLECTOR = Symbol("effects collector");

/** Propagation captured while EXEC or a script runs, emitted (or dropped) at the end. */
export interface Effects {
  saved: PropagateFn[];
  ops: [number, (string | Uint8Array)[]][];
  /** inside another capture: its ops go to the outer one, which does the wrapping */
  nested: boolean;
  /** drop what is propagated meanwhile (a script's redis.set_repl(redis.REPL_NONE)) */
  mute: boolean;
}

/** Starts capturing the propagation stream; null when nobody consumes it. */
export function captureEffects(srv: Server): Effects | null {
  const hooks = srv.hooks.propagate;
  if (hooks.length === 0) return null;
  const saved = hooks.splice(0);
  const fx: Effects = { saved, ops: [], nested: saved.length === 1 && COLLECTOR in saved[0]!, mute: false };
  const collector = ((db: number, args: (string | Uint8Array)[]) => {
    if (!fx.mute) fx.ops.push([db, args]);
  }) as PropagateFn & {
    [COLLECTOR]?: true;
  };
  collector[COLLECTOR] = true;
  hooks.push(collector);
  return fx;
}

/**
 * Ends a capture. With commit, the ops go out (wrapped in MULTI/EXEC when there is more than
 * one and this is the outermost capture, like Redis's propagatePendingCommands).
 */
export function releaseEffects(srv: Server, fx: Effects | null, commit: boolean): void {
  if (fx === null) return;
  const hooks = srv.hooks.propagate;
  hooks.length = 0;
  for (const f of fx.saved) hooks.push(f);
  if (!commit || fx.ops.length === 0) return;
  const wrap = fx.ops.length > 1 && !fx.nested;
  if (wrap) srv.propagate(fx.ops[0]![0], ["MULTI"]);
  for (const [db, args] of fx.ops) srv.propagate(db, args);
  if (wrap) srv.propagate(fx.ops[fx.ops.length - 1]![0], ["EXEC"]);
}

// ---- commands ----

export const handlers: Handlers = {
  multi(c) {
    if (c.flags & CF.MULTI) fail(E.NO_MULTI_NESTED);
    c.flags |= CF.MULTI;
    c.out.ok();
  },

  discard(c) {
    if (!(c.flags & CF.MULTI)) fail(E.DISCARD_NO_MULTI);
    discardTransaction(c);
    c.out.ok();
  },

  exec(c) {
    if (!(c.flags & CF.MULTI)) fail(E.EXEC_NO_MULTI);
    if (watchedKeyExpired(c)) c.flags |= CF.DIRTY_CAS;
    if (c.flags & (CF.DIRTY_CAS | CF.DIRTY_EXEC)) {
      const abort = (c.flags & CF.DIRTY_EXEC) !== 0;
      discardTransaction(c);
      if (abort) fail(E.EXECABORT);
      c.out.nilArray();
      return;
    }
    const srv = c.srv;
    const ks = srv.ks;
    unwatchAll(c);
    const queue = c.queued;
    c.queued = [];
    const fx = captureEffects(srv);
    ks.frozen++;
    try {
      c.out.arr(queue.length);
      for (const q of queue) call(c, q.cmd, q.argv);
    } finally {
      ks.frozen--;
      releaseEffects(srv, fx, true);
      discardTransaction(c);
    }
    c.lastCmd = "exec";
    // The block went out as the effects of its commands.
    c.selfPropagated = true;
  },

  watch(c, a) {
    if (c.flags & CF.MULTI) fail(E.WATCH_IN_MULTI);
    for (let i = 1; i < a.argc; i++) watchKey(c, a.str(i));
    c.out.ok();
  },

  unwatch(c) {
    unwatchAll(c);
    c.flags &= ~CF.DIRTY_CAS;
    c.out.ok();
  },
};

export function install(srv: Server): void {
  srv.hooks.clientClosed.push((c) => discardTransaction(c));
}

resetHooks.push((c) => discardTransaction(c));
