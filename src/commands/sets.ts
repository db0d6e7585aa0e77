// Set commands: SADD SREM SISMEMBER SMISMEMBER SMEMBERS SCARD SPOP SRANDMEMBER SMOVE SUNION
// SINTER SDIFF SINTERCARD SUNIONSTORE SINTERSTORE SDIFFSTORE SSCAN.

import { E, fail } from "../errors.ts";
import { parseI64 } from "../util/numbers.ts";
import { globMatch } from "../util/glob.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { propagateAs, propagateNothing, propagating } from "../server/propagate.ts";
import { captureEffects, releaseEffects } from "./tx.ts";
import { N } from "../store/notify.ts";
import { parseCursor, scanStep } from "../store/scan.ts";
import { SetObj } from "../store/types/set.ts";
import { emptyScan, sampleDistinct, scanOpts } from "./hashes.ts";
import type { Handlers } from "./table.ts";

function writeSet(c: Client, key: string): SetObj | undefined {
  const v = c.db.lookup(key);
  if (v === undefined) return undefined;
  if (!(v instanceof SetObj)) fail(E.WRONGTYPE);
  return v;
}

function readSet(c: Client, key: string): SetObj | undefined {
  const v = c.db.read(key);
  if (v === undefined) return undefined;
  if (!(v instanceof SetObj)) fail(E.WRONGTYPE);
  return v;
}

/** Empty set reply: "~0" in RESP3, "*0" in RESP2. */
function emptySet(c: Client): void {
  c.out.set(0);
}

/** Deletes a set that became empty (with the "del" event). */
function dropIfEmpty(c: Client, key: string, s: SetObj): void {
  if (s.size !== 0) return;
  c.db.remove(key);
  c.srv.ks.notify(N.GENERIC, "del", key, c.db.id);
}

function setReply(c: Client, s: SetObj): void {
  const out = c.out;
  const arr = s.arr;
  out.set(arr.length);
  for (let i = 0; i < arr.length; i++) out.bulk(arr[i]!);
}

/**
 * Looks up the sets of keys [from, to) for a multi-set operation; null entries are missing
 * keys. Sources count as reads (keyspace hits/misses) even for the STORE forms, as in 7.0.
 */
function sourceSets(c: Client, a: Argv, from: number, to: number): (SetObj | null)[] {
  const sets: (SetObj | null)[] = [];
  for (let i = from; i < to; i++) sets.push(readSet(c, a.str(i)) ?? null);
  return sets;
}

/** Intersection in the order Redis produces it: smallest set first, its members in order. */
function intersect(sets: SetObj[], limit: number, each: (m: string) => void): number {
  const sorted = sets.slice().sort((x, y) => x.size - y.size);
  const first = sorted[0]!;
  let n = 0;
  const arr = first.arr;
  outer: for (let i = 0; i < arr.length; i++) {
    const m = arr[i]!;
    for (let j = 1; j < sorted.length; j++) {
      const s = sorted[j]!;
      if (s !== first && !s.has(m)) continue outer;
    }
    each(m);
    n++;
    if (limit > 0 && n >= limit) break;
  }
  return n;
}

/** Stores a computed set at dst (or deletes dst when empty) and replies with its size. */
function storeResult(c: Client, dst: string, s: SetObj, event: string): void {
  const db = c.db;
  if (s.size > 0) {
    db.set(dst, s);
    c.out.int(s.size);
    c.srv.ks.written(db, dst, N.SET, event);
    return;
  }
  c.out.int(0);
  if (db.lookup(dst) !== undefined) {
    db.remove(dst);
    c.srv.ks.written(db, dst, N.GENERIC, "del");
  }
}

function sinterGeneric(c: Client, a: Argv, from: number, dst: string | null): void {
  const sets = sourceSets(c, a, from, a.argc);
  if (sets.includes(null)) {
    if (dst !== null) storeResult(c, dst, new SetObj(), "sinterstore");
    else emptySet(c);
    return;
  }
  if (dst !== null) {
    const r = new SetObj();
    const lim = c.srv.enc;
    intersect(sets as SetObj[], 0, (m) => r.add(m, lim));
    storeResult(c, dst, r, "sinterstore");
    return;
  }
  const out = c.out;
  const at = out.deferLen();
  const n = intersect(sets as SetObj[], 0, (m) => out.bulk(m));
  out.setDeferred(at, "~", n);
}

