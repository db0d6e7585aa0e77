// Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO.
// Bit 0 is the most significant bit of the first byte, as in Redis. Writes turn the value
// into an editable StrBuf (Redis's raw encoding); reads never change the encoding.
// A SETBIT or BITFIELD that changes nothing (same bits, no growth) signals no write and
// is not propagated, like Redis 7.0.

import { E, fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { CF, type Client } from "../server/client.ts";
import { N } from "../store/notify.ts";
import {
  BitOp,
  StrBuf,
  bitcountBits,
  bitop,
  findBit,
  getBitfield,
  readBytes,
  setBitfield,
  stringOrFail,
  unshare,
} from "../store/types/string.ts";
import { parseI64 } from "../util/numbers.ts";
import type { Handlers } from "./table.ts";

const BITFIELD_TYPE_ERR = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/**
 * A bit offset argument (getBitOffsetFromArgument): an int64, optionally "#N" meaning
 * N * bits (BITFIELD), non-negative and within proto-max-bulk-len bytes.
 */
function bitOffset(c: Client, a: Argv, i: number, hash: boolean, bits: number): number {
  let s = a.str(i);
  const useHash = hash && s.length > 0 && s.charCodeAt(0) === 35;
  if (useHash) s = s.slice(1);
  let n = parseI64(s);
  if (Number.isNaN(n)) fail(E.BIT_OFFSET);
  if (useHash) {
    n *= bits;
    // int64 multiplication wraps in Redis
    if (Math.abs(n) > Number.MAX_SAFE_INTEGER) n = Number(BigInt.asIntN(64, BigInt(s) * BigInt(bits)));
  }
  if (n < 0 || (!(c.flags & CF.MASTER) && Math.floor(n / 8) >= c.srv.limits.maxBulk)) fail(E.BIT_OFFSET);
  return n;
}

/** A long argument (NOT_INT when invalid). */
function longArg(a: Argv, i: number): number {
  const n = parseI64(a.str(i));
  if (Number.isNaN(n)) fail(E.NOT_INT);
  return n;
}

/**
 * Redis's lookupStringForBitCommand: the key's value as a StrBuf at least `maxBit / 8 + 1`
 * bytes long (created zero-filled when missing). `grew` tells whether it was created or
 * extended.
 */
let grew = false;
function bitTarget(c: Client, key: string, maxBit: number): StrBuf {
  const db = c.db;
  const v = stringOrFail(db.lookup(key));
  const need = Math.floor(maxBit / 8) + 1;
  if (v === undefined) {
    const sb = StrBuf.zeros(need);
    db.add(key, sb);
    grew = true;
    return sb;
  }
  const sb = unshare(db, key, v);
  grew = sb.len < need;
  if (grew) sb.grow(need);
  return sb;
}

/** Resolves BITCOUNT/BITPOS start/end (indexes in bytes or bits) to an inclusive bit range. */
function bitRange(strlen: number, start: number, end: number, isBit: boolean): [number, number] | null {
  const total = isBit ? strlen * 8 : strlen;
  if (start < 0) start = total + start;
  if (end < 0) end = total + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return null;
  return isBit ? [start, end] : [start * 8, end * 8 + 7];
}

/** Parsed BITFIELD operation. */
interface BfOp {
  op: 0 | 1 | 2; // GET SET INCRBY
  signed: boolean;
  bits: number;
  offset: number;
  value: bigint;
  overflow: 0 | 1 | 2; // WRAP SAT FAIL
}

const U64 = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;

/** Outcome of an overflow check: the value to store, and whether it overflowed. */
let ovf = false;

/**
 * Unsigned field overflow (checkUnsignedBitfieldOverflow), with value and incr as the C
 * code sees them (value as uint64, incr as int64). Returns the value to store.
 */
function unsignedField(value: bigint, incr: bigint, bits: number, mode: number): bigint {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  ovf = true;
  if (value > max || (incr > 0n && incr > maxincr)) {
    if (mode === 1) return max;
  } else if (incr < 0n && incr < minincr) {
    if (mode === 1) return 0n;
  } else {
    ovf = false;
    return BigInt.asUintN(64, value + incr);
  }
  return BigInt.asUintN(bits, value + incr); // WRAP (FAIL does not store)
}

/** Signed field overflow (checkSignedBitfieldOverflow), including its int64 wrap quirks. */
function signedField(value: bigint, incr: bigint, bits: number, mode: number): bigint {
  const max = bits === 64 ? I64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, BigInt.asUintN(64, max) - BigInt.asUintN(64, value));
  const minincr = BigInt.asIntN(64, min - value);
  ovf = true;
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    if (mode === 1) return max;
  } else if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    if (mode === 1) return min;
  } else {
    ovf = false;
    return value + incr;
  }
  // WRAP: add as uint64, then sign-extend from the field's top bit
  return BigInt.asIntN(bits, BigInt.asUintN(64, value + incr));
}

