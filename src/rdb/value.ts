// Values <-> RDB object encodings (the type byte and the object body), the shared core of DUMP,
// RESTORE, SAVE, loading and aikv-tool.
//
// Writing follows Redis 7.0's choices so DUMP payloads are byte-identical where Redis's own
// output is a function of the value: lists as quicklists of listpacks split where Redis's
// quicklist would split a list pushed from the tail, listpack hashes in insertion order, intsets
// (smallest width that fits), listpack sorted sets with scores as d2string text, skiplist sorted
// sets from the highest score down with binary doubles, strings as rdbSaveRawString stores them.
// Hashtable-encoded hashes and sets come out in AiKv's order (Redis's own order depends on its
// hash seed).
//
// Reading accepts every encoding Redis 7.0 loads (including the ziplist/zipmap forms of older
// RDB versions), validates everything (a corrupt body throws RdbFormatError, nothing is built
// half way into the keyspace), and picks the encoding Redis would give the loaded value.

import { ListObj } from "../store/types/list.ts";
import { HashObj } from "../store/types/hash.ts";
import { SetObj, isIntMember } from "../store/types/set.ts";
import { ZSet, strtodAll } from "../store/types/zset.ts";
import { fmtG } from "../util/numbers.ts";
import type { ZLeaf } from "../store/types/ztree.ts";
import { JsonDoc } from "../store/types/json.ts";
import { StrBuf } from "../store/types/string.ts";
import type { EncodingLimits, Obj, Value } from "../store/value.ts";
import {
  QUICKLIST_NODE_CONTAINER_PACKED, QUICKLIST_NODE_CONTAINER_PLAIN, RDB_TYPE_HASH, RDB_TYPE_HASH_LISTPACK,
  RDB_TYPE_HASH_ZIPLIST, RDB_TYPE_HASH_ZIPMAP, RDB_TYPE_LIST, RDB_TYPE_LIST_QUICKLIST, RDB_TYPE_LIST_QUICKLIST_2,
  RDB_TYPE_LIST_ZIPLIST, RDB_TYPE_MODULE, RDB_TYPE_MODULE_2, RDB_TYPE_SET, RDB_TYPE_SET_INTSET, RDB_TYPE_SET_LISTPACK,
  RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2, RDB_TYPE_STRING, RDB_TYPE_ZSET, RDB_TYPE_ZSET_2,
  RDB_TYPE_ZSET_LISTPACK, RDB_TYPE_ZSET_ZIPLIST,
} from "./constants.ts";
import { intsetBytes, intsetRead, ziplistRead, zipmapRead } from "./intset.ts";
import { LpBuilder, lpRead } from "./listpack.ts";
import { lzfCompress } from "./lzf.ts";
import { readModule, writeJsonModule } from "./module.ts";
import { RdbFormatError, type RdbReader } from "./reader.ts";
import { readStream, streamRdbType, writeStream } from "./stream.ts";
import type { RdbWriter } from "./writer.ts";

/** A key whose stored collection is empty: Redis skips it when loading, RESTORE rejects it. */
export class RdbEmptyKeyError extends RdbFormatError {}

export interface LoadContext {
  /** encoding thresholds of the server loading the value */
  lim: EncodingLimits;
  /** RDB version of the data (types newer than Redis 7.0's are refused below version 11) */
  version?: number;
}

// ------------------------------------------------------------------------------------ writing

const lp = new LpBuilder();

/** The RDB type byte Redis 7.0 writes for a value. */
export function rdbTypeOf(v: Value): number {
  if (typeof v === "string" || v instanceof StrBuf) return RDB_TYPE_STRING;
  switch (v.type) {
    case "list":
      return RDB_TYPE_LIST_QUICKLIST_2;
    case "hash":
      return (v as HashObj).lp ? RDB_TYPE_HASH_LISTPACK : RDB_TYPE_HASH;
    case "set":
      return (v as SetObj).intset ? RDB_TYPE_SET_INTSET : RDB_TYPE_SET;
    case "zset":
      return (v as ZSet).lp ? RDB_TYPE_ZSET_LISTPACK : RDB_TYPE_ZSET_2;
    case "ReJSON-RL":
      return RDB_TYPE_MODULE_2;
    case "stream":
      return streamRdbType(v);
    default:
      throw new Error(`no RDB encoding for type ${(v as Obj).type}`);
  }
}

