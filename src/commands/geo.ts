// Geo commands over sorted sets (Redis 7.0 geo.c semantics): GEOADD GEOPOS GEODIST GEOHASH
// GEORADIUS[_RO] GEORADIUSBYMEMBER[_RO] GEOSEARCH GEOSEARCHSTORE. Members' scores are 52-bit
// geohashes (src/store/geohash.ts).

import { E, fail } from "../errors.ts";
import { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { propagateAs } from "../server/propagate.ts";
import { N } from "../store/notify.ts";
import {
  BOX, CIRCLE, cellScores, decodeScore, distance, fmtFixed, fmtHuman, geohashString, geoScore, lastDistance,
  searchCells, withinShape, GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, type Shape,
} from "../store/geohash.ts";
import { asZSet, ZSet } from "../store/types/zset.ts";
import { parseDouble, parseI64 } from "../util/numbers.ts";
import { pqsort } from "./sort.ts";
import { handlers as zsetHandlers } from "./zsets.ts";
import type { Handlers } from "./table.ts";

const GE = {
  UNIT: "ERR unsupported unit provided. please use M, KM, FT, MI",
  RADIUS: "ERR need numeric radius",
  RADIUS_NEG: "ERR radius cannot be negative",
  WIDTH: "ERR need numeric width",
  HEIGHT: "ERR need numeric height",
  BOX_NEG: "ERR height or width cannot be negative",
  MEMBER: "ERR could not decode requested zset member",
  COUNT: "ERR COUNT must be > 0",
  ANY: "ERR the ANY argument requires COUNT argument",
} as const;

function readZ(c: Client, key: string): ZSet | null {
  const v = c.db.read(key);
  return v === undefined ? null : asZSet(v);
}

function dbl(a: Argv, i: number, msg: string = E.NOT_FLOAT): number {
  const d = parseDouble(a.str(i));
  if (Number.isNaN(d)) fail(msg);
  return d;
}

/** extractLongLatOrReply */
function lonLat(a: Argv, i: number): [number, number] {
  const x = dbl(a, i);
  const y = dbl(a, i + 1);
  if (x < GEO_LONG_MIN || x > GEO_LONG_MAX || y < GEO_LAT_MIN || y > GEO_LAT_MAX) {
    fail(`ERR invalid longitude,latitude pair ${fmtFixed(x, 6)},${fmtFixed(y, 6)}`);
  }
  return [x, y];
}

/** extractUnitOrReply */
function unit(a: Argv, i: number): number {
  if (a.is(i, "m")) return 1;
  if (a.is(i, "km")) return 1000;
  if (a.is(i, "ft")) return 0.3048;
  if (a.is(i, "mi")) return 1609.34;
  return fail(GE.UNIT);
}

/** addReplyHumanLongDouble */
function human(c: Client, d: number): void {
  const s = fmtHuman(d);
  if (c.out.proto === 3) c.out.ascii(`,${s}\r\n`);
  else c.out.bulk(s);
}

/** addReplyDoubleDistance ("%.4f", a bulk in both protocols) */
function distReply(c: Client, d: number): void {
  c.out.bulk(fmtFixed(d, 4));
}

// ---------------------------------------------------------------- search

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

interface Point {
  member: string;
  score: number;
  x: number;
  y: number;
  dist: number;
}

/** The member's position, or the "could not decode" error. */
function memberPos(z: ZSet, member: string): [number, number] {
  const s = z.score(member);
  if (s === undefined) fail(GE.MEMBER);
  return decodeScore(s);
}

/** membersOfAllNeighbors: candidate cells in Redis's order, each scanned by score range. */
function findPoints(z: ZSet, shape: Shape, limit: number): Point[] {
  const cells = searchCells(shape);
  const found: Point[] = [];
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const h = cells[i];
    if (h === null || h === undefined) continue;
    const prev = cells[last];
    if (last && prev && h.bits === prev.bits && h.step === prev.step) continue;
    if (found.length && limit && found.length >= limit) break;
    const [min, max] = cellScores(h);
    const t = z.t;
    let r = t.countBelow(1, min, "");
    if (r < t.size) {
      let leaf = t.seek(r);
      let j = t.si;
      while (leaf) {
        const score = leaf.s[j]!;
        if (!(score < max)) break;
        const [x, y] = decodeScore(score);
        if (withinShape(shape, x, y)) {
          found.push({ member: leaf.m[j]!, score, x, y, dist: lastDistance });
          if (limit && found.length >= limit) break;
        }
        if (++j === leaf.m.length) {
          leaf = leaf.next!;
          j = 0;
        }
        r++;
      }
    }
    last = i;
  }
  return found;
}

const byDistAsc = (p: Point, q: Point) => (p.dist > q.dist ? 1 : p.dist === q.dist ? 0 : -1);
const byDistDesc = (p: Point, q: Point) => (p.dist < q.dist ? 1 : p.dist === q.dist ? 0 : -1);

