// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM
// LPOS LMOVE RPOPLPUSH LMPOP and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP.

import { E, fail, wrongArgs } from "../errors.ts";
import { parseI64 } from "../util/numbers.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { propagateAs } from "../server/propagate.ts";
import { blockOnKeys, canBlock, installBlocking, parseBlockTimeout } from "../server/blocking.ts";
import { N } from "../store/notify.ts";
import { ListObj } from "../store/types/list.ts";
import type { Handlers } from "./table.ts";

/** The list at key (for a write), undefined when missing, WRONGTYPE for other types. */
function writeList(c: Client, key: string): ListObj | undefined {
  const v = c.db.lookup(key);
  if (v === undefined) return undefined;
  if (!(v instanceof ListObj)) fail(E.WRONGTYPE);
  return v;
}

/** Same for read commands (counts keyspace hits/misses). */
function readList(c: Client, key: string): ListObj | undefined {
  const v = c.db.read(key);
  if (v === undefined) return undefined;
  if (!(v instanceof ListObj)) fail(E.WRONGTYPE);
  return v;
}

function intArg(a: Argv, i: number): number {
  const v = parseI64(a.str(i));
  if (Number.isNaN(v)) fail(E.NOT_INT);
  return v;
}

/** LEFT|RIGHT: true for LEFT (head). */
function sideArg(a: Argv, i: number): boolean {
  if (a.is(i, "left")) return true;
  if (a.is(i, "right")) return false;
  return fail(E.SYNTAX);
}

/** Deletes a list that became empty (with the "del" event). */
function dropIfEmpty(c: Client, key: string, l: ListObj): void {
  if (l.length !== 0) return;
  c.db.remove(key);
  c.srv.ks.written(c.db, key, N.GENERIC, "del", 0);
}

/** Pushes arguments 2.. as bytes (no strings). */
function pushArgs(l: ListObj, a: Argv, left: boolean): void {
  const o = a.offs;
  for (let i = 2; i < a.argc; i++) l.pushBytes(left, a.buf, o[i * 2]!, o[i * 2 + 1]! - o[i * 2]!);
}

function push(c: Client, a: Argv, left: boolean, onlyExisting: boolean): void {
  const key = a.str(1);
  let l = writeList(c, key);
  if (l === undefined) {
    if (onlyExisting) {
      c.out.int(0);
      return;
    }
    l = new ListObj();
    pushArgs(l, a, left);
    c.db.add(key, l);
  } else pushArgs(l, a, left);
  c.srv.ks.written(c.db, key, N.LIST, left ? "lpush" : "rpush", a.argc - 2);
  c.out.int(l.length);
}

/** Pops up to count elements of l into an array reply; deletes the key if it empties. */
function popRangeReply(c: Client, key: string, l: ListObj, left: boolean, count: number): void {
  const n = Math.min(count, l.length);
  c.out.arr(n);
  for (let i = 0; i < n; i++) {
    l.popBytes(left);
    c.out.bulkRange(l.popped, l.poppedAt, l.poppedLen);
  }
  c.srv.ks.written(c.db, key, N.LIST, left ? "lpop" : "rpop", n);
  dropIfEmpty(c, key, l);
}

function pop(c: Client, a: Argv, left: boolean): void {
  if (a.argc > 3) fail(wrongArgs(left ? "lpop" : "rpop"));
  const key = a.str(1);
  let count = -1;
  if (a.argc === 3) {
    count = parseI64(a.str(2));
    if (Number.isNaN(count) || count < 0) fail(E.NOT_POSITIVE);
  }
  const l = writeList(c, key);
  if (l === undefined) {
    if (count >= 0) c.out.nilArray();
    else c.out.nil();
    return;
  }
  if (count < 0) {
    l.popBytes(left);
    c.out.bulkRange(l.popped, l.poppedAt, l.poppedLen);
    c.srv.ks.written(c.db, key, N.LIST, left ? "lpop" : "rpop");
    dropIfEmpty(c, key, l);
    return;
  }
  if (count === 0) {
    c.out.emptyArr();
    return;
  }
  popRangeReply(c, key, l, left, count);
}

