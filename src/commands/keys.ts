// Generic key commands: DEL UNLINK EXISTS TOUCH TYPE RENAME RENAMENX COPY MOVE KEYS SCAN
// RANDOMKEY, expiry (EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL PERSIST EXPIRETIME
// PEXPIRETIME) and OBJECT.

import { E, fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { propagateAs } from "../server/propagate.ts";
import type { Db } from "../store/db.ts";
import { N } from "../store/notify.ts";
import { parseCursor } from "../store/scan.ts";
import { stringEncoding } from "../store/types/string.ts";
import { typeName, type Value } from "../store/value.ts";
import { globMatch } from "../util/glob.ts";
import { INT64_MAX, INT64_MIN, parseI64, parseI64Big } from "../util/numbers.ts";
import { scanOpts } from "./hashes.ts";
import { helpReply } from "./help.ts";
import type { Handlers } from "./table.ts";

function del(c: Client, a: Argv): void {
  const db = c.db;
  let n = 0;
  for (let i = 1; i < a.argc; i++) {
    const key = a.str(i);
    if (db.lookup(key) === undefined) continue;
    db.remove(key);
    c.srv.ks.written(db, key, N.GENERIC, "del");
    n++;
  }
  c.out.int(n);
}

/** Parses a DB index argument (COPY DB, MOVE): integer, then range. */
function dbIndex(c: Client, s: string): Db {
  const i = parseI64(s);
  if (Number.isNaN(i) || i < -2147483648 || i > 2147483647) fail(E.NOT_INT);
  const db = c.srv.ks.dbs[i];
  if (db === undefined) fail(E.DB_INDEX);
  return db;
}

const enum ExpireFlag {
  NX = 1,
  XX = 2,
  GT = 4,
  LT = 8,
}

function parseExpireFlags(a: Argv, from: number): number {
  let f = 0;
  for (let i = from; i < a.argc; i++) {
    if (a.is(i, "nx")) f |= ExpireFlag.NX;
    else if (a.is(i, "xx")) f |= ExpireFlag.XX;
    else if (a.is(i, "gt")) f |= ExpireFlag.GT;
    else if (a.is(i, "lt")) f |= ExpireFlag.LT;
    else fail(`ERR Unsupported option ${a.str(i)}`);
  }
  if (f & ExpireFlag.NX && f & (ExpireFlag.XX | ExpireFlag.GT | ExpireFlag.LT)) {
    fail("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (f & ExpireFlag.GT && f & ExpireFlag.LT) fail("ERR GT and LT options at the same time are not compatible");
  return f;
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT. `relative`: add the current time; `seconds`: unit.
 * Keys whose new time is already past are deleted (and propagated as DEL), like Redis.
 */
function expireGeneric(c: Client, a: Argv, relative: boolean, seconds: boolean): void {
  const flags = parseExpireFlags(a, 3);
  const name = a.lower(0);
  const raw = parseI64Big(a.str(2));
  if (raw === null) fail(E.NOT_INT);
  const invalid = `ERR invalid expire time in '${name}' command`;
  let when = raw;
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) fail(invalid);
    when *= 1000n;
  }
  const ks = c.srv.ks;
  const base = relative ? BigInt(ks.now) : 0n;
  if (when > INT64_MAX - base) fail(invalid);
  when += base;
  const db = c.db;
  const key = a.str(1);
  if (db.lookup(key) === undefined) {
    c.out.int(0);
    return;
  }
  const whenMs = Number(when);
  if (flags) {
    const cur = db.getExpire(key);
    if (flags & ExpireFlag.NX && cur !== undefined) return c.out.int(0);
    if (flags & ExpireFlag.XX && cur === undefined) return c.out.int(0);
    if (flags & ExpireFlag.GT && (cur === undefined || whenMs <= cur)) return c.out.int(0);
    if (flags & ExpireFlag.LT && cur !== undefined && whenMs >= cur) return c.out.int(0);
  }
  if (whenMs <= ks.now && ks.lazyExpire) {
    db.remove(key);
    ks.written(db, key, N.GENERIC, "del");
    propagateAs(c, ["DEL", key]);
  } else {
    db.setExpire(key, whenMs);
    ks.written(db, key, N.GENERIC, "expire");
    const args = ["PEXPIREAT", key, String(whenMs)];
    for (let i = 3; i < a.argc; i++) args.push(a.str(i));
    propagateAs(c, args);
  }
  c.out.int(1);
}

function ttlGeneric(c: Client, a: Argv, ms: boolean): void {
  const db = c.db;
  const key = a.str(1);
  if (db.readId(key) < 0) return c.out.int(-2);
  const t = db.getExpire(key);
  if (t === undefined) return c.out.int(-1);
  const left = Math.max(0, t - c.srv.ks.now);
  c.out.int(ms ? left : Math.floor((left + 500) / 1000));
}

function expireTimeGeneric(c: Client, a: Argv, ms: boolean): void {
  const db = c.db;
  const key = a.str(1);
  if (db.readId(key) < 0) return c.out.int(-2);
  const t = db.getExpire(key);
  if (t === undefined) return c.out.int(-1);
  c.out.int(ms ? t : Math.trunc(t / 1000));
}

function renameGeneric(c: Client, a: Argv, nx: boolean): void {
  const db = c.db;
  const ks = c.srv.ks;
  const src = a.str(1);
  const dst = a.str(2);
  const v = db.lookup(src);
  if (v === undefined) fail(E.NO_SUCH_KEY);
  if (src === dst) {
    if (nx) c.out.int(0);
    else c.out.ok();
    return;
  }
  const ttl = db.getExpire(src);
  if (db.lookup(dst) !== undefined) {
    if (nx) return c.out.int(0);
    db.remove(dst);
  }
  db.remove(src);
  db.add(dst, v);
  if (ttl !== undefined) db.setExpire(dst, ttl);
  ks.modified(db, src);
  ks.modified(db, dst);
  ks.notify(N.GENERIC, "rename_from", src, db.id);
  ks.notify(N.GENERIC, "rename_to", dst, db.id);
  ks.dirty++;
  if (nx) c.out.int(1);
  else c.out.ok();
}

/** Type names SCAN TYPE accepts (Redis's type names, plus RedisJSON's). */
function matchesType(v: Value, t: string): boolean {
  return typeName(v).toLowerCase() === t;
}

/** OBJECT ENCODING as Redis reports it. */
export function encodingOf(c: Client, v: Value): string {
  return typeof v === "string" ? stringEncoding(v) : v.encoding(c.srv.enc);
}

/** Shared integers (0..9999) report a huge refcount in Redis when no LRU/LFU policy needs per-key data. */
function refcountOf(c: Client, v: Value): number {
  if (typeof v !== "string") return 1;
  const policy = c.srv.cfg.str("maxmemory-policy");
  const shared = !(c.srv.cfg.num("maxmemory") > 0 && (policy.includes("lru") || policy.includes("lfu")));
  if (shared && v.length <= 4) {
    const n = parseI64(v);
    if (!Number.isNaN(n) && n >= 0 && n < 10000) return 2147483647;
  }
  return 1;
}

const OBJECT_HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    How the value at <key> is stored internally.",
  "FREQ <key>",
  "    Logarithmic access counter of <key> (LFU maxmemory policies only).",
  "IDLETIME <key>",
  "    Seconds since <key> was last accessed (not with LFU policies).",
  "REFCOUNT <key>",
  "    References to the value at <key>.",
  "HELP",
  "    This text.",
];

/** OBJECT looks keys up without touching their access clock (Redis's LOOKUP_NOTOUCH). */
function objectLookup(c: Client, a: Argv): Value | undefined {
  const id = c.db.lookupIdNoTouch(a.str(2));
  if (id < 0) {
    c.out.nil();
    return undefined;
  }
  return c.db.dict.valueOf(id);
}

const LFU_IDLE = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const NO_LFU = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

export const handlers: Handlers = {
  del,
  unlink: del,

  exists(c, a) {
    const db = c.db;
    let n = 0;
    for (let i = 1; i < a.argc; i++) if (db.readId(a.str(i)) >= 0) n++;
    c.out.int(n);
  },

  touch(c, a) {
    const db = c.db;
    let n = 0;
    for (let i = 1; i < a.argc; i++) if (db.readId(a.str(i)) >= 0) n++;
    c.out.int(n);
  },

  type(c, a) {
    const v = c.db.read(a.str(1));
    c.out.status(v === undefined ? "none" : typeName(v));
  },

  rename(c, a) {
    renameGeneric(c, a, false);
  },

  renamenx(c, a) {
    renameGeneric(c, a, true);
  },

  copy(c, a) {
    const src = a.str(1);
    const dst = a.str(2);
    let dstDb = c.db;
    let replace = false;
    for (let i = 3; i < a.argc; i++) {
      if (a.is(i, "replace")) replace = true;
      else if (a.is(i, "db") && i + 1 < a.argc) {
        dstDb = dbIndex(c, a.str(++i));
        if (c.srv.cfg.bool("cluster-enabled") && dstDb.id !== 0) fail("ERR Copying to another database is not allowed in cluster mode");
      } else fail(E.SYNTAX);
    }
    if (dstDb === c.db && src === dst) fail(E.SAME_OBJECT);
    const v = c.db.lookup(src);
    if (v === undefined) return c.out.int(0);
    if (dstDb.lookup(dst) !== undefined) {
      if (!replace) return c.out.int(0);
      dstDb.remove(dst);
    }
    const ttl = c.db.getExpire(src);
    dstDb.add(dst, typeof v === "string" ? v : v.clone());
    if (ttl !== undefined) dstDb.setExpire(dst, ttl);
    c.srv.ks.written(dstDb, dst, N.GENERIC, "copy_to");
    c.out.int(1);
  },

  move(c, a) {
    const ks = c.srv.ks;
    if (c.srv.cfg.bool("cluster-enabled")) fail("ERR MOVE is not allowed in cluster mode");
    const src = c.db;
    const dst = dbIndex(c, a.str(2));
    if (src === dst) fail(E.SAME_OBJECT);
    const key = a.str(1);
    const v = src.lookup(key);
    if (v === undefined) return c.out.int(0);
    if (dst.lookup(key) !== undefined) return c.out.int(0);
    const ttl = src.getExpire(key);
    dst.add(key, v);
    if (ttl !== undefined) dst.setExpire(key, ttl);
    src.remove(key);
    ks.modified(src, key);
    ks.modified(dst, key);
    ks.notify(N.GENERIC, "move_from", key, src.id);
    ks.notify(N.GENERIC, "move_to", key, dst.id);
    ks.dirty++;
    c.out.int(1);
  },

  keys(c, a) {
    const pat = a.str(1);
    const db = c.db;
    const all = pat === "*";
    const now = c.srv.ks.now;
    const at = c.out.deferLen();
    let n = 0;
    const t = db.dict;
    for (let id = 0; id < t.top; id++) {
      if (!t.live(id)) continue;
      const e = t.expOf(id);
      if (e !== 0 && now > e) continue;
      const key = t.keyOf(id);
      if (!all && !globMatch(pat, key)) continue;
      c.out.bulk(key);
      n++;
    }
    c.out.setDeferred(at, "*", n);
  },

  scan(c, a) {
    const cursor = parseCursor(a.str(1));
    if (Number.isNaN(cursor)) fail("ERR invalid cursor");
    const [count, pat, type] = scanOpts(a, 2, true);
    const db = c.db;
    const found: string[] = [];
    // The cursor is an entry id: ids stay put while their key lives, so every key present for
    // the whole scan is returned, whatever else is added or removed meanwhile.
    const t = db.dict;
    let id = cursor < t.top ? cursor : t.top;
    for (let seen = 0; seen < count && id < t.top; id++) {
      if (!t.live(id)) continue;
      found.push(t.keyOf(id));
      seen++;
    }
    const next = t.nextLive(id) < 0 ? 0 : id;
    const keep: string[] = [];
    for (const key of found) {
      if (pat !== null && !globMatch(pat, key)) continue;
      // expired keys are skipped; values are read only for TYPE (as Redis: no access-clock
      // touch; a cold value of the tiered lsm engine stays on disk)
      const kid = db.lookupIdNoTouch(key);
      if (kid < 0) continue;
      if (type !== null && !matchesType(db.dict.valueOf(kid), type)) continue;
      keep.push(key);
    }
    c.out.arr(2);
    c.out.bulk(String(next));
    c.out.bulks(keep, keep.length);
  },

  randomkey(c) {
    const k = c.db.randomKey();
    if (k === null) c.out.nil();
    else c.out.bulk(k);
  },

  expire(c, a) {
    expireGeneric(c, a, true, true);
  },
  pexpire(c, a) {
    expireGeneric(c, a, true, false);
  },
  expireat(c, a) {
    expireGeneric(c, a, false, true);
  },
  pexpireat(c, a) {
    expireGeneric(c, a, false, false);
  },

  ttl(c, a) {
    ttlGeneric(c, a, false);
  },
  pttl(c, a) {
    ttlGeneric(c, a, true);
  },
  expiretime(c, a) {
    expireTimeGeneric(c, a, false);
  },
  pexpiretime(c, a) {
    expireTimeGeneric(c, a, true);
  },

  persist(c, a) {
    const db = c.db;
    const key = a.str(1);
    if (db.lookup(key) === undefined || !db.persist(key)) return c.out.int(0);
    c.srv.ks.written(db, key, N.GENERIC, "persist");
    c.out.int(1);
  },

  "object|encoding"(c, a) {
    const v = objectLookup(c, a);
    if (v !== undefined) c.out.bulk(encodingOf(c, v));
  },

  "object|refcount"(c, a) {
    const v = objectLookup(c, a);
    if (v !== undefined) c.out.int(refcountOf(c, v));
  },

  "object|idletime"(c, a) {
    const v = objectLookup(c, a);
    if (v === undefined) return;
    if (c.srv.cfg.str("maxmemory-policy").includes("lfu")) fail(LFU_IDLE);
    c.out.int(c.db.idleSeconds(a.str(2), v));
  },

  "object|freq"(c, a) {
    const v = objectLookup(c, a);
    if (v === undefined) return;
    if (!c.srv.cfg.str("maxmemory-policy").includes("lfu")) fail(NO_LFU);
    c.out.int(c.db.lfuCounter(a.str(2), v));
  },

  "object|help"(c) {
    helpReply(c, OBJECT_HELP);
  },
};
