// Sorted set commands (Redis 7.0 t_zset.c semantics): ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD
// ZCOUNT ZLEXCOUNT ZRANK ZREVRANK, the ZRANGE family and ZRANGESTORE, ZREMRANGEBY*, ZPOPMIN/MAX,
// ZMPOP, ZRANDMEMBER, ZUNION/ZINTER/ZDIFF (+STORE), ZINTERCARD, ZSCAN. The blocking pops
// live at the end of the file.

import { E, fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { blockOnKeys, canBlock, installBlocking, parseBlockTimeout } from "../server/blocking.ts";
import type { Server } from "../server/context.ts";
import { propagateAs } from "../server/propagate.ts";
import { N } from "../store/notify.ts";
import { parseCursor, scanStep } from "../store/scan.ts";
import type { EncodingLimits, Value } from "../store/value.ts";
import {
  asZSet, d2string, lexEnd, lexStart, lexGteMin, lexLteMax, lpLexFirst, lpLexLast, lpLexRun, parseLexRange, parseScoreRange, scoreEnd, scoreStart, ZSet,
  ZADD_GT, ZADD_INCR, ZADD_LT, ZADD_NX, ZADD_XX, ZOUT_ADDED, ZOUT_NOP, ZOUT_UPDATED,
  type LexRange, type ScoreRange,
} from "../store/types/zset.ts";
import type { ZLeaf } from "../store/types/ztree.ts";
import { SetObj } from "../store/types/set.ts";
import { globMatch } from "../util/glob.ts";
import { parseDouble, parseI64 } from "../util/numbers.ts";
import { emptyScan, scanOpts } from "./hashes.ts";
import type { Handlers } from "./table.ts";

export const ZE = {
  XX_NX: "ERR XX and NX options at the same time are not compatible",
  GT_LT_NX: "ERR GT, LT, and/or NX options at the same time are not compatible",
  INCR_PAIR: "ERR INCR option supports a single increment-element pair",
  NAN: "ERR resulting score is not a number (NaN)",
  MINMAX_FLOAT: "ERR min or max is not a float",
  MINMAX_LEX: "ERR min or max not valid string range item",
  LIMIT_RANK: "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
  WITHSCORES_LEX: "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
  WEIGHT: "ERR weight value is not a float",
  LIMIT_NEG: "ERR LIMIT can't be negative",
  NUMKEYS: "ERR numkeys should be greater than 0",
  COUNT: "ERR count should be greater than 0",
  OUT_OF_RANGE: "ERR value is out of range",
  INVALID_CURSOR: "ERR invalid cursor",
} as const;


// ---------------------------------------------------------------- helpers

/** getLongFromObjectOrReply */
function long(a: Argv, i: number, msg: string = E.NOT_INT): number {
  const v = parseI64(a.str(i));
  if (Number.isNaN(v)) fail(msg);
  return v;
}

const LONG_MAX_N = 9223372036854775807n;

/** Exact comparison of argument i (a valid int64) against a bigint bound. */
function big(a: Argv, i: number, v: number): bigint {
  return Math.abs(v) <= Number.MAX_SAFE_INTEGER ? BigInt(v) : BigInt(a.str(i));
}

/** A score argument (getDoubleFromObject); short integers skip the general parser. */
function scoreArg(s: string): number {
  if (s.length <= 15) {
    const v = parseI64(s);
    if (!Number.isNaN(v)) return v;
  }
  return parseDouble(s);
}

/** getRangeLongFromObjectOrReply with Redis's default or given message (max is LONG_MAX). */
function rangeLong(a: Argv, i: number, min: bigint, msg?: string): number {
  const v = long(a, i, msg ?? E.NOT_INT);
  const b = big(a, i, v);
  if (b < min || b > LONG_MAX_N) fail(msg ?? `ERR value is out of range, value must between ${min} and ${LONG_MAX_N}`);
  return v;
}

function readZ(c: Client, key: string): ZSet | null {
  const v = c.db.read(key);
  return v === undefined ? null : asZSet(v);
}

function writeZ(c: Client, key: string): ZSet | null {
  const v = c.db.lookup(key);
  return v === undefined ? null : asZSet(v);
}

/** Deletes the key of a set that became empty ("del" event after the command's own). */
function dropIfEmpty(c: Client, key: string, z: ZSet): void {
  if (z.size === 0) {
    c.db.remove(key);
    c.srv.ks.notify(N.GENERIC, "del", key, c.db.id);
  }
}

/** Emits n elements from rank `from` (going down when rev), as ZRANGE replies them. */
function emitRange(c: Client, z: ZSet, from: number, n: number, rev: boolean, withscores: boolean): void {
  const out = c.out;
  const r3 = out.proto === 3;
  out.arr(withscores && !r3 ? n * 2 : n);
  if (n <= 0) return;
  let leaf = z.t.seek(from);
  let i = z.t.si;
  for (let k = 0; k < n; k++) {
    if (withscores && r3) out.arr(2);
    out.bulk(leaf.m[i]!);
    if (withscores) out.dbl(leaf.s[i]!);
    if (k + 1 === n) break;
    if (rev) {
      if (--i < 0) {
        leaf = leaf.prev!;
        i = leaf.m.length - 1;
      }
    } else if (++i === leaf.m.length) {
      leaf = leaf.next!;
      i = 0;
    }
  }
}

/** Collects n elements from rank `from` (down when rev) into arrays. */
function collectRange(z: ZSet, from: number, n: number, rev: boolean, ms: string[], ss: number[]): void {
  if (n <= 0) return;
  let leaf = z.t.seek(from);
  let i = z.t.si;
  for (let k = 0; k < n; k++) {
    ms.push(leaf.m[i]!);
    ss.push(leaf.s[i]!);
    if (k + 1 === n) break;
    if (rev) {
      if (--i < 0) {
        leaf = leaf.prev!;
        i = leaf.m.length - 1;
      }
    } else if (++i === leaf.m.length) {
      leaf = leaf.next!;
      i = 0;
    }
  }
}

/**
 * Builds the destination of ZRANGESTORE from elements in the order they were emitted, as
 * Redis does by zsetAdd-ing them one by one into a set created for `hint` elements: the
 * encoding converts at the first element that does not fit, and elements added while it was
 * still a listpack have -0 stored as 0.
 */
function buildStored(ms: string[], ss: number[], hint: number, rev: boolean, lim: EncodingLimits): ZSet {
  let lp = hint <= lim.zsetMaxListpackEntries;
  for (let i = 0; i < ms.length && lp; i++) {
    if (i + 1 > lim.zsetMaxListpackEntries || ms[i]!.length > lim.zsetMaxListpackValue) lp = false;
    else if (ss[i] === 0) ss[i] = 0;
  }
  if (rev) {
    ms.reverse();
    ss.reverse();
  }
  const z = ZSet.fromSorted(ms, ss);
  z.lp = lp;
  return z;
}

/** Stores a computed result set at dst (or deletes dst when empty); replies with its size. */
function storeResult(c: Client, dst: string, z: ZSet | null, event: string): void {
  const db = c.db;
  const ks = c.srv.ks;
  if (z !== null && z.size > 0) {
    db.set(dst, z);
    c.out.int(z.size);
    ks.written(db, dst, N.ZSET, event);
  } else {
    c.out.int(0);
    if (db.remove(dst)) ks.written(db, dst, N.GENERIC, "del");
  }
}

// ---------------------------------------------------------------- ZADD / ZINCRBY

function zaddGeneric(c: Client, a: Argv, flags: number): void {
  const key = a.str(1);
  let i = 2;
  let ch = false;
  for (; i < a.argc; i++) {
    if (a.is(i, "nx")) flags |= ZADD_NX;
    else if (a.is(i, "xx")) flags |= ZADD_XX;
    else if (a.is(i, "ch")) ch = true;
    else if (a.is(i, "incr")) flags |= ZADD_INCR;
    else if (a.is(i, "gt")) flags |= ZADD_GT;
    else if (a.is(i, "lt")) flags |= ZADD_LT;
    else break;
  }
  const incr = (flags & ZADD_INCR) !== 0;
  let elements = a.argc - i;
  if (elements % 2 !== 0 || elements === 0) fail(E.SYNTAX);
  elements /= 2;
  if (flags & ZADD_NX && flags & ZADD_XX) fail(ZE.XX_NX);
  const gt = flags & ZADD_GT;
  const lt = flags & ZADD_LT;
  const nx = flags & ZADD_NX;
  if ((gt && nx) || (lt && nx) || (gt && lt)) fail(ZE.GT_LT_NX);
  if (incr && elements > 1) fail(ZE.INCR_PAIR);
  const scores: number[] = new Array(elements);
  for (let j = 0; j < elements; j++) {
    const d = scoreArg(a.str(i + j * 2));
    if (Number.isNaN(d)) fail(E.NOT_FLOAT);
    scores[j] = d;
  }
  const db = c.db;
  let z = writeZ(c, key);
  let created = false;
  if (z === null) {
    if (flags & ZADD_XX) {
      if (incr) c.out.nil();
      else c.out.int(0);
      return;
    }
    z = new ZSet();
    created = true;
  }
  const lim = c.srv.enc;
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  let err = false;
  for (let j = 0; j < elements; j++) {
    const r = z.add(scores[j]!, a.str(i + 1 + j * 2), flags, lim);
    if (r < 0) {
      err = true;
      break;
    }
    if (r & ZOUT_ADDED) added++;
    if (r & ZOUT_UPDATED) updated++;
    if (!(r & ZOUT_NOP)) {
      processed++;
      score = z.newScore;
    }
  }
  if (created && z.size > 0) db.add(key, z);
  if (added || updated) c.srv.ks.written(db, key, N.ZSET, incr ? "zincr" : "zadd", added + updated);
  if (err) fail(ZE.NAN);
  if (incr) {
    if (processed) c.out.dbl(score);
    else c.out.nil();
  } else c.out.int(ch ? added + updated : added);
}

// ---------------------------------------------------------------- ZRANGE family

const RANK = 0;
const SCORE = 1;
const LEX = 2;
const AUTO = -1;

/**
 * zrangeGenericCommand. argStart is the index of the source key; dst is the ZRANGESTORE
 * destination (or null); type/dir are fixed by the legacy commands or AUTO for ZRANGE.
 */
function zrangeGeneric(c: Client, a: Argv, argStart: number, dst: string | null, type: number, rev: number): void {
  const key = a.str(argStart);
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = argStart + 3; j < a.argc; j++) {
    const left = a.argc - j - 1;
    if (dst === null && a.is(j, "withscores")) withscores = true;
    else if (a.is(j, "limit") && left >= 2) {
      offset = long(a, j + 1);
      limit = long(a, j + 2);
      j += 2;
    } else if (rev === AUTO && a.is(j, "rev")) rev = 1;
    else if (type === AUTO && a.is(j, "bylex")) type = LEX;
    else if (type === AUTO && a.is(j, "byscore")) type = SCORE;
    else fail(E.SYNTAX);
  }
  if (rev === AUTO) rev = 0;
  if (type === AUTO) type = RANK;
  if (limit !== -1 && type === RANK) fail(ZE.LIMIT_RANK);
  if (withscores && type === LEX) fail(ZE.WITHSCORES_LEX);
  if (rev && type !== RANK) {
    const t = maxIdx;
    maxIdx = minIdx;
    minIdx = t;
  }
  let start = 0;
  let end = 0;
  let srange: ScoreRange | null = null;
  let lrange: LexRange | null = null;
  if (type === RANK) {
    start = long(a, minIdx);
    end = long(a, maxIdx);
  } else if (type === SCORE) {
    srange = parseScoreRange(a.str(minIdx), a.str(maxIdx));
    if (srange === null) fail(ZE.MINMAX_FLOAT);
  } else {
    lrange = parseLexRange(a.str(minIdx), a.str(maxIdx));
    if (lrange === null) fail(ZE.MINMAX_LEX);
  }
  const z = readZ(c, key);
  if (z === null) {
    if (dst !== null) storeResult(c, dst, null, "zrangestore");
    else c.out.emptyArr();
    return;
  }
  if (type !== RANK) {
    rangeByValue(c, z, dst, type === SCORE ? srange : null, lrange, rev === 1, offset, limit, withscores);
    return;
  }
  let first = 0;
  let n = 0;
  const size = z.size;
  if (start < 0) start = size + start;
  if (end < 0) end = size + end;
  if (start < 0) start = 0;
  if (!(start > end || start >= size)) {
    if (end >= size) end = size - 1;
    n = end - start + 1;
    first = rev ? size - 1 - start : start;
  }
  if (dst === null) {
    emitRange(c, z, first, n, rev === 1, withscores);
    return;
  }
  if (n === 0) {
    storeResult(c, dst, null, "zrangestore");
    return;
  }
  const ms: string[] = [];
  const ss: number[] = [];
  collectRange(z, first, n, rev === 1, ms, ss);
  storeResult(c, dst, buildStored(ms, ss, n, rev === 1, c.srv.enc), "zrangestore");
}

