// Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HEXISTS HLEN HSTRLEN HKEYS HVALS HGETALL
// HINCRBY HINCRBYFLOAT HRANDFIELD HSCAN.

import { E, fail, wrongArgs } from "../errors.ts";
import { parseI64, parseI64Big, INT64_MAX, INT64_MIN } from "../util/numbers.ts";
import { incrByFloatString, parseLongDouble } from "../util/longdouble.ts";
import { globMatch } from "../util/glob.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { propagateAs } from "../server/propagate.ts";
import { N } from "../store/notify.ts";
import { parseCursor, scanStep } from "../store/scan.ts";
import { HashObj } from "../store/types/hash.ts";
import type { Handlers } from "./table.ts";

const SAFE = Number.MAX_SAFE_INTEGER;

function writeHash(c: Client, key: string): HashObj | undefined {
  const v = c.db.lookup(key);
  if (v === undefined) return undefined;
  if (!(v instanceof HashObj)) fail(E.WRONGTYPE);
  return v;
}

function readHash(c: Client, key: string): HashObj | undefined {
  const v = c.db.read(key);
  if (v === undefined) return undefined;
  if (!(v instanceof HashObj)) fail(E.WRONGTYPE);
  return v;
}

/**
 * Stores `h` under key unless it was already there: writers take `found = writeHash(...)`
 * and work on `found ?? new HashObj()` (no tuple: HSET is a hot path).
 */
function store(c: Client, key: string, h: HashObj, found: HashObj | undefined): void {
  if (found === undefined) c.db.add(key, h);
}

function hset(c: Client, a: Argv, name: string): number {
  if (a.argc % 2 === 1) fail(wrongArgs(name));
  const key = a.str(1);
  const found = writeHash(c, key);
  const h = found ?? new HashObj();
  const lim = c.srv.enc;
  if (h.lp) for (let i = 2; i < a.argc; i++) h.checkArgLen(a.len(i), lim);
  let created = 0;
  const o = a.offs;
  for (let i = 2; i < a.argc; i += 2) {
    const r = h.setBytes(a.buf, o[i * 2]!, o[i * 2 + 1]!, o[i * 2 + 2]!, o[i * 2 + 3]!, lim);
    if (r === null ? h.set(a.str(i), a.str(i + 1), lim) : r) created++;
  }
  store(c, key, h, found);
  c.srv.ks.written(c.db, key, N.HASH, "hset", (a.argc - 2) / 2);
  return created;
}

