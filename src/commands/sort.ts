// SORT and SORT_RO (Redis 7.0 sort.c semantics): sorting lists, sets and sorted sets
// numerically or ALPHA, BY patterns ("weight_*", "h_*->field", or a constant for no sorting),
// GET patterns ("#", "obj_*", "h_*->field"), LIMIT, ASC/DESC and STORE (into a list).

import { E, fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { CF, type Client } from "../server/client.ts";
import { N } from "../store/notify.ts";
import type { Db } from "../store/db.ts";
import { HashObj } from "../store/types/hash.ts";
import { ListObj } from "../store/types/list.ts";
import { SetObj } from "../store/types/set.ts";
import { StrBuf } from "../store/types/string.ts";
import { ZSet } from "../store/types/zset.ts";
import type { Value } from "../store/value.ts";
import { hexFloat, parseI64 } from "../util/numbers.ts";
import type { Handlers } from "./table.ts";

/**
 * A partial quicksort (Bentley-McIlroy partitioning with the equal keys gathered at the ends,
 * median-of-3 / ninther pivots, insertion sort below 7) that only recurses into parts
 * overlapping [lrange, rrange], which end up sorted. This is the algorithm Redis's pqsort
 * uses (SORT with BY and LIMIT, GEO searches with COUNT), so elements with equal keys come out
 * in the same order as there.
 */
export function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  const swap = (i: number, j: number) => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (i: number, j: number, k: number) =>
    cmp(a[i]!, a[j]!) < 0
      ? cmp(a[j]!, a[k]!) < 0 ? j : cmp(a[i]!, a[k]!) < 0 ? k : i
      : cmp(a[j]!, a[k]!) > 0 ? j : cmp(a[i]!, a[k]!) < 0 ? i : k;
  const outside = (start: number, end: number) => (lrange < start && rrange < start) || (lrange >= end && rrange >= end);
  const sort = (base: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        for (let m = base + 1; m < base + n; m++) {
          for (let l = m; l > base && cmp(a[l - 1]!, a[l]!) > 0; l--) swap(l, l - 1);
        }
        return;
      }
      let pm = base + (n >> 1);
      if (n > 7) {
        let pl = base;
        let pn = base + n - 1;
        if (n > 40) {
          const d = n >> 3;
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(base, pm);
      let pa = base + 1;
      let pb = pa;
      let pc = base + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(a[pb]!, a[base]!)) <= 0) {
          if (r === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (r = cmp(a[pc]!, a[base]!)) >= 0) {
          if (r === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const pn = base + n;
      let r = Math.min(pa - base, pb - pa);
      vecswap(base, pb - r, r);
      r = Math.min(pd - pc, pn - pd - 1);
      vecswap(pb, pn - r, r);
      r = pb - pa;
      if (r > 1 && !outside(base, base + r)) sort(base, r);
      r = pd - pc;
      if (r <= 1) return;
      base = pn - r;
      n = r;
      if (outside(base, base + r)) return;
    }
  };
  sort(0, a.length);
}

// ---------------------------------------------------------------- values behind patterns

/** A stored string's text, or null for other types. */
function stringText(v: Value): string | null {
  if (typeof v === "string") return v;
  if (v instanceof StrBuf) return v.toString();
  return null;
}

/** A hash field's value, or null. */
function hashField(v: Value, field: string): string | null {
  if (!(v instanceof HashObj)) return null;
  return v.get(field) ?? null;
}

/** lookupKeyByPattern: "#" is the element itself; otherwise the first '*' is replaced. */
function byPattern(db: Db, pattern: string, subst: string): string | null {
  if (pattern === "#") return subst;
  const nul = pattern.indexOf("\0");
  const cpat = nul < 0 ? pattern : pattern.slice(0, nul); // strchr/strstr stop at NUL
  const p = cpat.indexOf("*");
  if (p < 0) return null;
  const f = cpat.indexOf("->", p + 1);
  let fieldLen = 0;
  let field: string | null = null;
  if (f >= 0 && f + 2 < cpat.length) {
    fieldLen = pattern.length - f - 2;
    field = pattern.slice(f + 2);
  }
  const postLen = pattern.length - (p + 1) - (fieldLen ? fieldLen + 2 : 0);
  const key = pattern.slice(0, p) + subst + pattern.slice(p + 1, p + 1 + postLen);
  const v = db.read(key);
  if (v === undefined) return null;
  if (field !== null) return hashField(v, field);
  return stringText(v);
}

// ---------------------------------------------------------------- the sources

/** The members of a plain set (intsets in numeric order, like Redis), or null. */
function setMembers(v: Value): string[] | null {
  return v instanceof SetObj ? v.arr : null;
}

// ---------------------------------------------------------------- strtod as SORT uses it

const DEC = /^[ \t\n\v\f\r]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const SPECIAL = /^[ \t\n\v\f\r]*([+-]?)(inf(?:inity)?|nan(?:\([0-9a-zA-Z_]*\))?)/i;
const HEX = /^[ \t\n\v\f\r]*([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?/;

/**
 * strtod over the text up to its first NUL (C strings), with SORT's checks: the rest must be
 * empty, no ERANGE (overflow or underflow), not NaN. Returns NaN when those fail.
 */
function sortScore(s: string): number {
  const nul = s.indexOf("\0");
  const t = nul < 0 ? s : s.slice(0, nul);
  if (t.length === 0) return 0;
  let m = HEX.exec(t);
  if (m && m[0].length === t.length) {
    const v = hexFloat(m[2]!, m[3]);
    if (!Number.isFinite(v) || (v === 0 && /[1-9a-fA-F]/.test(m[2]!))) return NaN;
    return m[1] === "-" ? -v : v;
  }
  m = SPECIAL.exec(t);
  if (m && m[0].length === t.length) {
    if (m[2]!.toLowerCase().startsWith("nan")) return NaN;
    return m[1] === "-" ? -Infinity : Infinity;
  }
  m = DEC.exec(t);
  if (m && m[0].length === t.length) {
    const num = m[0].trim();
    const v = Number(num);
    if (!Number.isFinite(v)) return NaN;
    // Underflow: a nonzero mantissa that rounds to 0 or to a subnormal sets ERANGE.
    if ((v === 0 && /[1-9]/.test(num.split(/[eE]/)[0]!)) || (v !== 0 && Math.abs(v) < 2.2250738585072014e-308)) return NaN;
    return v;
  }
  // Nothing parsed at all: strtod returns 0 with the end at the start (not at the end).
  return NaN;
}

/** strcoll in the C locale: byte order, stopping at the first NUL. */
function collate(a: string, b: string): number {
  const na = a.indexOf("\0");
  const nb = b.indexOf("\0");
  const x = na < 0 ? a : a.slice(0, na);
  const y = nb < 0 ? b : b.slice(0, nb);
  return x < y ? -1 : x > y ? 1 : 0;
}

function binCmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------- SORT

interface Item {
  obj: string;
  score: number;
  cmp: string | null;
}

function sortGeneric(c: Client, a: Argv, readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | null = null;
  let storekey: string | null = null;
  const gets: string[] = [];
  const cluster = c.srv.cfg.bool("cluster-enabled");
  for (let j = 2; j < a.argc; j++) {
    const left = a.argc - j - 1;
    if (a.is(j, "asc")) desc = false;
    else if (a.is(j, "desc")) desc = true;
    else if (a.is(j, "alpha")) alpha = true;
    else if (a.is(j, "limit") && left >= 2) {
      limitStart = parseI64(a.str(j + 1));
      limitCount = parseI64(a.str(j + 2));
      if (Number.isNaN(limitStart) || Number.isNaN(limitCount)) fail(E.NOT_INT);
      j += 2;
    } else if (!readonly && a.is(j, "store") && left >= 1) {
      storekey = a.str(j + 1);
      j++;
    } else if (a.is(j, "by") && left >= 1) {
      sortby = a.str(j + 1);
      const nul = sortby.indexOf("\0");
      if ((nul < 0 ? sortby : sortby.slice(0, nul)).indexOf("*") < 0) dontsort = true;
      else if (cluster) fail("ERR BY option of SORT denied in Cluster mode.");
      j++;
    } else if (a.is(j, "get") && left >= 1) {
      if (cluster) fail("ERR GET option of SORT denied in Cluster mode.");
      gets.push(a.str(j + 1));
      j++;
    } else fail(E.SYNTAX);
  }
  const db = c.db;
  const v = db.read(a.str(1));
  let kind: "list" | "set" | "zset" = "list";
  let list: ListObj | null = null;
  let zset: ZSet | null = null;
  let members: string[] | null = null;
  if (v !== undefined) {
    if (v instanceof ListObj) {
      kind = "list";
      list = v;
    } else if (v instanceof ZSet) {
      kind = "zset";
      zset = v;
    } else {
      members = setMembers(v);
      if (members === null) fail(E.WRONGTYPE);
      kind = "set";
    }
  }
  // A set in no particular order is sorted (ALPHA) when the result is stored or scripted, so
  // replicas and the script see the same thing.
  if (dontsort && kind === "set" && (storekey !== null || c.flags & CF.FAKE)) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  // Redis converts a listpack sorted set to its skiplist form for SORT, for good.
  if (zset !== null) zset.lp = false;
  let vectorlen = list ? list.length : zset ? zset.size : members ? members.length : 0;
  let start = limitStart < 0 ? 0 : limitStart;
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;
  if ((kind === "zset" || kind === "list") && dontsort && (start !== 0 || end !== vectorlen - 1)) {
    vectorlen = end - start + 1;
  }
  const vec: Item[] = [];
  if (list !== null && dontsort) {
    if (end >= start) {
      const push = (x: string) => {
        if (vec.length >= vectorlen) return false;
        vec.push({ obj: x, score: 0, cmp: null });
      };
      if (desc) list.eachRev(list.length - start - 1, vectorlen, push);
      else list.each(start, vectorlen, push);
      end -= start;
      start = 0;
    }
  } else if (list !== null) {
    list.each(0, list.length, (x) => {
      vec.push({ obj: x, score: 0, cmp: null });
    });
  } else if (members !== null) {
    for (const m of members) vec.push({ obj: m, score: 0, cmp: null });
  } else if (zset !== null && dontsort) {
    if (vectorlen > 0) {
      const t = zset.t;
      let leaf = t.seek(desc ? zset.size - 1 - start : start);
      let i = t.si;
      for (let k = 0; k < vectorlen; k++) {
        vec.push({ obj: leaf.m[i]!, score: 0, cmp: null });
        if (desc) {
          if (--i < 0 && leaf.prev) {
            leaf = leaf.prev;
            i = leaf.m.length - 1;
          }
        } else if (++i === leaf.m.length && leaf.next) {
          leaf = leaf.next;
          i = 0;
        }
      }
    }
    end -= start;
    start = 0;
  } else if (zset !== null) {
    for (const m of zset.dict.keys()) vec.push({ obj: m, score: 0, cmp: null });
  }
  let convErr = false;
  if (!dontsort) {
    for (const it of vec) {
      let byval: string | null;
      if (sortby !== null) {
        byval = byPattern(db, sortby, it.obj);
        if (byval === null) continue;
      } else byval = it.obj;
      if (alpha) {
        if (sortby !== null) it.cmp = byval;
      } else {
        const d = sortScore(byval);
        if (Number.isNaN(d)) convErr = true;
        else it.score = d;
      }
    }
    const byPat = sortby !== null;
    const store = storekey !== null;
    const base = (x: Item, y: Item): number => {
      if (!alpha) {
        if (x.score > y.score) return 1;
        if (x.score < y.score) return -1;
        return binCmp(x.obj, y.obj);
      }
      if (byPat) {
        if (x.cmp === null || y.cmp === null) return x.cmp === y.cmp ? 0 : x.cmp === null ? -1 : 1;
        return store ? binCmp(x.cmp, y.cmp) : collate(x.cmp, y.cmp);
      }
      return store ? binCmp(x.obj, y.obj) : collate(x.obj, y.obj);
    };
    const cmp = desc ? (x: Item, y: Item) => -base(x, y) : base;
    if (byPat && (start !== 0 || end !== vec.length - 1)) pqsort(vec, cmp, start, end);
    else vec.sort(cmp);
  }
  const outputlen = gets.length ? gets.length * (end - start + 1) : end - start + 1;
  if (convErr) fail("ERR One or more scores can't be converted into double");
  if (storekey === null) {
    const out = c.out;
    out.arr(outputlen);
    for (let j = start; j <= end; j++) {
      const obj = vec[j]!.obj;
      if (!gets.length) out.bulk(obj);
      for (const g of gets) {
        const val = byPattern(db, g, obj);
        if (val === null) out.nil();
        else out.bulk(val);
      }
    }
    return;
  }
  const dst = new ListObj();
  for (let j = start; j <= end; j++) {
    const obj = vec[j]!.obj;
    if (!gets.length) dst.pushRight(obj);
    for (const g of gets) dst.pushRight(byPattern(db, g, obj) ?? "");
  }
  const ks = c.srv.ks;
  if (outputlen > 0) {
    db.set(storekey, dst);
    ks.written(db, storekey, N.LIST, "sortstore", outputlen);
  } else if (db.remove(storekey)) ks.written(db, storekey, N.GENERIC, "del");
  c.out.int(outputlen);
}

export const handlers: Handlers = {
  sort(c, a) {
    sortGeneric(c, a, false);
  },
  sort_ro(c, a) {
    sortGeneric(c, a, true);
  },
};