/**
 * BYSCORE / BYLEX ranges: one descent to the first element in range (the last one when rev),
 * then a walk that stops at the other bound or the LIMIT, as Redis's range loops do.
 */
function rangeByValue(
  c: Client, z: ZSet, dst: string | null, sr: ScoreRange | null, lr: LexRange | null, rev: boolean,
  offset: number, limit: number, withscores: boolean,
): void {
  const t = z.t;
  const size = z.size;
  // Rank of the first element to emit, and where it is.
  let rank: number;
  const lpLex = lr !== null && z.lp;
  if (lpLex) {
    rank = rev ? lpLexLast(z, lr) : lpLexFirst(z, lr);
    if (rank < 0) rank = size; // nothing in range
  } else if (!rev) rank = sr ? scoreStart(z, sr) : lexStart(z, lr!);
  else rank = (sr ? scoreEnd(z, sr) : lexEnd(z, lr!)) - 1;
  const boundary = rev ? rank + 1 : rank;
  let leaf: ZLeaf | null = null;
  let i = 0;
  if (offset >= 0 && limit !== 0 && !(lpLex && rank === size)) {
    rank = rev ? rank - offset : rank + offset;
    if (rank >= 0 && rank < size) {
      if (offset === 0 && !lpLex && t.fl !== null && boundary > 0 && boundary < size && !(lr && (rev ? lr.maxKind : lr.minKind) !== 0)) {
        // The descent that found the bound stopped right there.
        leaf = t.fl;
        i = t.si;
        if (rev) {
          if (--i < 0) {
            leaf = leaf.prev;
            i = leaf ? leaf.m.length - 1 : 0;
          }
        } else if (i === leaf.m.length) {
          leaf = leaf.next;
          i = 0;
        }
      } else {
        leaf = t.seek(rank);
        i = t.si;
      }
    }
  }
  const inBound = (s: number, m: string): boolean => {
    if (sr) {
      if (rev) return sr.minex ? s > sr.min : s >= sr.min;
      return sr.maxex ? s < sr.max : s <= sr.max;
    }
    return rev ? lexGteMin(lr!, m) : lexLteMax(lr!, m);
  };
  const out = c.out;
  const r3 = out.proto === 3;
  const ms: string[] = [];
  const ss: number[] = [];
  const at = dst === null ? out.deferLen() : 0;
  let n = 0;
  while (leaf !== null && (limit < 0 || n < limit)) {
    const m = leaf.m[i]!;
    const s = leaf.s[i]!;
    if (!inBound(s, m)) break;
    if (dst === null) {
      if (withscores && r3) out.arr(2);
      out.bulk(m);
      if (withscores) out.dbl(s);
    } else {
      ms.push(m);
      ss.push(s);
    }
    n++;
    if (rev) {
      if (--i < 0) {
        leaf = leaf.prev;
        if (leaf) i = leaf.m.length - 1;
      }
    } else if (++i === leaf.m.length) {
      leaf = leaf.next;
      i = 0;
    }
  }
  if (dst === null) {
    out.setDeferred(at, "*", withscores && !r3 ? n * 2 : n);
    return;
  }
  storeResult(c, dst, n === 0 ? null : buildStored(ms, ss, 0, rev, c.srv.enc), "zrangestore");
}