/** Writes type byte + body (rdbSaveObjectType + rdbSaveObject). */
export function writeValue(w: RdbWriter, v: Value): void {
  const t = rdbTypeOf(v);
  w.byte(t);
  writeBody(w, v, t);
}

/** Writes the object body for type byte t. */
export function writeBody(w: RdbWriter, v: Value, t: number): void {
  if (typeof v === "string") return w.string(v);
  switch (t) {
    case RDB_TYPE_STRING: {
      const sb = v as StrBuf;
      return w.stringBytes(sb.buf, 0, sb.len);
    }
    case RDB_TYPE_LIST_QUICKLIST_2:
      return writeList(w, v as ListObj);
    case RDB_TYPE_HASH_LISTPACK: {
      lp.reset();
      for (const [f, x] of (v as HashObj).m) {
        lp.add(f);
        lp.add(x);
      }
      return w.stringBytes(lp.finish());
    }
    case RDB_TYPE_HASH: {
      const m = (v as HashObj).m;
      w.len(m.size);
      for (const [f, x] of m) {
        w.string(f);
        w.string(x);
      }
      return;
    }
    case RDB_TYPE_SET_INTSET:
      return w.stringBytes(intsetBytes((v as SetObj).arr));
    case RDB_TYPE_SET: {
      const a = (v as SetObj).arr;
      w.len(a.length);
      for (let i = 0; i < a.length; i++) w.string(a[i]!);
      return;
    }
    case RDB_TYPE_ZSET_LISTPACK: {
      lp.reset();
      for (let l: ZLeaf | null = (v as ZSet).t.head; l !== null; l = l.next) {
        const lm = l.m;
        const ls = l.s;
        for (let i = 0; i < lm.length; i++) {
          lp.add(lm[i]!);
          lp.add(scoreText(ls[i]!));
        }
      }
      return w.stringBytes(lp.finish());
    }
    case RDB_TYPE_ZSET_2: {
      const z = v as ZSet;
      w.len(z.size);
      // highest first, as Redis walks its skiplist from the tail
      for (let l: ZLeaf | null = z.t.tail; l !== null; l = l.prev) {
        const lm = l.m;
        const ls = l.s;
        for (let i = lm.length - 1; i >= 0; i--) {
          w.string(lm[i]!);
          w.binDouble(ls[i]!);
        }
      }
      return;
    }
    case RDB_TYPE_MODULE_2:
      return writeJsonModule(w, v as JsonDoc);
    default:
      if (typeof v === "object" && v.type === "stream") return writeStream(w, v);
      throw new Error(`no RDB encoding for type byte ${t}`);
  }
}

/**
 * A score as Redis 7.0's d2string writes it into a listpack: integers (within +-2^62, the
 * double2ll range) as exact integer digits, -0 as "0", infinities as "inf"/"-inf", anything
 * else with "%.17g".
 */
export function scoreText(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isInteger(d) && d >= -4611686018427387904 && d <= 4611686018427387904) {
    if (d === 0) return "0";
    return d >= -9007199254740991 && d <= 9007199254740991 ? String(d) : BigInt(d).toString();
  }
  return fmtG(d, 17);
}

// Quicklist node fill (Redis 7.0's _quicklistNodeAllowInsert with list-max-listpack-size).
const OPTIMIZATION_LEVEL = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;
const PACKED_THRESHOLD = 1 << 30;

/** Redis 7.0 over-estimates what one element adds to a listpack by this much. */
const SIZE_ESTIMATE_OVERHEAD = 8;

