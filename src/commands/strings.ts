// String commands: GET SET SETNX SETEX PSETEX MGET MSET MSETNX GETSET GETDEL GETEX APPEND
// STRLEN INCR DECR INCRBY DECRBY INCRBYFLOAT GETRANGE SETRANGE SUBSTR LCS.
//
// Propagation follows Redis 7.0 (t_string.c rewrites the command vector):
//   SET/SETEX/PSETEX with an expire  -> SET key value PXAT <absolute ms> (other flags dropped)
//   SET ... GET without an expire    -> the same SET without the GET arguments
//   GETSET                           -> SET key value
//   GETDEL                           -> DEL key (lazyfree-lazy-user-del is not supported: always DEL)
//   GETEX EX/PX/EXAT/PXAT            -> PEXPIREAT key <absolute ms>
//   GETEX EXAT/PXAT in the past      -> DEL key (the key is deleted)
//   GETEX PERSIST                    -> PERSIST key (only when a TTL was removed)
//   INCRBYFLOAT                      -> SET key <result> KEEPTTL
// Everything else propagates as received when it changed the dataset. (Checked against
// redis-server 7.0.15 by MONITORing a replica of it.)

import { E, fail, wrongArgs } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { CF, type Client } from "../server/client.ts";
import { propagateAs, propagating } from "../server/propagate.ts";
import { BIG_VALUE as BIG_STRING } from "../store/keytable.ts";
import { N } from "../store/notify.ts";
import { StrBuf, rangeOf, stringOrFail, strLen, unshare } from "../store/types/string.ts";
import { incrByFloatString } from "../util/longdouble.ts";
import { INT64_MAX, INT64_MIN, isInt64String, parseI64, parseI64Big } from "../util/numbers.ts";
import type { Handlers } from "./table.ts";

const SAFE = Number.MAX_SAFE_INTEGER;
const EMPTY = new Uint8Array(0);

// SET/GETEX option flags (Redis's OBJ_* flags)
const F_NX = 1 << 0;
const F_XX = 1 << 1;
const F_EX = 1 << 2;
const F_PX = 1 << 3;
const F_KEEPTTL = 1 << 4;
const F_GET = 1 << 5;
const F_EXAT = 1 << 6;
const F_PXAT = 1 << 7;
const F_PERSIST = 1 << 8;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

/** Index of the expire argument found by the last parseExtended() call (-1: none). */
let expireArg = -1;

/**
 * Parses SET's (isSet) or GETEX's options from argument `from` on, with Redis's rules for
 * which combinations are allowed (anything else is a syntax error). Repeating the same
 * option is allowed (the last expire wins).
 */
function parseExtended(a: Argv, from: number, isSet: boolean): number {
  let f = 0;
  expireArg = -1;
  for (let j = from; j < a.argc; j++) {
    const hasNext = j + 1 < a.argc;
    const len = a.len(j);
    if (len === 2 && isSet && a.is(j, "nx") && !(f & F_XX)) f |= F_NX;
    else if (len === 2 && isSet && a.is(j, "xx") && !(f & F_NX)) f |= F_XX;
    else if (len === 3 && isSet && a.is(j, "get")) f |= F_GET;
    else if (len === 7 && isSet && a.is(j, "keepttl") && !(f & (F_PERSIST | F_ANY_EXPIRE))) f |= F_KEEPTTL;
    else if (len === 7 && !isSet && a.is(j, "persist") && !(f & (F_ANY_EXPIRE | F_KEEPTTL))) f |= F_PERSIST;
    else if (len === 2 && hasNext && a.is(j, "ex") && !(f & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT))) {
      f |= F_EX;
      expireArg = ++j;
    } else if (len === 2 && hasNext && a.is(j, "px") && !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT))) {
      f |= F_PX;
      expireArg = ++j;
    } else if (len === 4 && hasNext && a.is(j, "exat") && !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT))) {
      f |= F_EXAT;
      expireArg = ++j;
    } else if (len === 4 && hasNext && a.is(j, "pxat") && !(f & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX))) {
      f |= F_PXAT;
      expireArg = ++j;
    } else fail(E.SYNTAX);
  }
  return f;
}