/** Pushes one moved element onto the destination (creating it), with its event. */
function movePush(c: Client, dkey: string, dst: ListObj | undefined, v: string, toLeft: boolean): ListObj {
  if (dst === undefined) {
    dst = new ListObj();
    dst.push(toLeft, v);
    c.db.add(dkey, dst);
  } else dst.push(toLeft, v);
  c.srv.ks.written(c.db, dkey, N.LIST, toLeft ? "lpush" : "rpush", 0);
  return dst;
}

/**
 * LMOVE's core once the source exists: checks the destination's type, moves one element,
 * replies with it. Events as Redis: push on the destination, then pop (and del) on the source.
 */
function moveOne(c: Client, skey: string, src: ListObj, dkey: string, fromLeft: boolean, toLeft: boolean): void {
  const dst = writeList(c, dkey);
  const v = src.pop(fromLeft)!;
  movePush(c, dkey, dst, v, toLeft);
  c.out.bulk(v);
  c.srv.ks.written(c.db, skey, N.LIST, fromLeft ? "lpop" : "rpop");
  dropIfEmpty(c, skey, src);
}

/**
 * What a BLMOVE/BRPOPLPUSH propagates: RPOPLPUSH, or LMOVE with the sides as given when
 * served at once (Redis rewrites the command name only), lowercase when served later.
 */
function lmoveArgs(skey: string, dkey: string, sides: [string, string] | null): string[] {
  if (sides === null) return ["RPOPLPUSH", skey, dkey];
  return ["LMOVE", skey, dkey, sides[0], sides[1]];
}

/** Parses LMPOP/BLMPOP arguments from numkeys at index ni: [keys, left, count]. */
function mpopArgs(a: Argv, ni: number): [string[], boolean, number] {
  const nk = parseI64(a.str(ni));
  if (Number.isNaN(nk) || nk < 1) fail("ERR numkeys should be greater than 0");
  const wi = ni + nk + 1;
  if (wi >= a.argc) fail(E.SYNTAX);
  const left = sideArg(a, wi);
  let count = -1;
  for (let j = wi + 1; j < a.argc; j++) {
    if (count === -1 && a.is(j, "count") && j + 1 < a.argc) {
      j++;
      count = parseI64(a.str(j));
      if (Number.isNaN(count) || count < 1) fail("ERR count should be greater than 0");
    } else fail(E.SYNTAX);
  }
  const keys: string[] = [];
  for (let i = ni + 1; i < wi; i++) keys.push(a.str(i));
  return [keys, left, count === -1 ? 1 : count];
}

/** LMPOP/BLMPOP reply from one list: [key, [elements]], propagated as [LR]POP key count. */
function mpopReply(c: Client, key: string, l: ListObj, left: boolean, count: number): void {
  const n = Math.min(count, l.length);
  c.out.arr(2);
  c.out.bulk(key);
  popRangeReply(c, key, l, left, n);
  propagateAs(c, [left ? "LPOP" : "RPOP", key, String(n)]);
}

// ---- blocking variants ----

/** BLPOP/BRPOP: the first non-empty list among the keys, or block. */
function bpop(c: Client, a: Argv, left: boolean): void {
  const deadline = parseBlockTimeout(c, a.str(a.argc - 1));
  const keys: string[] = [];
  for (let i = 1; i < a.argc - 1; i++) {
    const key = a.str(i);
    const l = writeList(c, key);
    if (l !== undefined) {
      bpopReply(c, key, l, left);
      return;
    }
    keys.push(key);
  }
  if (!canBlock(c)) {
    c.out.nilArray();
    return;
  }
  blockOnKeys(c, keys, deadline, (bc, key) => {
    const v = bc.db.lookup(key);
    if (!(v instanceof ListObj)) return false;
    bpopReply(bc, key, v, left);
    return true;
  });
}

function bpopReply(c: Client, key: string, l: ListObj, left: boolean): void {
  c.out.arr(2);
  c.out.bulk(key);
  c.out.bulk(l.pop(left)!);
  c.srv.ks.written(c.db, key, N.LIST, left ? "lpop" : "rpop");
  dropIfEmpty(c, key, l);
  propagateAs(c, [left ? "LPOP" : "RPOP", key]);
}