// ---------------------------------------------------------------- ZREMRANGEBY*

function zremrangeGeneric(c: Client, a: Argv, type: number): void {
  const key = a.str(1);
  let start = 0;
  let end = 0;
  let srange: ScoreRange | null = null;
  let lrange: LexRange | null = null;
  if (type === RANK) {
    start = long(a, 2);
    end = long(a, 3);
  } else if (type === SCORE) {
    srange = parseScoreRange(a.str(2), a.str(3));
    if (srange === null) fail(ZE.MINMAX_FLOAT);
  } else {
    lrange = parseLexRange(a.str(2), a.str(3));
    if (lrange === null) fail(ZE.MINMAX_LEX);
  }
  const z = writeZ(c, key);
  if (z === null) {
    c.out.int(0);
    return;
  }
  let first: number;
  let n: number;
  const size = z.size;
  if (type === RANK) {
    if (start < 0) start = size + start;
    if (end < 0) end = size + end;
    if (start < 0) start = 0;
    if (start > end || start >= size) {
      c.out.int(0);
      return;
    }
    if (end >= size) end = size - 1;
    first = start;
    n = end - start + 1;
  } else if (type === SCORE) {
    first = scoreStart(z, srange!);
    n = scoreEnd(z, srange!) - first;
  } else if (z.lp) {
    first = lpLexFirst(z, lrange!);
    n = first < 0 ? 0 : lpLexRun(z, lrange!, first);
  } else {
    first = lexStart(z, lrange!);
    n = lexEnd(z, lrange!) - first;
  }
  if (n > 0) {
    z.removeRange(first, n);
    const ev = type === RANK ? "zremrangebyrank" : type === SCORE ? "zremrangebyscore" : "zremrangebylex";
    c.srv.ks.written(c.db, key, N.ZSET, ev, n);
    dropIfEmpty(c, key, z);
  } else n = 0;
  c.out.int(n);
}