function expireError(name: string): string {
  return `ERR invalid expire time in '${name}' command`;
}

/**
 * The absolute expire time (ms) for an EX/PX/EXAT/PXAT argument, validated like Redis's
 * getExpireMillisecondsOrReply: positive, no overflow once scaled and made absolute.
 */
function expireAt(c: Client, s: string, flags: number, name: string): number {
  const n = parseI64(s);
  if (Number.isNaN(n)) fail(E.NOT_INT);
  const seconds = (flags & (F_EX | F_EXAT)) !== 0;
  const relative = (flags & (F_EX | F_PX)) !== 0;
  if (n <= 0) fail(expireError(name));
  if (n <= 9e12) {
    // common case: exact in doubles, far from any overflow
    const ms = seconds ? n * 1000 : n;
    return relative ? ms + c.srv.ks.now : ms;
  }
  let ms = parseI64Big(s)!;
  if (seconds) {
    if (ms > INT64_MAX / 1000n) fail(expireError(name));
    ms *= 1000n;
  }
  if (relative) ms += BigInt(c.srv.ks.now);
  if (ms > INT64_MAX) fail(expireError(name));
  return Number(ms);
}

/** Replies a string value as a bulk (a StrBuf's bytes are written without a copy). */
function replyValue(c: Client, v: string | StrBuf): void {
  if (typeof v === "string") c.out.bulk(v);
  else c.out.bulkBytes(v.view());
}

/** Redis's getGenericCommand: replies the value or nil; WRONGTYPE for other types. */
function getGeneric(c: Client, key: string): string | StrBuf | undefined {
  const v = stringOrFail(c.db.read(key));
  if (v === undefined) c.out.nil();
  else replyValue(c, v);
  return v;
}

/** Redis's checkStringLength: replicated writes from a master are never refused. */
function checkLength(c: Client, size: number): void {
  if (size > c.srv.limits.maxBulk && !(c.flags & CF.MASTER)) fail(E.STRING_TOO_LONG);
}

const enum Reply {
  OK, // +OK / nil
  ONE_ZERO, // :1 / :0 (SETNX)
}

/**
 * Redis's setGenericCommand. `valIdx`: the value argument; flags and the expire argument
 * come from parseExtended (or are fixed, for SETNX/SETEX/PSETEX).
 */
function setGeneric(c: Client, a: Argv, flags: number, valIdx: number, expIdx: number, name: string, reply: Reply): void {
  const db = c.db;
  const ks = c.srv.ks;
  const key = a.str(1);
  let when = 0;
  if (expIdx > 0) when = expireAt(c, a.str(expIdx), flags, name);
  let found: boolean;
  if (flags & F_GET) found = getGeneric(c, key) !== undefined;
  else found = flags & (F_NX | F_XX) ? db.lookup(key) !== undefined : false;
  if ((flags & F_NX && found) || (flags & F_XX && !found)) {
    if (!(flags & F_GET)) {
      if (reply === Reply.ONE_ZERO) c.out.int(0);
      else c.out.nil();
    }
    return;
  }
  const val = a.str(valIdx);
  db.set(key, val, (flags & F_KEEPTTL) !== 0);
  ks.written(db, key, N.STRING, "set");
  if (expIdx > 0) {
    db.setExpire(key, when);
    ks.notify(N.GENERIC, "expire", key, db.id);
    if (propagating(c)) propagateAs(c, ["SET", key, val, "PXAT", String(when)]);
  } else if (flags & F_GET && propagating(c)) {
    const args: string[] = [];
    for (let i = 0; i < a.argc; i++) if (i < 3 || !(a.len(i) === 3 && a.is(i, "get"))) args.push(a.str(i));
    propagateAs(c, args);
  }
  if (!(flags & F_GET)) {
    if (reply === Reply.ONE_ZERO) c.out.int(1);
    else c.out.ok();
  }
}