/** georadiusGeneric */
function georadius(c: Client, a: Argv, srcIdx: number, flags: number): void {
  let storeKey: string | null = null;
  let storeDist = false;
  const z = readZ(c, a.str(srcIdx));
  const shape: Shape = { type: CIRCLE, x: 0, y: 0, conversion: 1, radius: 0, width: 0, height: 0 };
  let base: number;
  const radiusArgs = (i: number) => {
    const r = dbl(a, i, GE.RADIUS);
    if (r < 0) fail(GE.RADIUS_NEG);
    shape.radius = r;
    shape.conversion = unit(a, i + 1);
  };
  if (flags & RADIUS_COORDS) {
    base = 6;
    [shape.x, shape.y] = lonLat(a, 2);
    radiusArgs(base - 2);
  } else if (flags & RADIUS_MEMBER && z === null) {
    base = 5;
  } else if (flags & RADIUS_MEMBER) {
    base = 5;
    [shape.x, shape.y] = memberPos(z!, a.str(2));
    radiusArgs(base - 2);
  } else {
    base = 2;
    if (flags & GEOSEARCHSTORE) {
      base = 3;
      storeKey = a.str(1);
    }
  }
  let withdist = false;
  let withhash = false;
  let withcoord = false;
  let fromMember = false;
  let fromLoc = false;
  let byRadius = false;
  let byBox = false;
  let sort = 0; // 0 none, 1 asc, 2 desc
  let any = false;
  let count = 0;
  const remaining = a.argc - base;
  for (let i = 0; i < remaining; i++) {
    const j = base + i;
    if (a.is(j, "withdist")) withdist = true;
    else if (a.is(j, "withhash")) withhash = true;
    else if (a.is(j, "withcoord")) withcoord = true;
    else if (a.is(j, "any")) any = true;
    else if (a.is(j, "asc")) sort = 1;
    else if (a.is(j, "desc")) sort = 2;
    else if (a.is(j, "count") && i + 1 < remaining) {
      count = parseI64(a.str(j + 1));
      if (Number.isNaN(count)) fail(E.NOT_INT);
      if (count <= 0) fail(GE.COUNT);
      i++;
    } else if (a.is(j, "store") && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storeKey = a.str(j + 1);
      storeDist = false;
      i++;
    } else if (a.is(j, "storedist") && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storeKey = a.str(j + 1);
      storeDist = true;
      i++;
    } else if (a.is(j, "storedist") && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storeDist = true;
    } else if (a.is(j, "frommember") && i + 1 < remaining && flags & GEOSEARCH && !fromLoc) {
      if (z !== null) [shape.x, shape.y] = memberPos(z, a.str(j + 1));
      fromMember = true;
      i++;
    } else if (a.is(j, "fromlonlat") && i + 2 < remaining && flags & GEOSEARCH && !fromMember) {
      [shape.x, shape.y] = lonLat(a, j + 1);
      fromLoc = true;
      i += 2;
    } else if (a.is(j, "byradius") && i + 2 < remaining && flags & GEOSEARCH && !byBox) {
      radiusArgs(j + 1);
      shape.type = CIRCLE;
      byRadius = true;
      i += 2;
    } else if (a.is(j, "bybox") && i + 3 < remaining && flags & GEOSEARCH && !byRadius) {
      const w = dbl(a, j + 1, GE.WIDTH);
      const h = dbl(a, j + 2, GE.HEIGHT);
      if (h < 0 || w < 0) fail(GE.BOX_NEG);
      shape.width = w;
      shape.height = h;
      shape.conversion = unit(a, j + 3);
      shape.type = BOX;
      byBox = true;
      i += 3;
    } else fail(E.SYNTAX);
  }
  if (storeKey !== null && (withdist || withhash || withcoord)) {
    fail(`ERR ${flags & GEOSEARCHSTORE ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (flags & GEOSEARCH && !(fromMember || fromLoc)) {
    fail(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${a.str(0)}`);
  }
  if (flags & GEOSEARCH && !(byRadius || byBox)) {
    fail(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${a.str(0)}`);
  }
  if (any && !count) fail(GE.ANY);
  const db = c.db;
  const ks = c.srv.ks;
  if (z === null) {
    if (storeKey !== null) {
      if (db.remove(storeKey)) ks.written(db, storeKey, N.GENERIC, "del");
      c.out.int(0);
    } else c.out.emptyArr();
    return;
  }
  if (count !== 0 && sort === 0 && !any) sort = 1;
  const found = findPoints(z, shape, any ? count : 0);
  if (found.length === 0 && storeKey === null) {
    c.out.emptyArr();
    return;
  }
  const n = count === 0 || found.length < count ? found.length : count;
  if (sort !== 0) {
    const cmp = sort === 1 ? byDistAsc : byDistDesc;
    // A full sort is glibc's qsort (a stable merge sort); a partial one is Redis's pqsort,
    // whose order among equal distances is that algorithm's.
    if (n === found.length) found.sort(cmp);
    else pqsort(found, cmp, 0, n - 1);
  }
  if (storeKey === null) {
    const opts = (withdist ? 1 : 0) + (withcoord ? 1 : 0) + (withhash ? 1 : 0);
    const out = c.out;
    out.arr(n);
    for (let i = 0; i < n; i++) {
      const p = found[i]!;
      if (opts) out.arr(opts + 1);
      out.bulk(p.member);
      if (withdist) distReply(c, p.dist / shape.conversion);
      if (withhash) out.int(Math.trunc(p.score));
      if (withcoord) {
        out.arr(2);
        human(c, p.x);
        human(c, p.y);
      }
    }
    return;
  }
  if (n === 0) {
    if (db.remove(storeKey)) ks.written(db, storeKey, N.GENERIC, "del");
    c.out.int(0);
    return;
  }
  const items = found.slice(0, n).map((p) => ({ m: p.member, s: storeDist ? p.dist / shape.conversion : p.score }));
  items.sort((p, q) => (p.s < q.s ? -1 : p.s > q.s ? 1 : p.m < q.m ? -1 : p.m > q.m ? 1 : 0));
  let maxLen = 0;
  for (const it of items) if (it.m.length > maxLen) maxLen = it.m.length;
  const dst = ZSet.fromSorted(items.map((it) => it.m), items.map((it) => it.s));
  dst.settle(maxLen, c.srv.enc);
  db.set(storeKey, dst);
  ks.written(db, storeKey, N.ZSET, flags & GEOSEARCH ? "geosearchstore" : "georadiusstore", n);
  c.out.int(n);
}

// ---------------------------------------------------------------- handlers

export const handlers: Handlers = {
  geoadd(c, a) {
    let nx = false;
    let xx = false;
    let li = 2;
    while (li < a.argc) {
      if (a.is(li, "nx")) nx = true;
      else if (a.is(li, "xx")) xx = true;
      else if (a.is(li, "ch")) {
        // passed through to ZADD
      } else break;
      li++;
    }
    if ((a.argc - li) % 3 !== 0 || (xx && nx)) fail(E.SYNTAX);
    const elements = (a.argc - li) / 3;
    const zargs: string[] = ["zadd"];
    for (let i = 1; i < li; i++) zargs.push(a.str(i));
    for (let i = 0; i < elements; i++) {
      const [x, y] = lonLat(a, li + i * 3);
      zargs.push(String(geoScore(x, y)!), a.str(li + i * 3 + 2));
    }
    const dirty = c.srv.ks.dirty;
    zsetHandlers.zadd!(c, Argv.of(zargs));
    // Replicated as the ZADD it turned into.
    if (c.srv.ks.dirty !== dirty) propagateAs(c, zargs);
  },

  geopos(c, a) {
    const z = readZ(c, a.str(1));
    c.out.arr(a.argc - 2);
    for (let j = 2; j < a.argc; j++) {
      const s = z?.score(a.str(j));
      if (s === undefined) c.out.nilArray();
      else {
        const [x, y] = decodeScore(s);
        c.out.arr(2);
        human(c, x);
        human(c, y);
      }
    }
  },

  geodist(c, a) {
    let toMeter = 1;
    if (a.argc === 5) toMeter = unit(a, 4);
    else if (a.argc > 5) fail(E.SYNTAX);
    const z = readZ(c, a.str(1));
    if (z === null) {
      c.out.nil();
      return;
    }
    const s1 = z.score(a.str(2));
    const s2 = z.score(a.str(3));
    if (s1 === undefined || s2 === undefined) {
      c.out.nil();
      return;
    }
    const [x1, y1] = decodeScore(s1);
    const [x2, y2] = decodeScore(s2);
    distReply(c, distance(x1, y1, x2, y2) / toMeter);
  },

  geohash(c, a) {
    const z = readZ(c, a.str(1));
    c.out.arr(a.argc - 2);
    for (let j = 2; j < a.argc; j++) {
      const s = z?.score(a.str(j));
      if (s === undefined) c.out.nil();
      else c.out.bulk(geohashString(s));
    }
  },

  georadius(c, a) {
    georadius(c, a, 1, RADIUS_COORDS);
  },
  georadius_ro(c, a) {
    georadius(c, a, 1, RADIUS_COORDS | RADIUS_NOSTORE);
  },
  georadiusbymember(c, a) {
    georadius(c, a, 1, RADIUS_MEMBER);
  },
  georadiusbymember_ro(c, a) {
    georadius(c, a, 1, RADIUS_MEMBER | RADIUS_NOSTORE);
  },
  geosearch(c, a) {
    georadius(c, a, 1, GEOSEARCH);
  },
  geosearchstore(c, a) {
    georadius(c, a, 2, GEOSEARCH | GEOSEARCHSTORE);
  },
};