/** Range check Redis's getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) does. */
function countArg(a: Argv, i: number): number {
  const s = a.str(i);
  const v = parseI64(s);
  if (Number.isNaN(v)) fail(E.NOT_INT);
  if (s === "-9223372036854775808") fail("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
  return v;
}

/** Picks `count` distinct random indexes of [0, size) (count < size). */
export function sampleDistinct(size: number, count: number): number[] {
  if (count * 3 > size) {
    // Partial Fisher-Yates over all positions.
    const idx = new Array<number>(size);
    for (let i = 0; i < size; i++) idx[i] = i;
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(Math.random() * (size - i));
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    idx.length = count;
    return idx;
  }
  const seen = new Set<number>();
  while (seen.size < count) seen.add(Math.floor(Math.random() * size));
  return [...seen];
}

function hrandWithCount(c: Client, a: Argv): void {
  const l = countArg(a, 2);
  let withValues = false;
  if (a.argc > 4 || (a.argc === 4 && !a.is(3, "withvalues"))) fail(E.SYNTAX);
  if (a.argc === 4) {
    withValues = true;
    const big = parseI64Big(a.str(2))!;
    if (big < -4611686018427387903n || big > 4611686018427387903n) fail("ERR value is out of range");
  }
  const h = readHash(c, a.str(1));
  const out = c.out;
  if (h === undefined || l === 0) {
    out.emptyArr();
    return;
  }
  const resp3 = out.proto === 3;
  const pair = (f: string) => {
    if (withValues && resp3) out.arr(2);
    out.bulk(f);
    if (withValues) out.bulk(h.get(f)!);
  };
  const size = h.size;
  if (l < 0 || l === 1) {
    // Repetitions allowed (or a single field): independent draws.
    const count = l < 0 ? -l : 1;
    out.arr(withValues && !resp3 ? count * 2 : count);
    if (size < 64) {
      const keys = [...h.m.keys()];
      for (let i = 0; i < count; i++) pair(keys[Math.floor(Math.random() * size)]!);
    } else for (let i = 0; i < count; i++) pair(h.randomField());
    return;
  }
  const n = Math.min(l, size);
  out.arr(withValues && !resp3 ? n * 2 : n);
  if (l >= size) {
    for (const f of h.m.keys()) pair(f);
    return;
  }
  if (n * 3 > size || size < 64) {
    const keys = [...h.m.keys()];
    for (const i of sampleDistinct(size, n)) pair(keys[i]!);
  } else for (const i of sampleDistinct(size, n)) pair(h.fieldAt(i));
}

/**
 * SCAN/HSCAN/SSCAN/ZSCAN options from argument `from`: [count, pattern or null, type or null]
 * (TYPE only when `withType`, SCAN's).
 */
export function scanOpts(a: Argv, from: number, withType = false): [number, string | null, string | null] {
  let count = 10;
  let pat: string | null = null;
  let type: string | null = null;
  for (let i = from; i < a.argc; i++) {
    const more = a.argc - i - 1;
    if (a.is(i, "count") && more >= 1) {
      count = parseI64(a.str(++i));
      if (Number.isNaN(count)) fail(E.NOT_INT);
      if (count < 1) fail(E.SYNTAX);
    } else if (a.is(i, "match") && more >= 1) {
      pat = a.str(++i);
      if (pat === "*") pat = null;
    } else if (withType && a.is(i, "type") && more >= 1) {
      type = a.lower(++i);
    } else fail(E.SYNTAX);
  }
  return [count, pat, type];
}

/** The reply of HSCAN/SSCAN/ZSCAN on a missing key: cursor 0, no elements. */
export function emptyScan(c: Client): void {
  c.out.arr(2);
  c.out.bulk("0");
  c.out.emptyArr();
}

export const handlers: Handlers = {
  hset(c, a) {
    c.out.int(hset(c, a, "hset"));
  },

  hmset(c, a) {
    hset(c, a, "hmset");
    c.out.ok();
  },

  hsetnx(c, a) {
    const key = a.str(1);
    const found = writeHash(c, key);
    const h = found ?? new HashObj();
    const f = a.str(2);
    if (h.get(f) !== undefined) {
      c.out.int(0);
      return;
    }
    const lim = c.srv.enc;
    h.checkArgLen(f.length, lim);
    h.checkArgLen(a.len(3), lim);
    h.set(f, a.str(3), lim);
    store(c, key, h, found);
    c.srv.ks.written(c.db, key, N.HASH, "hset");
    c.out.int(1);
  },

  hget(c, a) {
    const h = readHash(c, a.str(1));
    const v = h?.get(a.str(2));
    if (v === undefined) c.out.nil();
    else c.out.bulk(v);
  },

  hmget(c, a) {
    const h = readHash(c, a.str(1));
    c.out.arr(a.argc - 2);
    for (let i = 2; i < a.argc; i++) {
      const v = h?.get(a.str(i));
      if (v === undefined) c.out.nil();
      else c.out.bulk(v);
    }
  },

  hdel(c, a) {
    const key = a.str(1);
    const h = writeHash(c, key);
    if (h === undefined) {
      c.out.int(0);
      return;
    }
    let n = 0;
    for (let i = 2; i < a.argc; i++) {
      if (h.delete(a.str(i))) {
        n++;
        if (h.size === 0) break;
      }
    }
    if (n !== 0) {
      c.srv.ks.written(c.db, key, N.HASH, "hdel", n);
      if (h.size === 0) {
        c.db.remove(key);
        c.srv.ks.notify(N.GENERIC, "del", key, c.db.id);
      }
    }
    c.out.int(n);
  },

  hexists(c, a) {
    const h = readHash(c, a.str(1));
    c.out.int(h !== undefined && h.get(a.str(2)) !== undefined ? 1 : 0);
  },

  hlen(c, a) {
    const h = readHash(c, a.str(1));
    c.out.int(h === undefined ? 0 : h.size);
  },

  hstrlen(c, a) {
    const h = readHash(c, a.str(1));
    const v = h?.get(a.str(2));
    c.out.int(v === undefined ? 0 : v.length);
  },

  hkeys(c, a) {
    const h = readHash(c, a.str(1));
    if (h === undefined) {
      c.out.emptyArr();
      return;
    }
    c.out.arr(h.size);
    for (const f of h.m.keys()) c.out.bulk(f);
  },

  hvals(c, a) {
    const h = readHash(c, a.str(1));
    if (h === undefined) {
      c.out.emptyArr();
      return;
    }
    c.out.arr(h.size);
    for (const v of h.m.values()) c.out.bulk(v);
  },

  hgetall(c, a) {
    const h = readHash(c, a.str(1));
    if (h === undefined) {
      c.out.map(0);
      return;
    }
    c.out.map(h.size);
    for (const [f, v] of h.m) {
      c.out.bulk(f);
      c.out.bulk(v);
    }
  },

  hincrby(c, a) {
    const key = a.str(1);
    const incr = parseI64(a.str(3));
    if (Number.isNaN(incr)) fail(E.NOT_INT);
    const found = writeHash(c, key);
    const h = found ?? new HashObj();
    const f = a.str(2);
    const cur = h.get(f);
    let result: string;
    if (cur === undefined) result = a.str(3);
    else {
      const old = parseI64(cur);
      if (Number.isNaN(old)) fail("ERR hash value is not an integer");
      const sum = old + incr;
      if (Math.abs(old) <= SAFE && Math.abs(incr) <= SAFE && Math.abs(sum) <= SAFE) result = String(sum);
      else {
        const b = parseI64Big(cur)! + parseI64Big(a.str(3))!;
        if (b > INT64_MAX || b < INT64_MIN) fail(E.OVERFLOW);
        result = b.toString();
      }
    }
    h.set(f, result, c.srv.enc);
    store(c, key, h, found);
    c.srv.ks.written(c.db, key, N.HASH, "hincrby");
    c.out.ascii(`:${result}\r\n`);
  },

  hincrbyfloat(c, a) {
    const key = a.str(1);
    const incrS = a.str(3);
    const incr = parseLongDouble(incrS);
    if (incr === null) fail(E.NOT_FLOAT);
    if (incr.inf) fail("ERR value is NaN or Infinity");
    const found = writeHash(c, key);
    const h = found ?? new HashObj();
    const f = a.str(2);
    const cur = h.get(f);
    if (cur !== undefined && parseLongDouble(cur) === null) fail("ERR hash value is not a float");
    const result = incrByFloatString(cur ?? "0", incrS);
    if (result === null) fail("ERR increment would produce NaN or Infinity");
    h.set(f, result, c.srv.enc);
    store(c, key, h, found);
    c.srv.ks.written(c.db, key, N.HASH, "hincrbyfloat");
    c.out.bulk(result);
    propagateAs(c, ["HSET", key, f, result]);
  },

  hrandfield(c, a) {
    if (a.argc >= 3) {
      hrandWithCount(c, a);
      return;
    }
    const h = readHash(c, a.str(1));
    if (h === undefined) c.out.nil();
    else c.out.bulk(h.randomField());
  },

  hscan(c, a) {
    const cursor = parseCursor(a.str(2));
    if (Number.isNaN(cursor)) fail("ERR invalid cursor");
    const h = readHash(c, a.str(1));
    if (h === undefined) return emptyScan(c);
    const out = c.out;
    const [count, pat] = scanOpts(a, 3);
    out.arr(2);
    if (h.lp) {
      // A listpack is returned whole, in one page.
      out.bulk("0");
      const at = out.deferLen();
      let n = 0;
      for (const [f, v] of h.m) {
        if (pat !== null && !globMatch(pat, f)) continue;
        out.bulk(f);
        out.bulk(v);
        n += 2;
      }
      out.setDeferred(at, "*", n);
      return;
    }
    const found: string[] = [];
    const next = scanStep(h.m, cursor, count, (f) => {
      if (pat === null || globMatch(pat, f)) found.push(f);
    });
    out.bulk(String(next));
    out.arr(found.length * 2);
    for (const f of found) {
      out.bulk(f);
      out.bulk(h.get(f)!);
    }
  },
};