// ---------------------------------------------------------------- pops

const MIN = 0;
const MAX = 1;

/**
 * genericZpopCommand. keys are argv indexes; count -1 means "not given". Returns the key popped
 * from, or null when no key held a sorted set (nothing is replied then when `quiet`, for the
 * blocking variants).
 */
export function zpopGeneric(
  c: Client, a: Argv, keyIdx: number[], where: number, emitKey: boolean, count: number,
  nested: boolean, nilWhenEmpty: boolean, quiet = false,
): string | null {
  let z: ZSet | null = null;
  let key = "";
  for (const i of keyIdx) {
    key = a.str(i);
    z = writeZ(c, key);
    if (z !== null) break;
  }
  if (z === null) {
    if (quiet) return null;
    if (nilWhenEmpty) c.out.nilArray();
    else c.out.emptyArr();
    return null;
  }
  popFrom(c, z, key, where, emitKey, count, nested);
  return key;
}

/** How many elements the last popFrom() took (ZMPOP/BZMPOP replicate that count). */
let lastPopped = 0;

/** Pops from a known non-empty set and replies (the second half of genericZpopCommand). */
export function popFrom(c: Client, z: ZSet, key: string, where: number, emitKey: boolean, count: number, nested: boolean): void {
  const out = c.out;
  if (count === -1) count = 1;
  const n = count > z.size ? z.size : count;
  if (!nested && !emitKey) out.arr(n * 2);
  else if (nested && !emitKey) out.arr(n);
  else if (!nested && emitKey) {
    out.arr(n * 2 + 1);
    out.bulk(key);
  } else {
    out.arr(2);
    out.bulk(key);
    out.arr(n);
  }
  if (n === 1) {
    const leaf = where === MIN ? z.t.head : z.t.tail;
    const i = where === MIN ? 0 : leaf.m.length - 1;
    const m = leaf.m[i]!;
    const sc = leaf.s[i]!;
    z.remove(m);
    if (nested) out.arr(2);
    out.bulk(m);
    out.dbl(sc);
    c.srv.ks.written(c.db, key, N.ZSET, where === MIN ? "zpopmin" : "zpopmax", 1);
    dropIfEmpty(c, key, z);
    lastPopped = 1;
    return;
  }
  const ms: string[] = [];
  const ss: number[] = [];
  const from = where === MIN ? 0 : z.size - n;
  z.removeRange(from, n, (m, s) => {
    ms.push(m);
    ss.push(s);
  });
  for (let k = 0; k < n; k++) {
    const j = where === MIN ? k : n - 1 - k;
    if (nested) out.arr(2);
    out.bulk(ms[j]!);
    out.dbl(ss[j]!);
  }
  c.srv.ks.written(c.db, key, N.ZSET, where === MIN ? "zpopmin" : "zpopmax", n);
  dropIfEmpty(c, key, z);
  lastPopped = n;
}

