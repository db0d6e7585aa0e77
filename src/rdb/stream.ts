// Streams in the RDB: the one place stream support plugs into the codec. The encoder calls
// writeStream for values of type "stream" (it writes the object body after the type byte
// streamRdbType returns); the decoder calls readStream for RDB_TYPE_STREAM_LISTPACKS (15) and
// RDB_TYPE_STREAM_LISTPACKS_2 (19) bodies.
//
// Redis 7.0 writes STREAM_LISTPACKS_2: the listpack nodes (16-byte big-endian master ID, then
// the listpack as a string), length, last ID, first ID, max deleted ID, entries added, then
// each consumer group (name, last ID, entries read, global PEL with delivery time and count,
// consumers with seen time and their PEL IDs). AiKv's stream nodes are the same nodes, so the
// listpacks written here are the ones Redis would hold: DUMP payloads are byte-identical.

import { F_DELETED, F_SAMEFIELDS, Consumer, Group, INVALID_READ, Nack, SID, SNode, StreamObj } from "../store/types/stream.ts";
import type { Obj, Value } from "../store/value.ts";
import { RDB_TYPE_STREAM_LISTPACKS, RDB_TYPE_STREAM_LISTPACKS_2 } from "./constants.ts";
import { LpBuilder, lpRead } from "./listpack.ts";
import { RdbFormatError, type RdbReader } from "./reader.ts";
import type { LoadContext } from "./value.ts";
import type { RdbWriter } from "./writer.ts";

const U64 = 1n << 64n;

/** The type byte written for a stream value (Redis 7.0 writes STREAM_LISTPACKS_2). */
export function streamRdbType(_v: Obj): number {
  return RDB_TYPE_STREAM_LISTPACKS_2;
}

const lp = new LpBuilder();

/** Appends the int64 (a - b) mod 2^64 of two uint64 word pairs. */
function addDelta(ah: number, al: number, bh: number, bl: number): void {
  let dh = ah - bh;
  let dl = al - bl;
  if (dl < 0) {
    dl += 4294967296;
    dh -= 1;
  }
  const hi = dh | 0;
  if (hi === 0) return lp.addInt(dl);
  if (hi === -1) return lp.addInt(dl - 4294967296);
  const a = (BigInt(ah) << 32n) | BigInt(al);
  const b = (BigInt(bh) << 32n) | BigInt(bl);
  lp.add(BigInt.asIntN(64, a - b).toString());
}

/** The listpack Redis keeps for a node. */
function nodeListpack(n: SNode): Buffer {
  lp.reset();
  lp.addInt(n.live);
  lp.addInt(n.dead);
  lp.addInt(n.mfields.length);
  for (const f of n.mfields) lp.add(f);
  lp.addInt(0);
  const m = n.master;
  const w = n.ids;
  for (let i = 0; i < n.n; i++) {
    const flags = n.flags[i]!;
    lp.addInt(flags);
    const o = i << 2;
    addDelta(w[o]!, w[o + 1]!, m.mh, m.ml);
    addDelta(w[o + 2]!, w[o + 3]!, m.sh, m.sl);
    const s = n.off[i]!;
    const e = n.off[i + 1]!;
    if (flags & F_SAMEFIELDS) {
      for (let k = s; k < e; k++) lp.add(n.item(k));
      lp.addInt(e - s + 3);
    } else {
      lp.addInt((e - s) >> 1);
      for (let k = s; k < e; k++) lp.add(n.item(k));
      lp.addInt(e - s + 4);
    }
  }
  return lp.finish();
}

function writeId(w: RdbWriter, id: SID): void {
  w.lenBig(id.msBig());
  w.lenBig(id.seqBig());
}