/** INCR/DECR/INCRBY/DECRBY with 64-bit semantics (exact beyond 2^53). */
function incrDecr(c: Client, key: string, incr: number | bigint): void {
  const db = c.db;
  const v = stringOrFail(db.lookup(key));
  let cur = 0;
  let s: string | undefined;
  if (v !== undefined) {
    s = typeof v === "string" ? v : v.toString();
    cur = parseI64(s);
    if (Number.isNaN(cur)) fail(E.NOT_INT);
  }
  if (typeof incr === "number" && cur <= SAFE && cur >= -SAFE) {
    const sum = cur + incr;
    if (sum <= SAFE && sum >= -SAFE) {
      store(c, key, v, String(sum));
      c.out.int(sum);
      return;
    }
  }
  const old = s === undefined ? 0n : parseI64Big(s)!;
  const inc = BigInt(incr);
  if ((inc < 0n && old < 0n && inc < INT64_MIN - old) || (inc > 0n && old > 0n && inc > INT64_MAX - old)) {
    fail(E.OVERFLOW);
  }
  const result = String(old + inc);
  store(c, key, v, result);
  c.out.ascii(`:${result}\r\n`);
}

/**
 * INCR family on a small integer already stored as key-table bytes: parse and rewrite the
 * digits in place. Returns false to fall back to the general path (missing key, other
 * encodings, invalid or large numbers), which then replies exactly as Redis.
 */
function incrFast(c: Client, a: Argv, incr: number): boolean {
  const db = c.db;
  const t = db.dict;
  const id = db.lookupArg(a, 1);
  if (id < 0) return incrNew(c, a, incr);
  const buf = t.valueBytes(id);
  if (buf === null) return false;
  const n = t.valueLength(id);
  if (n === 0 || n > 15) return false;
  let i = t.vOff;
  const end = i + n;
  let neg = false;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return false;
  }
  if (buf[i] === 48 && (end - i > 1 || neg)) return false;
  let cur = 0;
  for (; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return false;
    cur = cur * 10 + d;
  }
  const sum = (neg ? -cur : cur) + incr;
  if (sum > SAFE || sum < -SAFE) return false;
  // The reply ":<digits>\r\n" is written first and its digits become the value: no string.
  const out = c.out;
  const at = out.n;
  out.int(sum);
  t.setStringValue(id, out.b, out.n - at - 3, at + 1);
  c.srv.ks.writtenId(db, id, N.STRING, "incrby");
  return true;
}

/** incrFast() of a missing key: created from the argument bytes, valued with the reply's digits. */
function incrNew(c: Client, a: Argv, incr: number): boolean {
  const db = c.db;
  const t = db.dict;
  const out = c.out;
  const at = out.n;
  out.int(incr);
  const n = out.n - at - 3;
  const id = t.upsertBytes(a.buf, a.offs[2]!, a.offs[3]!, n);
  if (!t.created) {
    // there after all (an expired key this server may not delete): the general path decides
    out.rewind(at);
    return false;
  }
  t.setStringValue(id, out.b, n, at + 1);
  db.fresh(id, null);
  c.srv.ks.writtenId(db, id, N.STRING, "incrby");
  return true;
}

/** Stores an INCR result (keeping the TTL) and signals the write. */
function store(c: Client, key: string, old: string | StrBuf | undefined, result: string): void {
  const db = c.db;
  if (old === undefined) db.add(key, result);
  else db.set(key, result, true);
  c.srv.ks.written(db, key, N.STRING, "incrby");
}

/** An int64 argument as a number when it is safe, else as a bigint; NOT_INT when invalid. */
function int64Arg(a: Argv, i: number): number | bigint {
  const s = a.str(i);
  const n = parseI64(s);
  if (Number.isNaN(n)) fail(E.NOT_INT);
  return n <= SAFE && n >= -SAFE ? n : BigInt(s);
}

/** A long argument (getLongLongFromObjectOrReply), as a double (exact below 2^53). */
function longArg(a: Argv, i: number): number {
  const n = parseI64(a.str(i));
  if (Number.isNaN(n)) fail(E.NOT_INT);
  return n;
}

function getrange(c: Client, a: Argv): void {
  const start = longArg(a, 2);
  const end = longArg(a, 3);
  const v = stringOrFail(c.db.read(a.str(1)));
  if (v === undefined) return c.out.bulk("");
  const r = rangeOf(strLen(v), start, end);
  if (r === null) return c.out.bulk("");
  if (typeof v === "string") c.out.bulk(r[0] === 0 && r[1] === v.length ? v : v.slice(r[0], r[1]));
  else c.out.bulkBytes(v.buf.subarray(r[0], r[1]));
}