function bmove(c: Client, skey: string, dkey: string, fromLeft: boolean, toLeft: boolean, timeoutArg: string, sides: [string, string] | null): void {
  const deadline = parseBlockTimeout(c, timeoutArg);
  const src = writeList(c, skey);
  if (src !== undefined) {
    moveOne(c, skey, src, dkey, fromLeft, toLeft);
    propagateAs(c, lmoveArgs(skey, dkey, sides));
    return;
  }
  if (!canBlock(c)) {
    c.out.nil();
    return;
  }
  const later: [string, string] | null = sides === null ? null : [fromLeft ? "left" : "right", toLeft ? "left" : "right"];
  blockOnKeys(c, [skey], deadline, (bc, key) => {
    const v = bc.db.lookup(key);
    if (!(v instanceof ListObj)) return false;
    moveOne(bc, key, v, dkey, fromLeft, toLeft);
    propagateAs(bc, lmoveArgs(key, dkey, later));
    return true;
  });
}

/** LMOVE / RPOPLPUSH: nil when the source is missing. */
function move(c: Client, skey: string, dkey: string, fromLeft: boolean, toLeft: boolean): void {
  const src = writeList(c, skey);
  if (src === undefined) {
    c.out.nil();
    return;
  }
  moveOne(c, skey, src, dkey, fromLeft, toLeft);
}

/** [B]LMPOP from the first of the keys that holds a list; false when none does. */
function mpopFirst(c: Client, keys: string[], left: boolean, count: number): boolean {
  for (const key of keys) {
    const l = writeList(c, key);
    if (l !== undefined) {
      mpopReply(c, key, l, left, count);
      return true;
    }
  }
  return false;
}