function allowInsert(nodeBytes: number, nodeCount: number, sz: number, fill: number): boolean {
  if (sz >= PACKED_THRESHOLD) return false;
  const newSz = nodeBytes + sz + SIZE_ESTIMATE_OVERHEAD;
  if (fill < 0) {
    const lvl = -fill - 1;
    if (lvl < OPTIMIZATION_LEVEL.length && newSz <= OPTIMIZATION_LEVEL[lvl]!) return true;
  }
  if (newSz > SIZE_SAFETY_LIMIT) return false;
  return nodeCount < fill;
}

/** Quicklist nodes waiting to be written (only when list-compress-depth needs their count). */
interface PendingNode {
  plain: boolean;
  bytes: Uint8Array;
}

let lzNode = new Uint8Array(8192);

function writeList(w: RdbWriter, l: ListObj): void {
  let fill = w.opts.listFill;
  if (fill > 32767) fill = 32767;
  else if (fill < -5) fill = -5;
  const depth = w.opts.listCompressDepth;
  // Node count first: one pass to find the node boundaries.
  const nodes: PendingNode[] = [];
  let count = 0;
  lp.reset();
  let inNode = 0;
  const emit = (): void => {
    if (inNode === 0) return;
    nodes.push({ plain: false, bytes: Uint8Array.prototype.slice.call(lp.finish()) });
    lp.reset();
    inNode = 0;
  };
  l.each(0, l.length, (x) => {
    if (x.length >= PACKED_THRESHOLD) {
      emit();
      nodes.push({ plain: true, bytes: Buffer.from(x, "latin1") });
      return;
    }
    if (inNode > 0 && !allowInsert(lp.bytes, inNode, x.length, fill)) emit();
    lp.add(x);
    inNode++;
  });
  emit();
  count = nodes.length;
  w.len(count);
  for (let i = 0; i < count; i++) {
    const n = nodes[i]!;
    w.len(n.plain ? QUICKLIST_NODE_CONTAINER_PLAIN : QUICKLIST_NODE_CONTAINER_PACKED);
    const b = n.bytes;
    // Interior nodes of a compressed quicklist are kept LZF-compressed and saved as such.
    if (depth > 0 && !n.plain && i >= depth && i < count - depth && b.length >= 48) {
      if (lzNode.length < b.length) lzNode = new Uint8Array(b.length * 2);
      const clen = lzfCompress(b, 0, b.length, lzNode, 0, b.length);
      if (clen !== 0 && clen + 8 < b.length) {
        w.lzfBlob(lzNode, 0, clen, b.length);
        continue;
      }
    }
    w.stringBytes(b);
  }
}

// ------------------------------------------------------------------------------------ reading

const items: string[] = [];

function readBlobItems(r: RdbReader, kind: "lp" | "zl" | "zm" | "is"): string[] {
  items.length = 0;
  const x = r.bytes();
  if (kind === "lp") lpRead(x.b, x.start, x.end, items);
  else if (kind === "zl") ziplistRead(x.b, x.start, x.end, items);
  else if (kind === "zm") zipmapRead(x.b, x.start, x.end, items);
  else return intsetRead(x.b, x.start, x.end);
  return items;
}

/** Sanity bound for declared element counts: each element takes at least one byte. */
function checkCount(r: RdbReader, n: number, perItem: number): void {
  if (n * perItem > r.end - r.pos) r.fail("element count exceeds the data");
}