function zpopMinMax(c: Client, a: Argv, where: number): void {
  if (a.argc > 3) fail(E.SYNTAX);
  let count = -1;
  if (a.argc === 3) {
    count = rangeLong(a, 2, 0n, E.NOT_POSITIVE);
    if (count === 0) {
      // Redis still type-checks the key before the empty reply.
      const v = c.db.lookup(a.str(1));
      if (v !== undefined) asZSet(v);
      c.out.emptyArr();
      return;
    }
  }
  const key = a.str(1);
  const z = writeZ(c, key);
  if (z === null) c.out.emptyArr();
  else popFrom(c, z, key, where, false, count, c.out.proto === 3 && a.argc === 3);
}

/** ZMPOP / BZMPOP argument parsing: returns [keyIdx, where, count]. */
export function parseMpop(a: Argv, numkeysIdx: number): [number[], number, number] {
  const numkeys = rangeLong(a, numkeysIdx, 1n, ZE.NUMKEYS);
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= a.argc) fail(E.SYNTAX);
  let where: number;
  if (a.is(whereIdx, "min")) where = MIN;
  else if (a.is(whereIdx, "max")) where = MAX;
  else fail(E.SYNTAX);
  let count = -1;
  for (let j = whereIdx + 1; j < a.argc; j++) {
    if (count === -1 && a.is(j, "count") && a.argc - 1 - j > 0) {
      j++;
      count = rangeLong(a, j, 1n, ZE.COUNT);
    } else fail(E.SYNTAX);
  }
  if (count === -1) count = 1;
  const keys: number[] = [];
  for (let i = 0; i < numkeys; i++) keys.push(numkeysIdx + 1 + i);
  return [keys, where, count];
}

// ---------------------------------------------------------------- ZRANDMEMBER

function randInt(n: number): number {
  return Math.floor(Math.random() * n);
}

function zrandmemberWithCount(c: Client, a: Argv, l: number, withscores: boolean): void {
  const z = readZ(c, a.str(1));
  const out = c.out;
  if (z === null) {
    out.emptyArr();
    return;
  }
  const size = z.size;
  const uniq = l >= 0;
  const count = Math.abs(l);
  if (count === 0) {
    out.emptyArr();
    return;
  }
  const r3 = out.proto === 3;
  const one = (rank: number) => {
    const leaf = z.t.seek(rank);
    if (withscores && r3) out.arr(2);
    out.bulk(leaf.m[z.t.si]!);
    if (withscores) out.dbl(leaf.s[z.t.si]!);
  };
  if (!uniq || count === 1) {
    out.arr(withscores && !r3 ? count * 2 : count);
    for (let k = 0; k < count; k++) one(randInt(size));
    return;
  }
  if (count >= size) {
    // The whole set, highest first (what 7.0 replies).
    emitRange(c, z, size - 1, size, true, withscores);
    return;
  }
  out.arr(withscores && !r3 ? count * 2 : count);
  if (count * 3 > size) {
    // Partial Fisher-Yates over all ranks.
    const idx = new Uint32Array(size);
    for (let k = 0; k < size; k++) idx[k] = k;
    for (let k = 0; k < count; k++) {
      const j = k + randInt(size - k);
      const t = idx[k]!;
      idx[k] = idx[j]!;
      idx[j] = t;
      one(idx[k]!);
    }
    return;
  }
  const picked = new Set<number>();
  while (picked.size < count) {
    const r = randInt(size);
    if (picked.has(r)) continue;
    picked.add(r);
    one(r);
  }
}

// ---------------------------------------------------------------- ZUNION / ZINTER / ZDIFF

const UNION = 0;
const INTER = 1;
const DIFF = 2;
const SUM = 0;
const AMIN = 1;
const AMAX = 2;

/** One input of a set operation: a sorted set, or a plain set whose members score 1. */
interface Src {
  z: ZSet | null;
  set: SetLike | null;
  weight: number;
  size: number;
}

/** What the set operations need from a plain set value. */
interface SetLike {
  size: number;
  has(m: string): boolean;
  forEach(f: (m: string) => void): void;
}

/** A plain set as SetLike, or null when `v` is no set. */
function asSetLike(v: Value): SetLike | null {
  if (!(v instanceof SetObj)) return null;
  return { size: v.size, has: (m) => v.has(m), forEach: (f) => v.arr.forEach((m) => f(m)) };
}

function aggregate(target: number, val: number, agg: number): number {
  if (agg === SUM) {
    const t = target + val;
    return Number.isNaN(t) ? 0 : t;
  }
  if (agg === AMIN) return val < target ? val : target;
  return val > target ? val : target;
}

function cmpEntry(am: string, as: number, bm: string, bs: number): number {
  if (as < bs) return -1;
  if (as > bs) return 1;
  return am < bm ? -1 : am > bm ? 1 : 0;
}