/** Writes a stream's body (listpacks of entries, metadata, consumer groups and PELs). */
export function writeStream(w: RdbWriter, v: Obj): void {
  const s = v as StreamObj;
  w.len(s.nodes.size);
  s.nodes.forEach((k, n) => {
    const key = k.bytes();
    w.stringBytes(key, 0, 16);
    const b = nodeListpack(n);
    w.stringBytes(b, 0, b.length);
  });
  w.len(s.length);
  writeId(w, s.lastId);
  writeId(w, s.firstId);
  writeId(w, s.maxDeletedId);
  w.len(s.entriesAdded);
  const groups = s.sortedGroups();
  w.len(groups.length);
  for (const g of groups) {
    w.string(g.name);
    writeId(w, g.lastId);
    w.lenBig(BigInt.asUintN(64, BigInt(g.entriesRead)));
    w.len(g.pel.size);
    g.pel.forEach((id, nack) => {
      w.raw(id.bytes());
      w.i64le(nack.time);
      w.len(nack.count);
    });
    const cons = g.sortedConsumers();
    w.len(cons.length);
    for (const c of cons) {
      w.string(c.name);
      w.i64le(c.seenTime);
      w.len(c.pel.size);
      c.pel.forEach((id) => w.raw(id.bytes()));
    }
  }
}

// ------------------------------------------------------------------------------- reading

function readId(r: RdbReader): SID {
  const ms = r.lenBig();
  const seq = r.lenBig();
  return SID.fromBig(ms, seq);
}

function int(x: string | undefined, what: string): number {
  if (x === undefined) throw new RdbFormatError(`stream listpack: missing ${what}`);
  const v = Number(x);
  if (!Number.isInteger(v) || !/^-?\d+$/.test(x)) throw new RdbFormatError(`stream listpack: bad ${what}`);
  return v;
}

/** uint64 a + int64 delta, wrapping, as words of a new SID part. */
function addWrapped(base: bigint, delta: string): bigint {
  return (base + BigInt(delta) + U64) % U64;
}

/** Rebuilds a node from its listpack (validating the layout streams use). */
function readNode(master: SID, b: Uint8Array, start: number, end: number): SNode {
  const el: string[] = [];
  lpRead(b, start, end, el);
  if (el.length === 0) throw new RdbFormatError("Empty listpack inside stream");
  let p = 0;
  const live = int(el[p++], "count");
  const dead = int(el[p++], "deleted");
  const nmf = int(el[p++], "master field count");
  if (nmf < 0 || p + nmf >= el.length) throw new RdbFormatError("stream listpack: bad master entry");
  const mfields = el.slice(p, p + nmf);
  p += nmf;
  if (el[p++] !== "0") throw new RdbFormatError("stream listpack: master entry not terminated");
  const n = new SNode(master, mfields);
  n.live = live;
  n.dead = dead;
  n.bytes = end - start;
  const mms = master.msBig();
  const mseq = master.seqBig();
  let valid = 0;
  let deleted = 0;
  let prev: SID | null = null;
  while (p < el.length) {
    const flags = int(el[p++], "flags");
    const msd = el[p++];
    const seqd = el[p++];
    if (msd === undefined || seqd === undefined) throw new RdbFormatError("stream listpack: truncated entry");
    int(msd, "ms delta");
    int(seqd, "seq delta");
    const id = SID.fromBig(addWrapped(mms, msd), addWrapped(mseq, seqd));
    let vals: string[];
    let lpCount: number;
    if (flags & F_SAMEFIELDS) {
      if (p + nmf >= el.length) throw new RdbFormatError("stream listpack: truncated entry");
      vals = el.slice(p, p + nmf);
      p += nmf;
      lpCount = nmf + 3;
    } else {
      const nf = int(el[p++], "field count");
      if (nf < 0 || p + nf * 2 >= el.length) throw new RdbFormatError("stream listpack: truncated entry");
      vals = el.slice(p, p + nf * 2);
      p += nf * 2;
      lpCount = nf * 2 + 4;
    }
    if (int(el[p++], "lp-count") !== lpCount) throw new RdbFormatError("stream listpack: bad lp-count");
    if (prev !== null && cmpIds(id, prev) <= 0) throw new RdbFormatError("stream listpack: IDs out of order");
    prev = id;
    n.push(id, flags & (F_DELETED | F_SAMEFIELDS), vals);
    if (flags & F_DELETED) deleted++;
    else valid++;
  }
  if (n.n === 0) throw new RdbFormatError("Empty listpack inside stream");
  if (valid !== live || deleted !== dead) throw new RdbFormatError("stream listpack: entry counts mismatch");
  return n;
}