/** Reads the object body of RDB type `t` (rdbLoadObject). */
export function readValue(r: RdbReader, t: number, ctx: LoadContext): Value {
  const lim = ctx.lim;
  switch (t) {
    case RDB_TYPE_STRING:
      return r.string();

    case RDB_TYPE_LIST: {
      const n = r.count();
      checkCount(r, n, 1);
      const l = new ListObj();
      for (let i = 0; i < n; i++) l.pushRight(r.string());
      if (l.length === 0) throw new RdbEmptyKeyError("empty list");
      return l;
    }
    case RDB_TYPE_LIST_ZIPLIST: {
      const a = readBlobItems(r, "zl");
      if (a.length === 0) throw new RdbEmptyKeyError("empty list");
      const l = new ListObj();
      for (let i = 0; i < a.length; i++) l.pushRight(a[i]!);
      return l;
    }
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2: {
      const n = r.count();
      checkCount(r, n, 2);
      const l = new ListObj();
      for (let i = 0; i < n; i++) {
        let container = QUICKLIST_NODE_CONTAINER_PACKED;
        if (t === RDB_TYPE_LIST_QUICKLIST_2) {
          container = r.count();
          if (container !== QUICKLIST_NODE_CONTAINER_PACKED && container !== QUICKLIST_NODE_CONTAINER_PLAIN) {
            r.fail("quicklist: bad node container");
          }
        }
        if (container === QUICKLIST_NODE_CONTAINER_PLAIN) {
          l.pushRight(r.string());
          continue;
        }
        const a = readBlobItems(r, t === RDB_TYPE_LIST_QUICKLIST ? "zl" : "lp");
        for (let k = 0; k < a.length; k++) l.pushRight(a[k]!);
      }
      if (l.length === 0) throw new RdbEmptyKeyError("empty list");
      return l;
    }

    case RDB_TYPE_SET: {
      const n = r.count();
      if (n === 0) throw new RdbEmptyKeyError("empty set");
      checkCount(r, n, 1);
      const s = new SetObj();
      if (n > lim.setMaxIntsetEntries) s.toHashtable();
      for (let i = 0; i < n; i++) if (!s.add(r.string(), lim)) r.fail("duplicate set members");
      return s;
    }
    case RDB_TYPE_SET_INTSET: {
      const a = readBlobItems(r, "is");
      if (a.length === 0) throw new RdbEmptyKeyError("empty set");
      const s = new SetObj();
      const big = { ...lim, setMaxIntsetEntries: Infinity };
      for (let i = 0; i < a.length; i++) s.add(a[i]!, big);
      if (a.length > lim.setMaxIntsetEntries) s.toHashtable();
      return s;
    }
    case RDB_TYPE_SET_LISTPACK: {
      if ((ctx.version ?? 10) < 11) r.fail("set listpacks need RDB version 11");
      const a = readBlobItems(r, "lp");
      if (a.length === 0) throw new RdbEmptyKeyError("empty set");
      const s = new SetObj();
      let ints = a.length <= lim.setMaxIntsetEntries;
      for (let i = 0; ints && i < a.length; i++) ints = isIntMember(a[i]!);
      if (!ints) s.toHashtable();
      for (let i = 0; i < a.length; i++) if (!s.add(a[i]!, lim)) r.fail("duplicate set members");
      return s;
    }

    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2: {
      const n = r.count();
      if (n === 0) throw new RdbEmptyKeyError("empty zset");
      checkCount(r, n, 2);
      const ms: string[] = new Array(n);
      const ss: number[] = new Array(n);
      for (let i = 0; i < n; i++) {
        ms[i] = r.string();
        const sc = t === RDB_TYPE_ZSET_2 ? r.binDouble() : r.textDouble();
        if (Number.isNaN(sc)) r.fail("zset with NaN score");
        ss[i] = sc;
      }
      return buildZSet(r, ms, ss, true, lim);
    }
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK: {
      const a = readBlobItems(r, t === RDB_TYPE_ZSET_LISTPACK ? "lp" : "zl");
      if (a.length === 0) throw new RdbEmptyKeyError("empty zset");
      if (a.length % 2 !== 0) r.fail("zset listpack with an odd number of elements");
      const n = a.length / 2;
      const ms: string[] = new Array(n);
      const ss: number[] = new Array(n);
      for (let i = 0; i < n; i++) {
        ms[i] = a[2 * i]!;
        const sc = strtodAll(a[2 * i + 1]!);
        if (Number.isNaN(sc)) r.fail("zset listpack with a bad score");
        ss[i] = sc;
      }
      return buildZSet(r, ms, ss, false, lim);
    }

    case RDB_TYPE_HASH: {
      const n = r.count();
      if (n === 0) throw new RdbEmptyKeyError("empty hash");
      checkCount(r, n, 2);
      const h = new HashObj();
      if (n > lim.hashMaxListpackEntries) h.lp = false;
      for (let i = 0; i < n; i++) {
        const f = r.string();
        if (!h.set(f, r.string(), lim)) r.fail("duplicate hash fields");
      }
      return h;
    }
    case RDB_TYPE_HASH_ZIPMAP:
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK: {
      const a = readBlobItems(r, t === RDB_TYPE_HASH_LISTPACK ? "lp" : t === RDB_TYPE_HASH_ZIPLIST ? "zl" : "zm");
      if (a.length === 0) throw new RdbEmptyKeyError("empty hash");
      if (a.length % 2 !== 0) r.fail("hash listpack with an odd number of elements");
      const h = new HashObj();
      const big = { ...lim, hashMaxListpackEntries: Infinity, hashMaxListpackValue: Infinity };
      let maxLen = 0;
      for (let i = 0; i < a.length; i += 2) {
        const f = a[i]!;
        const x = a[i + 1]!;
        if (!h.set(f, x, big)) r.fail("duplicate hash fields");
        if (f.length > maxLen) maxLen = f.length;
        if (x.length > maxLen) maxLen = x.length;
      }
      if (h.size > lim.hashMaxListpackEntries || (t !== RDB_TYPE_HASH_LISTPACK && maxLen > lim.hashMaxListpackValue)) h.lp = false;
      return h;
    }

    case RDB_TYPE_MODULE_2:
      return readModule(r);
    case RDB_TYPE_MODULE:
      return r.fail("module values of RDB version 8 and older are not supported");

    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
      return readStream(r, t, ctx);
  }
  return r.fail(`unknown object type ${t}`);
}