function sunionDiffGeneric(c: Client, a: Argv, from: number, dst: string | null, diff: boolean): void {
  const sets = sourceSets(c, a, from, a.argc);
  const lim = c.srv.enc;
  const r = new SetObj();
  if (!diff) {
    for (const s of sets) {
      if (s === null) continue;
      const arr = s.arr;
      for (let i = 0; i < arr.length; i++) r.add(arr[i]!, lim);
    }
  } else if (sets[0] !== null) {
    const first = sets[0]!;
    const others: SetObj[] = [];
    for (let j = 1; j < sets.length; j++) {
      const s = sets[j];
      if (s === first) {
        others.length = 0;
        others.push(s);
        break;
      }
      if (s !== null && s.size > 0) others.push(s);
    }
    const arr = first.arr;
    outer: for (let i = 0; i < arr.length; i++) {
      const m = arr[i]!;
      for (const o of others) if (o.has(m)) continue outer;
      r.add(m, lim);
    }
  }
  if (dst !== null) storeResult(c, dst, r, diff ? "sdiffstore" : "sunionstore");
  else setReply(c, r);
}

/** Range check of Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX). */
function signedCount(a: Argv, i: number): number {
  const s = a.str(i);
  const v = parseI64(s);
  if (Number.isNaN(v)) fail(E.NOT_INT);
  if (s === "-9223372036854775808") fail("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  return v;
}

function spopWithCount(c: Client, a: Argv): void {
  const count = parseI64(a.str(2));
  if (Number.isNaN(count) || count < 0) fail(E.NOT_POSITIVE);
  const key = a.str(1);
  const s = writeSet(c, key);
  if (s === undefined || count === 0) {
    emptySet(c);
    return;
  }
  const size = s.size;
  const ks = c.srv.ks;
  ks.notify(N.SET, "spop", key, c.db.id);
  ks.modified(c.db, key);
  const out = c.out;
  if (count >= size) {
    // The whole set goes, replied like SUNION of it (intset order when all are integers).
    const r = new SetObj();
    const lim = c.srv.enc;
    for (const m of s.arr) r.add(m, lim);
    setReply(c, r);
    c.db.remove(key);
    ks.notify(N.GENERIC, "del", key, c.db.id);
    ks.dirty++;
    propagateAs(c, ["DEL", key]);
    return;
  }
  // Redis 7.0 propagates one SREM per popped member, wrapped in MULTI/EXEC.
  const fx = captureEffects(c.srv);
  const emit = (m: string) => {
    out.bulk(m);
    if (fx !== null) propagateAs(c, ["SREM", key, m]);
  };
  out.set(count);
  const remaining = size - count;
  if (remaining * 5 > count) {
    for (let i = 0; i < count; i++) emit(s.popRandom());
  } else {
    // Keep `remaining` random members in a rebuilt set; return all others (Redis's CASE 3,
    // which also re-picks the encoding: intset again when every kept member is an integer).
    const keepIdx = sampleDistinct(size, remaining);
    const keep = new Set<number>(keepIdx);
    const kept: string[] = [];
    const arr = s.arr;
    for (let i = 0; i < arr.length; i++) {
      if (keep.has(i)) kept.push(arr[i]!);
      else emit(arr[i]!);
    }
    const ns = SetObj.forFirst(kept[0]!);
    const lim = c.srv.enc;
    for (const m of kept) ns.add(m, lim);
    c.db.set(key, ns, true);
  }
  ks.dirty += count;
  c.selfPropagated = true;
  releaseEffects(c.srv, fx, true);
}

export const handlers: Handlers = {
  sadd(c, a) {
    const key = a.str(1);
    let s = writeSet(c, key);
    const lim = c.srv.enc;
    let isNew = false;
    if (s === undefined) {
      s = SetObj.forFirst(a.str(2));
      isNew = true;
    }
    let n = 0;
    for (let i = 2; i < a.argc; i++) if (s.add(a.str(i), lim)) n++;
    if (isNew) c.db.add(key, s);
    if (n !== 0) c.srv.ks.written(c.db, key, N.SET, "sadd", n);
    c.out.int(n);
  },

  srem(c, a) {
    const key = a.str(1);
    const s = writeSet(c, key);
    if (s === undefined) {
      c.out.int(0);
      return;
    }
    let n = 0;
    for (let i = 2; i < a.argc; i++) {
      if (s.remove(a.str(i))) {
        n++;
        if (s.size === 0) break;
      }
    }
    if (n !== 0) {
      c.srv.ks.written(c.db, key, N.SET, "srem", n);
      dropIfEmpty(c, key, s);
    }
    c.out.int(n);
  },

  sismember(c, a) {
    const s = readSet(c, a.str(1));
    c.out.int(s !== undefined && s.has(a.str(2)) ? 1 : 0);
  },

  smismember(c, a) {
    const s = readSet(c, a.str(1));
    c.out.arr(a.argc - 2);
    for (let i = 2; i < a.argc; i++) c.out.int(s !== undefined && s.has(a.str(i)) ? 1 : 0);
  },

  scard(c, a) {
    const s = readSet(c, a.str(1));
    c.out.int(s === undefined ? 0 : s.size);
  },

  smembers(c, a) {
    const s = readSet(c, a.str(1));
    if (s === undefined) emptySet(c);
    else setReply(c, s);
  },

  spop(c, a) {
    if (a.argc === 3) {
      spopWithCount(c, a);
      return;
    }
    if (a.argc > 3) fail(E.SYNTAX);
    const key = a.str(1);
    const s = writeSet(c, key);
    if (s === undefined) {
      c.out.nil();
      return;
    }
    const m = s.popRandom();
    c.out.bulk(m);
    c.srv.ks.written(c.db, key, N.SET, "spop");
    dropIfEmpty(c, key, s);
    if (propagating(c)) propagateAs(c, ["SREM", key, m]);
    else propagateNothing(c);
  },

  srandmember(c, a) {
    if (a.argc > 3) fail(E.SYNTAX);
    if (a.argc === 2) {
      const s = readSet(c, a.str(1));
      if (s === undefined) c.out.nil();
      else c.out.bulk(s.random());
      return;
    }
    const l = signedCount(a, 2);
    const s = readSet(c, a.str(1));
    const out = c.out;
    if (s === undefined || l === 0) {
      out.emptyArr();
      return;
    }
    if (l < 0 || l === 1) {
      const count = l < 0 ? -l : 1;
      out.arr(count);
      for (let i = 0; i < count; i++) out.bulk(s.random());
      return;
    }
    const size = s.size;
    const arr = s.arr;
    if (l >= size) {
      out.arr(size);
      for (let i = 0; i < size; i++) out.bulk(arr[i]!);
      return;
    }
    out.arr(l);
    for (const i of sampleDistinct(size, l)) out.bulk(arr[i]!);
  },

  smove(c, a) {
    const skey = a.str(1);
    const dkey = a.str(2);
    const m = a.str(3);
    const src = c.db.lookup(skey);
    const dst = c.db.lookup(dkey);
    if (src === undefined) {
      c.out.int(0);
      return;
    }
    if (!(src instanceof SetObj) || (dst !== undefined && !(dst instanceof SetObj))) fail(E.WRONGTYPE);
    if (src === dst) {
      c.out.int(src.has(m) ? 1 : 0);
      return;
    }
    if (!src.remove(m)) {
      c.out.int(0);
      return;
    }
    const ks = c.srv.ks;
    ks.written(c.db, skey, N.SET, "srem");
    dropIfEmpty(c, skey, src);
    let d = dst as SetObj | undefined;
    if (d === undefined) {
      d = SetObj.forFirst(m);
      c.db.add(dkey, d);
    }
    if (d.add(m, c.srv.enc)) ks.written(c.db, dkey, N.SET, "sadd");
    else ks.modified(c.db, dkey);
    c.out.int(1);
  },

  sinter(c, a) {
    sinterGeneric(c, a, 1, null);
  },

  sinterstore(c, a) {
    sinterGeneric(c, a, 2, a.str(1));
  },

  sintercard(c, a) {
    const nk = parseI64(a.str(1));
    if (Number.isNaN(nk) || nk < 1) fail("ERR numkeys should be greater than 0");
    if (nk > a.argc - 2) fail("ERR Number of keys can't be greater than number of args");
    let limit = 0;
    for (let j = 2 + nk; j < a.argc; j++) {
      if (a.is(j, "limit") && j + 1 < a.argc) {
        limit = parseI64(a.str(++j));
        if (Number.isNaN(limit) || limit < 0) fail("ERR LIMIT can't be negative");
      } else fail(E.SYNTAX);
    }
    const sets = sourceSets(c, a, 2, 2 + nk);
    if (sets.includes(null)) {
      c.out.int(0);
      return;
    }
    c.out.int(intersect(sets as SetObj[], limit, () => {}));
  },

  sunion(c, a) {
    sunionDiffGeneric(c, a, 1, null, false);
  },

  sunionstore(c, a) {
    sunionDiffGeneric(c, a, 2, a.str(1), false);
  },

  sdiff(c, a) {
    sunionDiffGeneric(c, a, 1, null, true);
  },

  sdiffstore(c, a) {
    sunionDiffGeneric(c, a, 2, a.str(1), true);
  },

  sscan(c, a) {
    const cursor = parseCursor(a.str(2));
    if (Number.isNaN(cursor)) fail("ERR invalid cursor");
    const s = readSet(c, a.str(1));
    if (s === undefined) return emptyScan(c);
    const out = c.out;
    const [count, pat] = scanOpts(a, 3);
    out.arr(2);
    if (s.pos === null) {
      // An intset is returned whole, in one page.
      out.bulk("0");
      const at = out.deferLen();
      let n = 0;
      for (const m of s.arr) {
        if (pat !== null && !globMatch(pat, m)) continue;
        out.bulk(m);
        n++;
      }
      out.setDeferred(at, "*", n);
      return;
    }
    const found: string[] = [];
    const next = scanStep(s.pos, cursor, count, (m) => {
      if (pat === null || globMatch(pat, m)) found.push(m);
    });
    out.bulk(String(next));
    out.bulks(found, found.length);
  },
};