function bitfield(c: Client, a: Argv, readonlyCmd: boolean): void {
  const ops: BfOp[] = [];
  let overflow: 0 | 1 | 2 = 0;
  let readonly = true;
  let highest = 0;
  for (let j = 2; j < a.argc; j++) {
    const rem = a.argc - j - 1;
    let op: 0 | 1 | 2;
    if (a.is(j, "get") && rem >= 2) op = 0;
    else if (a.is(j, "set") && rem >= 3) op = 1;
    else if (a.is(j, "incrby") && rem >= 3) op = 2;
    else if (a.is(j, "overflow") && rem >= 1) {
      j++;
      if (a.is(j, "wrap")) overflow = 0;
      else if (a.is(j, "sat")) overflow = 1;
      else if (a.is(j, "fail")) overflow = 2;
      else fail("ERR Invalid OVERFLOW type specified");
      continue;
    } else fail(E.SYNTAX);
    // type: i1..i64 or u1..u63 (lowercase only in Redis 7.0)
    const t = a.str(j + 1);
    const tc = t.charCodeAt(0);
    if (tc !== 0x69 && tc !== 0x75) fail(BITFIELD_TYPE_ERR);
    const signed = tc === 0x69;
    const bits = parseI64(t.slice(1));
    if (Number.isNaN(bits) || bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) fail(BITFIELD_TYPE_ERR);
    const offset = bitOffset(c, a, j + 2, true, bits);
    let value = 0n;
    if (op !== 0) {
      readonly = false;
      if (offset + bits - 1 > highest) highest = offset + bits - 1;
      const s = a.str(j + 3);
      const n = parseI64(s);
      if (Number.isNaN(n)) fail(E.NOT_INT);
      value = Math.abs(n) <= Number.MAX_SAFE_INTEGER ? BigInt(n) : BigInt(s);
    }
    ops.push({ op, signed, bits, offset, value, overflow });
    j += op === 0 ? 2 : 3;
  }

  const db = c.db;
  const key = a.str(1);
  let src: Uint8Array | null = null;
  let target: StrBuf | null = null;
  if (readonly) {
    const v = stringOrFail(db.read(key));
    if (v !== undefined) src = readBytes(v);
  } else {
    if (readonlyCmd) fail("ERR BITFIELD_RO only supports the GET subcommand");
    target = bitTarget(c, key, highest);
  }

  let changes = 0;
  c.out.arr(ops.length);
  for (const o of ops) {
    if (o.op === 0) {
      const b = target !== null ? target.view() : src;
      let v = b === null ? 0n : getBitfield(b, o.offset, o.bits);
      if (o.signed) v = BigInt.asIntN(o.bits, v);
      c.out.ascii(`:${v}\r\n`);
      continue;
    }
    const buf = target!.view();
    const raw = getBitfield(buf, o.offset, o.bits);
    let stored: bigint;
    let reply: bigint;
    if (o.signed) {
      const old = BigInt.asIntN(o.bits, raw);
      if (o.op === 2) {
        stored = signedField(old, o.value, o.bits, o.overflow);
        reply = stored;
      } else {
        stored = signedField(o.value, 0n, o.bits, o.overflow);
        reply = old;
      }
      if (ovf && o.overflow === 2) {
        c.out.nil();
        continue;
      }
      setBitfield(buf, o.offset, o.bits, stored);
      if (grew || stored !== old) changes++;
    } else {
      const old = raw;
      if (o.op === 2) {
        stored = unsignedField(old, o.value, o.bits, o.overflow);
        reply = stored;
      } else {
        stored = unsignedField(BigInt.asUintN(64, o.value), 0n, o.bits, o.overflow);
        reply = old;
      }
      if (ovf && o.overflow === 2) {
        c.out.nil();
        continue;
      }
      stored &= U64;
      setBitfield(buf, o.offset, o.bits, stored);
      if (grew || stored !== old) changes++;
      reply = BigInt.asIntN(64, reply);
    }
    if (reply >= -0x1fffffffffffffn && reply <= 0x1fffffffffffffn) c.out.int(Number(reply));
    else c.out.ascii(`:${reply}\r\n`);
  }
  if (changes) c.srv.ks.written(db, key, N.STRING, "setbit", changes);
}