/** zunionInterDiffGenericCommand. dst null for the reply forms; cardOnly for ZINTERCARD. */
function zsetOp(c: Client, a: Argv, dst: string | null, numkeysIdx: number, op: number, cardOnly: boolean, name: string): void {
  const setnum = long(a, numkeysIdx);
  if (setnum < 1) fail(`ERR at least 1 input key is needed for '${name}' command`);
  if (setnum > a.argc - (numkeysIdx + 1)) fail(E.SYNTAX);
  const src: Src[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const key = a.str(j);
    const v = c.db.read(key);
    const s: Src = { z: null, set: null, weight: 1, size: 0 };
    if (v !== undefined) {
      if (v instanceof ZSet) {
        s.z = v;
        s.size = v.size;
      } else {
        const sl = asSetLike(v);
        if (sl === null) fail(E.WRONGTYPE);
        s.set = sl;
        s.size = sl.size;
      }
    }
    src.push(s);
  }
  let agg = SUM;
  let withscores = false;
  let limit = 0;
  let remaining = a.argc - j;
  while (remaining > 0) {
    if (op !== DIFF && !cardOnly && remaining >= setnum + 1 && a.is(j, "weights")) {
      j++;
      remaining--;
      for (let i = 0; i < setnum; i++, j++, remaining--) {
        const w = parseDouble(a.str(j));
        if (Number.isNaN(w)) fail(ZE.WEIGHT);
        src[i]!.weight = w;
      }
    } else if (op !== DIFF && !cardOnly && remaining >= 2 && a.is(j, "aggregate")) {
      j++;
      remaining--;
      if (a.is(j, "sum")) agg = SUM;
      else if (a.is(j, "min")) agg = AMIN;
      else if (a.is(j, "max")) agg = AMAX;
      else fail(E.SYNTAX);
      j++;
      remaining--;
    } else if (remaining >= 1 && dst === null && !cardOnly && a.is(j, "withscores")) {
      j++;
      remaining--;
      withscores = true;
    } else if (cardOnly && remaining >= 2 && a.is(j, "limit")) {
      j++;
      remaining--;
      limit = rangeLong(a, j, 0n, ZE.LIMIT_NEG);
      j++;
      remaining--;
    } else fail(E.SYNTAX);
  }
  if (op !== DIFF) src.sort((x, y) => x.size - y.size);

  const ms: string[] = [];
  const ss: number[] = [];
  let maxLen = 0;
  let card = 0;
  const each = (s: Src, f: (m: string, score: number) => void) => {
    if (s.z) s.z.t.forEach(f);
    else if (s.set) s.set.forEach((m) => f(m, 1));
  };
  const find = (s: Src, m: string): number | undefined => {
    if (s.z) return s.z.dict.get(m);
    if (s.set) return s.set.has(m) ? 1 : undefined;
    return undefined;
  };
  let sorted = false;
  if (op === INTER) {
    if (src[0]!.size > 0) {
      const s0 = src[0]!;
      try {
        each(s0, (m, sc) => {
          let score = s0.weight * sc;
          if (Number.isNaN(score)) score = 0;
          let k = 1;
          for (; k < setnum; k++) {
            const sk = src[k]!;
            let value: number | undefined;
            if ((sk.z !== null && sk.z === s0.z) || (sk.set !== null && sk.set === s0.set)) value = sc * sk.weight;
            else {
              value = find(sk, m);
              if (value === undefined) break;
              value *= sk.weight;
            }
            score = aggregate(score, value, agg);
          }
          if (k === setnum) {
            if (cardOnly) {
              card++;
              if (limit && card >= limit) throw STOP;
            } else {
              ms.push(m);
              ss.push(score);
              if (m.length > maxLen) maxLen = m.length;
            }
          }
        });
      } catch (e) {
        if (e !== STOP) throw e;
      }
    }
  } else if (op === UNION) {
    const acc = new Map<string, number>();
    for (const s of src) {
      if (s.size === 0) continue;
      each(s, (m, sc) => {
        let score = s.weight * sc;
        if (Number.isNaN(score)) score = 0;
        const cur = acc.get(m);
        if (cur === undefined) {
          acc.set(m, score);
          if (m.length > maxLen) maxLen = m.length;
        } else acc.set(m, aggregate(cur, score, agg));
      });
    }
    for (const [m, s] of acc) {
      ms.push(m);
      ss.push(s);
    }
  } else {
    const s0 = src[0]!;
    if (s0.size > 0) {
      each(s0, (m, sc) => {
        for (let k = 1; k < setnum; k++) if (find(src[k]!, m) !== undefined) return;
        ms.push(m);
        ss.push(sc);
        if (m.length > maxLen) maxLen = m.length;
      });
      sorted = s0.z !== null;
    }
  }
  if (cardOnly) {
    c.out.int(card);
    return;
  }
  if (!sorted && ms.length > 1) {
    const order = new Uint32Array(ms.length);
    for (let k = 0; k < order.length; k++) order[k] = k;
    order.sort((x, y) => cmpEntry(ms[x]!, ss[x]!, ms[y]!, ss[y]!));
    const ms2: string[] = new Array(ms.length);
    const ss2: number[] = new Array(ms.length);
    for (let k = 0; k < order.length; k++) {
      ms2[k] = ms[order[k]!]!;
      ss2[k] = ss[order[k]!]!;
    }
    ms.length = 0;
    ss.length = 0;
    ms.push(...ms2);
    ss.push(...ss2);
  }
  if (dst !== null) {
    let z: ZSet | null = null;
    if (ms.length) {
      z = ZSet.fromSorted(ms, ss);
      z.settle(maxLen, c.srv.enc);
    }
    storeResult(c, dst, z, op === UNION ? "zunionstore" : op === INTER ? "zinterstore" : "zdiffstore");
    return;
  }
  const out = c.out;
  const r3 = out.proto === 3;
  out.arr(withscores && !r3 ? ms.length * 2 : ms.length);
  for (let k = 0; k < ms.length; k++) {
    if (withscores && r3) out.arr(2);
    out.bulk(ms[k]!);
    if (withscores) out.dbl(ss[k]!);
  }
}