/** A sorted set from (member, score) pairs in any order, with Redis's encoding choice after load. */
function buildZSet(r: RdbReader, ms: string[], ss: number[], fromSkiplist: boolean, lim: EncodingLimits): ZSet {
  const n = ms.length;
  // ZSET_2 bodies come highest first; listpacks lowest first. Anything else gets sorted.
  let asc = true;
  let desc = true;
  for (let i = 1; i < n && (asc || desc); i++) {
    const c = ss[i - 1]! < ss[i]! ? -1 : ss[i - 1]! > ss[i]! ? 1 : ms[i - 1]! < ms[i]! ? -1 : ms[i - 1]! > ms[i]! ? 1 : 0;
    if (c >= 0) asc = false;
    if (c <= 0) desc = false;
  }
  let om = ms;
  let os = ss;
  if (!asc) {
    if (desc) {
      om = ms.slice().reverse();
      os = ss.slice().reverse();
    } else {
      const idx = Array.from({ length: n }, (_, i) => i);
      idx.sort((a, b) => (ss[a]! < ss[b]! ? -1 : ss[a]! > ss[b]! ? 1 : ms[a]! < ms[b]! ? -1 : ms[a]! > ms[b]! ? 1 : 0));
      om = idx.map((i) => ms[i]!);
      os = idx.map((i) => ss[i]!);
    }
  }
  const seen = new Set<string>();
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    const m = om[i]!;
    if (seen.has(m)) r.fail("duplicate zset members");
    seen.add(m);
    if (m.length > maxLen) maxLen = m.length;
  }
  const z = ZSet.fromSorted(om, os);
  if (fromSkiplist) z.settle(maxLen, lim);
  else {
    z.lp = n <= lim.zsetMaxListpackEntries;
  }
  return z;
}
