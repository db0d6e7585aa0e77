// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST (Redis 7.0 hyperloglog.c
// semantics). HLLs are plain strings in Redis's byte format (src/store/types/hll.ts).

import { E, fail } from "../errors.ts";
import type { Client } from "../server/client.ts";
import { N } from "../store/notify.ts";
import {
  createHll, decodeSparse, denseRegisters, denseRegs, cacheValid, cachedCard, hllAdd, hllCount, hllMerge,
  invalidateCache, isValidHll, rawCount, setCachedCard, sparseSet, sparseToDense, murmur64a,
  HLL_DENSE, HLL_DENSE_SIZE, HLL_ERR, HLL_REGISTERS, HLL_SPARSE,
} from "../store/types/hll.ts";
import { readBytes, StrBuf, unshare } from "../store/types/string.ts";
import type { Value } from "../store/value.ts";
import type { Handlers } from "./table.ts";

/** The bytes of a valid HLL value, or the error Redis gives (WRONGTYPE either way). */
function hllBytes(v: Value): Uint8Array {
  if (typeof v !== "string" && !(v instanceof StrBuf)) fail(E.WRONGTYPE);
  const b = readBytes(v);
  if (!isValidHll(b)) fail(HLL_ERR.WRONGTYPE);
  return b;
}

/** A valid HLL at key, made editable in place (dbUnshareStringValue). */
function hllForWrite(c: Client, key: string, v: Value): StrBuf {
  hllBytes(v);
  return unshare(c.db, key, v as string | StrBuf);
}

function sparseMax(c: Client): number {
  return c.srv.cfg.num("hll-sparse-max-bytes");
}

const regs = new Uint8Array(HLL_REGISTERS);

export const handlers: Handlers = {
  pfadd(c, a) {
    const key = a.str(1);
    const db = c.db;
    const v = db.lookup(key);
    let updated = 0;
    let sb: StrBuf;
    if (v === undefined) {
      sb = createHll();
      db.add(key, sb);
      updated++;
    } else sb = hllForWrite(c, key, v);
    const max = a.argc > 2 ? sparseMax(c) : 0;
    for (let j = 2; j < a.argc; j++) {
      const r = hllAdd(sb, a.buf, a.offs[j * 2]!, a.len(j), max);
      if (r === 1) updated++;
      else if (r === -1) fail(HLL_ERR.INVALID);
    }
    if (updated) {
      invalidateCache(sb);
      c.srv.ks.written(db, key, N.STRING, "pfadd", updated);
    }
    c.out.int(updated ? 1 : 0);
  },

  pfcount(c, a) {
    const db = c.db;
    if (a.argc > 2) {
      regs.fill(0);
      for (let j = 1; j < a.argc; j++) {
        const v = db.read(a.str(j));
        if (v === undefined) continue;
        const b = hllBytes(v);
        if (!hllMerge(regs, b, b.length)) fail(HLL_ERR.INVALID);
      }
      c.out.int(rawCount(regs));
      return;
    }
    const key = a.str(1);
    const v = db.read(key);
    if (v === undefined) {
      c.out.int(0);
      return;
    }
    const sb = hllForWrite(c, key, v);
    if (cacheValid(sb.buf)) {
      const card = cachedCard(sb.buf);
      if (typeof card === "bigint") c.out.bigint(card);
      else c.out.int(card);
      return;
    }
    const card = hllCount(sb.buf, sb.len);
    if (card < 0) fail(HLL_ERR.INVALID);
    setCachedCard(sb, card);
    c.srv.ks.modified(db, key);
    c.srv.ks.dirty++;
    c.out.int(card);
  },

  pfmerge(c, a) {
    const db = c.db;
    regs.fill(0);
    let useDense = false;
    for (let j = 1; j < a.argc; j++) {
      const v = db.read(a.str(j));
      if (v === undefined) continue;
      const b = hllBytes(v);
      if (b[4] === HLL_DENSE) useDense = true;
      if (!hllMerge(regs, b, b.length)) fail(HLL_ERR.INVALID);
    }
    const key = a.str(1);
    const v = db.lookup(key);
    let sb: StrBuf;
    if (v === undefined) {
      sb = createHll();
      db.add(key, sb);
    } else sb = unshare(db, key, v as string | StrBuf);
    if (useDense && !sparseToDense(sb)) fail(HLL_ERR.INVALID);
    const max = sparseMax(c);
    for (let j = 0; j < HLL_REGISTERS; j++) {
      const r = regs[j]!;
      if (r === 0) continue;
      if (sb.buf[4] === HLL_DENSE) {
        if (r > denseRegs.get(sb.buf, j)) denseRegs.set(sb.buf, j, r);
      } else if (sb.buf[4] === HLL_SPARSE) sparseSet(sb, j, r, max);
    }
    invalidateCache(sb);
    c.srv.ks.written(db, key, N.STRING, "pfadd");
    c.out.ok();
  },

  pfdebug(c, a) {
    const cmd = a.str(1);
    const key = a.str(2);
    const db = c.db;
    const v = db.lookup(key);
    if (v === undefined) fail("ERR The specified key does not exist");
    const sb = hllForWrite(c, key, v);
    const sub = cmd.toLowerCase();
    if (sub === "getreg") {
      if (sb.buf[4] === HLL_SPARSE) {
        if (!sparseToDense(sb)) fail(HLL_ERR.INVALID);
        c.srv.ks.dirty++;
      }
      const r = denseRegisters(sb.buf);
      c.out.arr(r.length);
      for (const x of r) c.out.int(x);
    } else if (sub === "decode") {
      if (sb.buf[4] !== HLL_SPARSE) fail("ERR HLL encoding is not sparse");
      c.out.bulk(decodeSparse(sb.buf, sb.len));
    } else if (sub === "encoding") {
      c.out.status(sb.buf[4] === HLL_DENSE ? "dense" : "sparse");
    } else if (sub === "todense") {
      let conv = 0;
      if (sb.buf[4] === HLL_SPARSE) {
        if (!sparseToDense(sb)) fail(HLL_ERR.INVALID);
        conv = 1;
        c.srv.ks.dirty++;
      }
      c.out.int(conv);
    } else fail(`ERR Unknown PFDEBUG subcommand '${cmd}'`);
  },

  pfselftest(c) {
    const err = selfTest();
    if (err) fail(`TESTFAILED ${err}`);
    c.out.ok();
  },
};

/** A quick check of the register packing, the hash, and the estimator's error bounds. */
function selfTest(): string | null {
  const b = new Uint8Array(HLL_DENSE_SIZE + 1);
  const want = new Uint8Array(HLL_REGISTERS);
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let k = 0; k < 1000; k++) {
    for (let i = 0; i < HLL_REGISTERS; i += 97) {
      const r = rnd() & 63;
      want[i] = r;
      denseRegs.set(b, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i += 97) if (denseRegs.get(b, i) !== want[i]) return "Register error";
  }
  if (murmur64a(Buffer.from("")) === murmur64a(Buffer.from("a"))) return "Hash error";
  // Estimator: relative error within 5 sigma (1.04/sqrt(m)) along the way.
  const hll = createHll();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const ele = Buffer.alloc(8);
  for (let n = 1; n <= 20000; n++) {
    ele.writeUInt32LE(rnd(), 0);
    ele.writeUInt32LE(n, 4);
    hllAdd(hll, ele, 0, 8, 3000);
    if (n % 1000 === 0) {
      const est = hllCount(hll.buf, hll.len);
      if (Math.abs(est - n) / n > relerr * 5 && n > 100) return `error of ${est} vs ${n}`;
    }
  }
  return null;
}