const STOP = new Error("stop");

// ---------------------------------------------------------------- ZSCAN

function zscan(c: Client, a: Argv): void {
  const cursor = parseCursor(a.str(2));
  if (Number.isNaN(cursor)) fail(ZE.INVALID_CURSOR);
  const z = readZ(c, a.str(1));
  if (z === null) return emptyScan(c);
  const out = c.out;
  const [count, pat] = scanOpts(a, 3);
  const items: string[] = [];
  let next = 0;
  if (z.lp) {
    z.t.forEach((m, s) => {
      if (pat !== null && !globMatch(pat, m)) return;
      items.push(m, d2string(s));
    });
  } else {
    next = scanStep(z.dict, cursor, count, (m) => {
      if (pat !== null && !globMatch(pat, m)) return;
      items.push(m, d2string(z.dict.get(m)!));
    });
  }
  out.arr(2);
  out.bulk(String(next));
  out.arr(items.length);
  for (const s of items) out.bulk(s);
}

// ---------------------------------------------------------------- blocking pops

/**
 * blockingGenericZpopCommand: pops from the first non-empty sorted set among the keys, or
 * blocks. count -1 (BZPOPMIN/BZPOPMAX) replies [key, member, score]; BZMPOP replies
 * [key, [[member, score]...]]. Either way the effect is replicated as ZPOPMIN/ZPOPMAX (with
 * the number taken, for BZMPOP).
 */
function bzpop(c: Client, keys: string[], where: number, timeoutArg: string, count: number): void {
  const deadline = parseBlockTimeout(c, timeoutArg);
  const nested = count !== -1;
  const effect = (cl: Client, key: string) =>
    propagateAs(cl, count === -1 ? [where === MIN ? "ZPOPMIN" : "ZPOPMAX", key] : [where === MIN ? "ZPOPMIN" : "ZPOPMAX", key, String(lastPopped)]);
  for (const key of keys) {
    const z = writeZ(c, key);
    if (z === null || z.size === 0) continue;
    popFrom(c, z, key, where, true, count, nested);
    effect(c, key);
    return;
  }
  if (!canBlock(c)) {
    c.out.nilArray();
    return;
  }
  blockOnKeys(c, keys, deadline, (bc, key) => {
    const v = bc.db.lookup(key);
    if (!(v instanceof ZSet) || v.size === 0) return false;
    popFrom(bc, v, key, where, true, count, nested);
    effect(bc, key);
    return true;
  });
}

function bzpopMinMax(c: Client, a: Argv, where: number): void {
  const keys: string[] = [];
  for (let i = 1; i < a.argc - 1; i++) keys.push(a.str(i));
  bzpop(c, keys, where, a.str(a.argc - 1), -1);
}

// ---------------------------------------------------------------- handlers