export const handlers: Handlers = {
  lpush(c, a) {
    push(c, a, true, false);
  },
  rpush(c, a) {
    push(c, a, false, false);
  },
  lpushx(c, a) {
    push(c, a, true, true);
  },
  rpushx(c, a) {
    push(c, a, false, true);
  },
  lpop(c, a) {
    pop(c, a, true);
  },
  rpop(c, a) {
    pop(c, a, false);
  },

  llen(c, a) {
    const l = readList(c, a.str(1));
    c.out.int(l === undefined ? 0 : l.length);
  },

  lrange(c, a) {
    let start = intArg(a, 2);
    let end = intArg(a, 3);
    const l = readList(c, a.str(1));
    if (l === undefined) {
      c.out.emptyArr();
      return;
    }
    const len = l.length;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    if (start > end || start >= len) {
      c.out.emptyArr();
      return;
    }
    if (end >= len) end = len - 1;
    const n = end - start + 1;
    const out = c.out;
    out.arr(n);
    l.eachBytes(start, n, (b, o, len) => {
      out.bulkRange(b, o, len);
    });
  },

  lindex(c, a) {
    // The key is looked up before the index is parsed (a missing key answers nil).
    const l = readList(c, a.str(1));
    if (l === undefined) {
      c.out.nil();
      return;
    }
    let i = intArg(a, 2);
    if (i < 0) i += l.length;
    if (i < 0 || i >= l.length) c.out.nil();
    else c.out.bulk(l.get(i));
  },

  lset(c, a) {
    const key = a.str(1);
    const l = writeList(c, key);
    if (l === undefined) fail(E.NO_SUCH_KEY);
    let i = intArg(a, 2);
    if (i < 0) i += l.length;
    if (i < 0 || i >= l.length) fail(E.OUT_OF_RANGE);
    l.set(i, a.str(3));
    c.srv.ks.written(c.db, key, N.LIST, "lset");
    c.out.ok();
  },

  linsert(c, a) {
    let before: boolean;
    if (a.is(2, "before")) before = true;
    else if (a.is(2, "after")) before = false;
    else fail(E.SYNTAX);
    const key = a.str(1);
    const l = writeList(c, key);
    if (l === undefined) {
      c.out.int(0);
      return;
    }
    const at = l.indexOf(a.str(3));
    if (at < 0) {
      c.out.int(-1);
      return;
    }
    l.insertAt(before ? at : at + 1, a.str(4));
    c.srv.ks.written(c.db, key, N.LIST, "linsert");
    c.out.int(l.length);
  },

  lrem(c, a) {
    const key = a.str(1);
    const count = intArg(a, 2);
    const l = writeList(c, key);
    if (l === undefined) {
      c.out.int(0);
      return;
    }
    const n = l.removeValue(a.str(3), count < 0 ? -count : count, count < 0);
    if (n !== 0) {
      c.srv.ks.written(c.db, key, N.LIST, "lrem", n);
      dropIfEmpty(c, key, l);
    }
    c.out.int(n);
  },

  ltrim(c, a) {
    const key = a.str(1);
    let start = intArg(a, 2);
    let end = intArg(a, 3);
    const l = writeList(c, key);
    if (l === undefined) {
      c.out.ok();
      return;
    }
    const len = l.length;
    if (start < 0) start += len;
    if (end < 0) end += len;
    if (start < 0) start = 0;
    let ltrim: number;
    let rtrim: number;
    if (start > end || start >= len) {
      ltrim = len;
      rtrim = 0;
    } else {
      if (end >= len) end = len - 1;
      ltrim = start;
      rtrim = len - end - 1;
    }
    l.trim(ltrim, rtrim);
    c.srv.ks.written(c.db, key, N.LIST, "ltrim", ltrim + rtrim);
    dropIfEmpty(c, key, l);
    c.out.ok();
  },

  lpos(c, a) {
    const el = a.str(2);
    let rank = 1;
    let rankMin = false;
    let count = -1;
    let maxlen = 0;
    for (let j = 3; j < a.argc; j++) {
      const more = j + 1 < a.argc;
      if (a.is(j, "rank") && more) {
        rank = intArg(a, ++j);
        rankMin = a.str(j) === "-9223372036854775808";
        if (rank === 0) {
          fail(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
          );
        }
      } else if (a.is(j, "count") && more) {
        count = parseI64(a.str(++j));
        if (Number.isNaN(count) || count < 0) fail("ERR COUNT can't be negative");
      } else if (a.is(j, "maxlen") && more) {
        maxlen = parseI64(a.str(++j));
        if (Number.isNaN(maxlen) || maxlen < 0) fail("ERR MAXLEN can't be negative");
      } else fail(E.SYNTAX);
    }
    const l = readList(c, a.str(1));
    if (l === undefined) {
      if (count >= 0) c.out.emptyArr();
      else c.out.nil();
      return;
    }
    const fromTail = rank < 0;
    // RANK LLONG_MIN cannot be negated in C; there every match qualifies (like -1).
    let skip = rankMin ? 0 : (fromTail ? -rank : rank) - 1;
    const want = count === 0 ? Infinity : count < 0 ? 1 : count;
    const limit = maxlen === 0 ? l.length : Math.min(maxlen, l.length);
    const found: number[] = [];
    const visit = (v: string, i: number): boolean => {
      if (v === el) {
        if (skip > 0) skip--;
        else {
          found.push(i);
          if (found.length >= want) return false;
        }
      }
      return true;
    };
    if (fromTail) l.eachRev(l.length - 1, limit, visit);
    else l.each(0, limit, visit);
    if (count < 0) {
      if (found.length) c.out.int(found[0]!);
      else c.out.nil();
      return;
    }
    c.out.arr(found.length);
    for (const i of found) c.out.int(i);
  },

  lmove(c, a) {
    move(c, a.str(1), a.str(2), sideArg(a, 3), sideArg(a, 4));
  },

  rpoplpush(c, a) {
    move(c, a.str(1), a.str(2), false, true);
  },

  lmpop(c, a) {
    const [keys, left, count] = mpopArgs(a, 1);
    if (!mpopFirst(c, keys, left, count)) c.out.nilArray();
  },

  blpop(c, a) {
    bpop(c, a, true);
  },
  brpop(c, a) {
    bpop(c, a, false);
  },

  blmove(c, a) {
    const fromLeft = sideArg(a, 3);
    const toLeft = sideArg(a, 4);
    bmove(c, a.str(1), a.str(2), fromLeft, toLeft, a.str(5), [a.str(3), a.str(4)]);
  },

  brpoplpush(c, a) {
    bmove(c, a.str(1), a.str(2), false, true, a.str(3), null);
  },

  blmpop(c, a) {
    const [keys, left, count] = mpopArgs(a, 2);
    const deadline = parseBlockTimeout(c, a.str(1));
    if (mpopFirst(c, keys, left, count)) return;
    if (!canBlock(c)) {
      c.out.nilArray();
      return;
    }
    blockOnKeys(c, keys, deadline, (bc, key) => {
      const v = bc.db.lookup(key);
      if (!(v instanceof ListObj)) return false;
      mpopReply(bc, key, v, left, count);
      return true;
    });
  },
};

export function install(srv: Server): void {
  installBlocking(srv);
}