export const handlers: Handlers = {
  setbit(c, a) {
    const offset = bitOffset(c, a, 2, false, 0);
    const on = parseI64(a.str(3));
    if (Number.isNaN(on) || (on !== 0 && on !== 1)) fail(E.BIT_VALUE);
    const key = a.str(1);
    const sb = bitTarget(c, key, offset);
    const byte = Math.floor(offset / 8);
    const mask = 1 << (7 - (offset % 8));
    const old = sb.buf[byte]! & mask ? 1 : 0;
    if (grew || old !== on) {
      if (on) sb.buf[byte]! |= mask;
      else sb.buf[byte]! &= ~mask;
      c.srv.ks.written(c.db, key, N.STRING, "setbit");
    }
    c.out.int(old);
  },

  getbit(c, a) {
    const offset = bitOffset(c, a, 2, false, 0);
    const v = stringOrFail(c.db.read(a.str(1)));
    if (v === undefined) return c.out.int(0);
    const byte = Math.floor(offset / 8);
    let b: number;
    if (typeof v === "string") b = byte < v.length ? v.charCodeAt(byte) : 0;
    else b = byte < v.len ? v.buf[byte]! : 0;
    c.out.int((b >> (7 - (offset % 8))) & 1);
  },

  bitcount(c, a) {
    // Redis 7.0 looks the key up before parsing the range: a missing key is 0 whatever follows.
    const v = stringOrFail(c.db.read(a.str(1)));
    if (v === undefined) return c.out.int(0);
    const b = readBytes(v);
    let range: [number, number] | null;
    if (a.argc === 4 || a.argc === 5) {
      const start = longArg(a, 2);
      const end = longArg(a, 3);
      let isBit = false;
      if (a.argc === 5) {
        if (a.is(4, "bit")) isBit = true;
        else if (!a.is(4, "byte")) fail(E.SYNTAX);
      }
      if (start < 0 && end < 0 && start > end) return c.out.int(0);
      range = bitRange(b.length, start, end, isBit);
    } else if (a.argc === 2) range = b.length ? [0, b.length * 8 - 1] : null;
    else fail(E.SYNTAX);
    c.out.int(range === null ? 0 : bitcountBits(b, range[0], range[1]));
  },

  bitpos(c, a) {
    const bit = longArg(a, 2);
    if (bit !== 0 && bit !== 1) fail("ERR The bit argument must be 1 or 0.");
    const v = stringOrFail(c.db.read(a.str(1)));
    // A missing key is an endless run of zeros.
    if (v === undefined) return c.out.int(bit ? -1 : 0);
    const b = readBytes(v);
    let endGiven = false;
    let range: [number, number] | null;
    if (a.argc >= 4 && a.argc <= 6) {
      const start = longArg(a, 3);
      let isBit = false;
      if (a.argc === 6) {
        if (a.is(5, "bit")) isBit = true;
        else if (!a.is(5, "byte")) fail(E.SYNTAX);
      }
      let end: number;
      if (a.argc >= 5) {
        end = longArg(a, 4);
        endGiven = true;
      } else end = isBit ? b.length * 8 + 7 : b.length - 1;
      range = bitRange(b.length, start, end, isBit);
    } else if (a.argc === 3) range = b.length ? [0, b.length * 8 - 1] : null;
    else fail(E.SYNTAX);
    if (range === null) return c.out.int(-1);
    const p = findBit(b, bit as 0 | 1, range[0], range[1]);
    if (p >= 0) return c.out.int(p);
    // No clear bit in range: without an explicit end the string counts as zero-padded.
    c.out.int(bit === 0 && !endGiven ? b.length * 8 : -1);
  },

  bitop(c, a) {
    let op: BitOp;
    if (a.is(1, "and")) op = BitOp.AND;
    else if (a.is(1, "or")) op = BitOp.OR;
    else if (a.is(1, "xor")) op = BitOp.XOR;
    else if (a.is(1, "not")) op = BitOp.NOT;
    else return fail(E.SYNTAX);
    if (op === BitOp.NOT && a.argc !== 4) fail("ERR BITOP NOT must be called with a single source key.");
    const db = c.db;
    const srcs: (Uint8Array | null)[] = [];
    let maxlen = 0;
    for (let j = 3; j < a.argc; j++) {
      const v = stringOrFail(db.read(a.str(j)));
      if (v === undefined) {
        srcs.push(null);
        continue;
      }
      const bytes = typeof v === "string" ? Buffer.from(v, "latin1") : v.view();
      srcs.push(bytes);
      if (bytes.length > maxlen) maxlen = bytes.length;
    }
    const dest = a.str(2);
    if (maxlen > 0) {
      const res = bitop(op, srcs, maxlen);
      const sb = new StrBuf(res);
      db.set(dest, sb);
      c.srv.ks.written(db, dest, N.STRING, "set");
    } else if (db.remove(dest)) {
      c.srv.ks.written(db, dest, N.GENERIC, "del");
    }
    c.out.int(maxlen);
  },

  bitfield(c, a) {
    bitfield(c, a, false);
  },

  bitfield_ro(c, a) {
    bitfield(c, a, true);
  },
};