function cmpIds(a: SID, b: SID): number {
  return a.mh - b.mh || a.ml - b.ml || a.sh - b.sh || a.sl - b.sl;
}

/** Reads a stream body of RDB type `type` (15 or 19). */
export function readStream(r: RdbReader, type: number, _ctx: LoadContext): Value {
  if (type !== RDB_TYPE_STREAM_LISTPACKS && type !== RDB_TYPE_STREAM_LISTPACKS_2) r.fail("unknown stream encoding");
  const s = new StreamObj();
  const nodes = r.count();
  let lastMaster: SID | null = null;
  let lastEntry: SID | null = null;
  let total = 0;
  for (let i = 0; i < nodes; i++) {
    const key = r.stringCopy();
    if (key.length !== 16) r.fail("Stream node key entry is not the size of a stream ID");
    const master = SID.fromBytes(key);
    const x = r.bytes();
    const n = readNode(master, x.b, x.start, x.end);
    if (lastMaster !== null && cmpIds(master, lastMaster) <= 0) r.fail("Listpack re-added with existing key");
    const firstEntry = n.idAt(0);
    if (cmpIds(firstEntry, master) < 0 || (lastEntry !== null && cmpIds(firstEntry, lastEntry) <= 0)) r.fail("stream node IDs out of order");
    lastMaster = master;
    lastEntry = n.idAt(n.n - 1);
    total += n.live;
    s.nodes.set(master, n);
    s.lpBytes += n.bytes;
  }
  s.length = r.count();
  if (s.length !== total) r.fail("Stream length inconsistent with its entries");
  s.lastId = readId(r);
  if (type === RDB_TYPE_STREAM_LISTPACKS_2) {
    s.firstId = readId(r);
    s.maxDeletedId = readId(r);
    s.entriesAdded = Number(r.lenBig());
  } else {
    s.entriesAdded = s.length;
    s.refreshFirstId();
  }
  if (lastEntry !== null && cmpIds(lastEntry, s.lastId) > 0) r.fail("stream last ID below its entries");
  const ngroups = r.count();
  for (let gi = 0; gi < ngroups; gi++) {
    const name = r.string();
    const lastId = readId(r);
    let entriesRead: number;
    if (type === RDB_TYPE_STREAM_LISTPACKS_2) {
      const v = BigInt.asIntN(64, r.lenBig());
      entriesRead = v < 0n ? INVALID_READ : Number(v);
    } else entriesRead = s.estimateDistance(lastId);
    if (s.groups === null) s.groups = new Map();
    if (s.groups.has(name)) r.fail(`Duplicated consumer group name ${name}`);
    const g = new Group(name, lastId, entriesRead);
    s.groups.set(name, g);
    const pel = r.count();
    for (let i = 0; i < pel; i++) {
      r.need(16);
      const id = SID.fromBytes(r.b, r.pos);
      r.pos += 16;
      const time = r.i64le();
      const count = r.count();
      if (!g.pel.set(id, new Nack(time, count, null))) r.fail("Duplicated global PEL entry loading stream consumer group");
    }
    const ncons = r.count();
    for (let ci = 0; ci < ncons; ci++) {
      const cname = r.string();
      if (g.consumers.has(cname)) r.fail("Duplicate stream consumer detected.");
      const c = new Consumer(cname, r.i64le());
      g.addConsumer(c);
      const cp = r.count();
      for (let i = 0; i < cp; i++) {
        r.need(16);
        const id = SID.fromBytes(r.b, r.pos);
        r.pos += 16;
        const nack = g.pel.get(id);
        if (nack === undefined) r.fail("Consumer entry not found in group global PEL");
        if (nack.consumer !== null || !c.pel.set(id, nack)) r.fail("Duplicated consumer PEL entry loading a stream consumer group");
        nack.consumer = c;
      }
    }
    g.pel.forEach((_id, nack) => {
      if (nack.consumer === null) r.fail("Stream CG PEL entry without consumer");
    });
  }
  return s;
}