export const handlers: Handlers = {
  zadd(c, a) {
    zaddGeneric(c, a, 0);
  },

  zincrby(c, a) {
    const d = scoreArg(a.str(2));
    if (Number.isNaN(d)) fail(E.NOT_FLOAT);
    const key = a.str(1);
    const member = a.str(3);
    let z = writeZ(c, key);
    const created = z === null;
    if (z === null) z = new ZSet();
    const r = z.add(d, member, ZADD_INCR, c.srv.enc);
    if (r < 0) fail(ZE.NAN);
    if (created) c.db.add(key, z);
    if (r & (ZOUT_ADDED | ZOUT_UPDATED)) c.srv.ks.written(c.db, key, N.ZSET, "zincr");
    c.out.dbl(z.newScore);
  },

  zrem(c, a) {
    const key = a.str(1);
    const z = writeZ(c, key);
    if (z === null) {
      c.out.int(0);
      return;
    }
    let deleted = 0;
    for (let i = 2; i < a.argc; i++) {
      if (z.remove(a.str(i))) deleted++;
      if (z.size === 0) break;
    }
    if (deleted) {
      c.srv.ks.written(c.db, key, N.ZSET, "zrem", deleted);
      dropIfEmpty(c, key, z);
    }
    c.out.int(deleted);
  },

  zscore(c, a) {
    const z = readZ(c, a.str(1));
    const s = z?.score(a.str(2));
    if (s === undefined) c.out.nil();
    else c.out.dbl(s);
  },

  zmscore(c, a) {
    const z = readZ(c, a.str(1));
    c.out.arr(a.argc - 2);
    for (let i = 2; i < a.argc; i++) {
      const s = z?.score(a.str(i));
      if (s === undefined) c.out.nil();
      else c.out.dbl(s);
    }
  },

  zcard(c, a) {
    const z = readZ(c, a.str(1));
    c.out.int(z === null ? 0 : z.size);
  },

  zcount(c, a) {
    const r = parseScoreRange(a.str(2), a.str(3));
    if (r === null) fail(ZE.MINMAX_FLOAT);
    const z = readZ(c, a.str(1));
    if (z === null) {
      c.out.int(0);
      return;
    }
    const n = scoreEnd(z, r) - scoreStart(z, r);
    c.out.int(n > 0 ? n : 0);
  },

  zlexcount(c, a) {
    const r = parseLexRange(a.str(2), a.str(3));
    if (r === null) fail(ZE.MINMAX_LEX);
    const z = readZ(c, a.str(1));
    if (z === null) {
      c.out.int(0);
      return;
    }
    if (z.lp) {
      const first = lpLexFirst(z, r);
      c.out.int(first < 0 ? 0 : lpLexRun(z, r, first));
      return;
    }
    const n = lexEnd(z, r) - lexStart(z, r);
    c.out.int(n > 0 ? n : 0);
  },

  zrank(c, a) {
    const z = readZ(c, a.str(1));
    const m = a.str(2);
    const s = z?.score(m);
    if (s === undefined) c.out.nil();
    else c.out.int(z!.t.rank(s, m));
  },

  zrevrank(c, a) {
    const z = readZ(c, a.str(1));
    const m = a.str(2);
    const s = z?.score(m);
    if (s === undefined) c.out.nil();
    else c.out.int(z!.size - 1 - z!.t.rank(s, m));
  },

  zrange(c, a) {
    zrangeGeneric(c, a, 1, null, AUTO, AUTO);
  },
  zrangestore(c, a) {
    zrangeGeneric(c, a, 2, a.str(1), AUTO, AUTO);
  },
  zrevrange(c, a) {
    zrangeGeneric(c, a, 1, null, RANK, 1);
  },
  zrangebyscore(c, a) {
    zrangeGeneric(c, a, 1, null, SCORE, 0);
  },
  zrevrangebyscore(c, a) {
    zrangeGeneric(c, a, 1, null, SCORE, 1);
  },
  zrangebylex(c, a) {
    zrangeGeneric(c, a, 1, null, LEX, 0);
  },
  zrevrangebylex(c, a) {
    zrangeGeneric(c, a, 1, null, LEX, 1);
  },

  zremrangebyrank(c, a) {
    zremrangeGeneric(c, a, RANK);
  },
  zremrangebyscore(c, a) {
    zremrangeGeneric(c, a, SCORE);
  },
  zremrangebylex(c, a) {
    zremrangeGeneric(c, a, LEX);
  },

  zpopmin(c, a) {
    zpopMinMax(c, a, MIN);
  },
  zpopmax(c, a) {
    zpopMinMax(c, a, MAX);
  },

  zmpop(c, a) {
    const [keys, where, count] = parseMpop(a, 1);
    const key = zpopGeneric(c, a, keys, where, true, count, true, true);
    // Replicated as ZPOPMIN/ZPOPMAX of what was taken, on the key that was popped.
    if (key !== null) propagateAs(c, [where === MIN ? "ZPOPMIN" : "ZPOPMAX", key, String(lastPopped)]);
  },

  zrandmember(c, a) {
    if (a.argc >= 3) {
      const l = rangeLong(a, 2, -LONG_MAX_N);
      let withscores = false;
      if (a.argc > 4 || (a.argc === 4 && !a.is(3, "withscores"))) fail(E.SYNTAX);
      else if (a.argc === 4) {
        withscores = true;
        const b = big(a, 2, l);
        if (b < -(LONG_MAX_N / 2n) || b > LONG_MAX_N / 2n) fail(ZE.OUT_OF_RANGE);
      }
      zrandmemberWithCount(c, a, l, withscores);
      return;
    }
    const z = readZ(c, a.str(1));
    if (z === null) {
      c.out.nil();
      return;
    }
    const leaf = z.t.seek(randInt(z.size));
    c.out.bulk(leaf.m[z.t.si]!);
  },

  zunion(c, a) {
    zsetOp(c, a, null, 1, UNION, false, "zunion");
  },
  zinter(c, a) {
    zsetOp(c, a, null, 1, INTER, false, "zinter");
  },
  zdiff(c, a) {
    zsetOp(c, a, null, 1, DIFF, false, "zdiff");
  },
  zunionstore(c, a) {
    zsetOp(c, a, a.str(1), 2, UNION, false, "zunionstore");
  },
  zinterstore(c, a) {
    zsetOp(c, a, a.str(1), 2, INTER, false, "zinterstore");
  },
  zdiffstore(c, a) {
    zsetOp(c, a, a.str(1), 2, DIFF, false, "zdiffstore");
  },
  zintercard(c, a) {
    zsetOp(c, a, null, 1, INTER, true, "zintercard");
  },

  zscan,

  bzpopmin(c, a) {
    bzpopMinMax(c, a, MIN);
  },
  bzpopmax(c, a) {
    bzpopMinMax(c, a, MAX);
  },
  bzmpop(c, a) {
    const [keyIdx, where, count] = parseMpop(a, 2);
    bzpop(c, keyIdx.map((i) => a.str(i)), where, a.str(1), count);
  },
};

export function install(srv: Server): void {
  installBlocking(srv);
}