/**
 * Plain SET of argument `k` to argument `k + 1` (the hot path of SET and MSET): the argument
 * bytes go into the key table directly, no strings are made; the TTL is dropped.
 */
function setFromArgs(c: Client, a: Argv, k: number): void {
  const db = c.db;
  const t = db.dict;
  const vs = a.offs[k * 2 + 2]!;
  const vn = a.offs[k * 2 + 3]! - vs;
  const id = t.upsertBytes(a.buf, a.offs[k * 2]!, a.offs[k * 2 + 1]!, vn);
  if (vn <= BIG_STRING) t.setStringValue(id, a.buf, vn, vs);
  else t.setValue(id, a.str(k + 1));
  if (t.created) db.fresh(id, null);
  else {
    if (t.expOf(id) !== 0) t.clearExp(id);
    t.setLru(id, c.srv.ks.lfu ? c.srv.ks.lfuInit() : c.srv.ks.lruClock);
  }
  c.srv.ks.writtenId(db, id, N.STRING, "set");
}

function msetGeneric(c: Client, a: Argv, nx: boolean): void {
  if (a.argc % 2 === 0) fail(wrongArgs(nx ? "msetnx" : "mset"));
  const db = c.db;
  if (nx) {
    for (let j = 1; j < a.argc; j += 2) {
      if (db.lookup(a.str(j)) !== undefined) return c.out.int(0);
    }
  }
  for (let j = 1; j < a.argc; j += 2) setFromArgs(c, a, j);
  if (nx) c.out.int(1);
  else c.out.ok();
}

/**
 * LCS: the classic dynamic-programming table of common-prefix lengths, then a walk back
 * from the end emitting the matched ranges (in Redis's order, and with its tie-breaking).
 */
function lcs(c: Client, a: Argv): void {
  const db = c.db;
  const va = db.read(a.str(1));
  const vb = db.read(a.str(2));
  const isStr = (v: unknown) => v === undefined || typeof v === "string" || v instanceof StrBuf;
  if (!isStr(va) || !isStr(vb)) fail("ERR The specified keys must contain string values");
  let getIdx = false;
  let getLen = false;
  let withMatchLen = false;
  let minMatchLen = 0;
  for (let j = 3; j < a.argc; j++) {
    if (a.is(j, "idx")) getIdx = true;
    else if (a.is(j, "len")) getLen = true;
    else if (a.is(j, "withmatchlen")) withMatchLen = true;
    else if (a.is(j, "minmatchlen") && j + 1 < a.argc) {
      minMatchLen = longArg(a, ++j);
      if (minMatchLen < 0) minMatchLen = 0;
    } else fail(E.SYNTAX);
  }
  if (getIdx && getLen) fail("ERR If you want both the length and indexes, please just use IDX.");
  const alen = va === undefined ? 0 : strLen(va as string | StrBuf);
  const blen = vb === undefined ? 0 : strLen(vb as string | StrBuf);
  if (alen >= 0xfffffffe || blen >= 0xfffffffe) fail("ERR String too long for LCS");
  const cells = (alen + 1) * (blen + 1);
  if (cells * 4 > c.srv.limits.maxBulk) fail("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  let t: Uint32Array;
  try {
    t = new Uint32Array(cells);
  } catch {
    return fail("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  const w = blen + 1;
  const ab = va === undefined ? EMPTY : typeof va === "string" ? Buffer.from(va, "latin1") : (va as StrBuf).view();
  const B = vb === undefined ? EMPTY : typeof vb === "string" ? Buffer.from(vb, "latin1") : (vb as StrBuf).view();
  for (let i = 1; i <= alen; i++) {
    const ai = ab[i - 1]!;
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === B[j - 1]) t[row + j] = t[prev + j - 1]! + 1;
      else {
        const up = t[prev + j]!;
        const left = t[row + j - 1]!;
        t[row + j] = up > left ? up : left;
      }
    }
  }
  const total = t[alen * w + blen]!;
  const computeLcs = getIdx || !getLen;
  if (!computeLcs) return c.out.int(total);
  const out = Buffer.allocUnsafe(total);
  let idx = total;
  // ranges: [aStart, aEnd, bStart, bEnd, len] per emitted match
  const ranges: number[] = [];
  let aStart = alen; // alen: no range open
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (ab[i - 1] === B[j - 1]) {
      out[idx - 1] = ab[i - 1]!;
      if (aStart === alen) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else emit = true;
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const up = t[(i - 1) * w + j]!;
      const left = t[i * w + j - 1]!;
      if (up > left) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = aEnd - aStart + 1;
      if (minMatchLen === 0 || matchLen >= minMatchLen) ranges.push(aStart, aEnd, bStart, bEnd, matchLen);
      aStart = alen;
    }
  }
  if (!getIdx) return c.out.bulkBytes(out);
  c.out.map(2);
  c.out.bulk("matches");
  c.out.arr(ranges.length / 5);
  for (let k = 0; k < ranges.length; k += 5) {
    c.out.arr(withMatchLen ? 3 : 2);
    c.out.arr(2);
    c.out.int(ranges[k]!);
    c.out.int(ranges[k + 1]!);
    c.out.arr(2);
    c.out.int(ranges[k + 2]!);
    c.out.int(ranges[k + 3]!);
    if (withMatchLen) c.out.int(ranges[k + 4]!);
  }
  c.out.bulk("len");
  c.out.int(total);
}

export const handlers: Handlers = {
  get(c, a) {
    // The hot path: find the key by its bytes and copy the value bytes straight into the reply.
    const db = c.db;
    const id = db.lookupArg(a, 1);
    db.countReadArg(id, a, 1);
    if (id < 0) return c.out.nil();
    const t = db.dict;
    const buf = t.valueBytes(id);
    if (buf !== null) return c.out.bulkRange(buf, t.vOff, t.valueLength(id));
    const v = t.valueOf(id);
    if (typeof v === "string") c.out.bulk(v);
    else if (v instanceof StrBuf) c.out.bulkBytes(v.view());
    else fail(E.WRONGTYPE);
  },

  set(c, a) {
    if (a.argc === 3) {
      setFromArgs(c, a, 1);
      c.out.ok();
      return;
    }
    const flags = parseExtended(a, 3, true);
    setGeneric(c, a, flags, 2, expireArg, "set", Reply.OK);
  },

  setnx(c, a) {
    setGeneric(c, a, F_NX, 2, -1, "setnx", Reply.ONE_ZERO);
  },

  setex(c, a) {
    setGeneric(c, a, F_EX, 3, 2, "setex", Reply.OK);
  },

  psetex(c, a) {
    setGeneric(c, a, F_PX, 3, 2, "psetex", Reply.OK);
  },

  getex(c, a) {
    const flags = parseExtended(a, 2, false);
    const expIdx = expireArg;
    const db = c.db;
    const ks = c.srv.ks;
    const key = a.str(1);
    const v = stringOrFail(db.read(key));
    if (v === undefined) return c.out.nil();
    let when = 0;
    if (expIdx > 0) when = expireAt(c, a.str(expIdx), flags, "getex");
    replyValue(c, v);
    if (flags & (F_EXAT | F_PXAT) && when <= ks.now && !c.srv.loading && c.srv.role !== "replica") {
      // an absolute time already past: the key goes away now
      db.remove(key);
      propagateAs(c, ["DEL", key]);
      ks.written(db, key, N.GENERIC, "del");
    } else if (expIdx > 0) {
      db.setExpire(key, when);
      propagateAs(c, ["PEXPIREAT", key, String(when)]);
      ks.written(db, key, N.GENERIC, "expire");
    } else if (flags & F_PERSIST) {
      if (db.persist(key)) {
        propagateAs(c, ["PERSIST", key]);
        ks.written(db, key, N.GENERIC, "persist");
      }
    }
  },

  getdel(c, a) {
    const key = a.str(1);
    if (getGeneric(c, key) === undefined) return;
    c.db.remove(key);
    propagateAs(c, ["DEL", key]);
    c.srv.ks.written(c.db, key, N.GENERIC, "del");
  },

  getset(c, a) {
    const key = a.str(1);
    getGeneric(c, key);
    const val = a.str(2);
    c.db.set(key, val);
    c.srv.ks.written(c.db, key, N.STRING, "set");
    if (propagating(c)) propagateAs(c, ["SET", key, val]);
  },

  mget(c, a) {
    const db = c.db;
    const t = db.dict;
    c.out.arr(a.argc - 1);
    for (let j = 1; j < a.argc; j++) {
      const id = db.lookupArg(a, j);
      db.countReadArg(id, a, j);
      if (id < 0) {
        c.out.nil();
        continue;
      }
      const buf = t.valueBytes(id);
      if (buf !== null) {
        c.out.bulkRange(buf, t.vOff, t.valueLength(id));
        continue;
      }
      const v = t.valueOf(id);
      if (typeof v === "string") c.out.bulk(v);
      else if (v instanceof StrBuf) c.out.bulkBytes(v.view());
      else c.out.nil();
    }
  },

  mset(c, a) {
    msetGeneric(c, a, false);
  },

  msetnx(c, a) {
    msetGeneric(c, a, true);
  },

  append(c, a) {
    const db = c.db;
    const key = a.str(1);
    const v = stringOrFail(db.lookup(key));
    let len: number;
    if (v === undefined) {
      db.add(key, a.str(2));
      len = a.len(2);
    } else {
      checkLength(c, strLen(v) + a.len(2));
      const sb = unshare(db, key, v, a.len(2));
      sb.append(a.bytes(2));
      len = sb.len;
    }
    c.srv.ks.written(db, key, N.STRING, "append");
    c.out.int(len);
  },

  strlen(c, a) {
    const v = stringOrFail(c.db.read(a.str(1)));
    c.out.int(v === undefined ? 0 : strLen(v));
  },

  incr(c, a) {
    if (!incrFast(c, a, 1)) incrDecr(c, a.str(1), 1);
  },

  decr(c, a) {
    if (!incrFast(c, a, -1)) incrDecr(c, a.str(1), -1);
  },

  incrby(c, a) {
    const n = int64Arg(a, 2);
    if (typeof n !== "number" || !incrFast(c, a, n)) incrDecr(c, a.str(1), n);
  },

  decrby(c, a) {
    const n = int64Arg(a, 2);
    if (n === INT64_MIN) fail("ERR decrement would overflow");
    incrDecr(c, a.str(1), -n);
  },

  incrbyfloat(c, a) {
    const db = c.db;
    const key = a.str(1);
    const v = stringOrFail(db.lookup(key));
    const cur = v === undefined ? "0" : typeof v === "string" ? v : v.toString();
    const r = incrByFloatString(cur, a.str(2));
    if (r === null) fail("ERR increment would produce NaN or Infinity");
    // Redis stores the printed result as a plain string object: never int-encoded.
    let nv: string | StrBuf = r;
    if (isInt64String(r)) {
      nv = new StrBuf(r);
      nv.embstr = true;
    }
    if (v === undefined) db.add(key, nv);
    else db.set(key, nv, true);
    c.srv.ks.written(db, key, N.STRING, "incrbyfloat");
    c.out.bulk(r);
    if (propagating(c)) propagateAs(c, ["SET", key, r, "KEEPTTL"]);
  },

  getrange,
  substr: getrange,

  setrange(c, a) {
    const db = c.db;
    const key = a.str(1);
    const offset = longArg(a, 2);
    if (offset < 0) fail("ERR offset is out of range");
    const vlen = a.len(3);
    const v = stringOrFail(db.lookup(key));
    let sb: StrBuf;
    if (v === undefined) {
      if (vlen === 0) return c.out.int(0);
      checkLength(c, offset + vlen);
      sb = StrBuf.zeros(offset + vlen);
      db.add(key, sb);
    } else {
      if (vlen === 0) return c.out.int(strLen(v));
      checkLength(c, offset + vlen);
      sb = unshare(db, key, v);
    }
    sb.writeAt(offset, a.bytes(3));
    c.srv.ks.written(db, key, N.STRING, "setrange");
    c.out.int(sb.len);
  },

  lcs,
};
