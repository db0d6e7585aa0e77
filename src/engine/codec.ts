// On-disk encodings of the durable engine (docs/DURABILITY.md), shared by the engine, recovery
// and `aikv-tool check`. Pinned by test/integration/lsm-engine.test.ts.
//
// LSM keys:   [generation u32 BE][user key bytes]. Generation 0 is reserved for metadata.
// LSM values: [expiry header][RDB object: type byte + body] where the expiry header is the
//             native core's (FORMAT.md "Expiry value header"): 0x00 = no expiry, or
//             0x01 + u64 LE Unix ms. The object is what a DUMP payload holds before its
//             trailer (no LZF: table blocks are zstd-compressed as a whole).
// WAL record: [len u32 LE][crc32 u32 LE][seq u64 LE][payload: len bytes of RESP commands];
//             crc32 (IEEE, Bun.hash.crc32) covers seq and payload.

import { RDB_ENC_INT16, RDB_ENC_INT32, RDB_ENC_INT8, RDB_TYPE_STRING } from "../rdb/constants.ts";
import { RdbReader } from "../rdb/reader.ts";
import { readValue, writeValue, type LoadContext } from "../rdb/value.ts";
import { RdbWriter, type RdbOptions } from "../rdb/writer.ts";
import type { KeyTable } from "../store/keytable.ts";
import type { Value } from "../store/value.ts";

export const GEN_BYTES = 4;
/** Generation of the metadata keys. */
export const META_GEN = 0;
/** First generation handed to a key table. */
export const FIRST_GEN = 1;

export const EXPIRY_NONE = 0;
export const EXPIRY_AT = 1;

export const WAL_HEADER = 16;
/** Segment files: dir/wal/<first seq, 20 digits>.log */
export const WAL_DIR = "wal";
export const LSM_DIR = "lsm";

/** Metadata keys (generation 0). */
export const META_KEY = metaKey("checkpoint");
export const FUNCTIONS_KEY = metaKey("functions");

function metaKey(name: string): Uint8Array {
  const b = new Uint8Array(GEN_BYTES + name.length);
  for (let i = 0; i < name.length; i++) b[GEN_BYTES + i] = name.charCodeAt(i);
  return b;
}

/** The checkpoint record: everything needed to interpret the LSM at WAL position `seq`. */
export interface CheckpointMeta {
  /** format version of the engine's LSM contents */
  version: 1;
  /** every WAL record with seq <= this is reflected in the LSM */
  seq: number;
  /** generation of each database's keys, by db index */
  dbs: number[];
  /** generations whose keys are garbage (deleted in the background) */
  dead: number[];
  /** next generation to hand out */
  nextGen: number;
  /** unix ms of the checkpoint */
  time: number;
  /** keys written by this checkpoint (informative) */
  keys: number;
}

export function encodeMeta(m: CheckpointMeta): Uint8Array {
  return Buffer.from(JSON.stringify(m), "utf8");
}

export function decodeMeta(b: Uint8Array): CheckpointMeta {
  const m = JSON.parse(Buffer.from(b).toString("utf8")) as CheckpointMeta;
  if (m.version !== 1 || !Number.isSafeInteger(m.seq) || !Array.isArray(m.dbs) || !Array.isArray(m.dead)) {
    throw new Error("unknown checkpoint record format");
  }
  return m;
}

export function genPrefix(gen: number): Uint8Array {
  const b = new Uint8Array(GEN_BYTES);
  writeGen(b, 0, gen);
  return b;
}

export function writeGen(b: Uint8Array, off: number, gen: number): void {
  b[off] = gen >>> 24;
  b[off + 1] = (gen >>> 16) & 0xff;
  b[off + 2] = (gen >>> 8) & 0xff;
  b[off + 3] = gen & 0xff;
}

export function readGen(b: Uint8Array, off = 0): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

/** Builds LSM keys ([gen][key]) in one reusable buffer. */
export class KeyBuilder {
  buf = new Uint8Array(256);
  len = 0;

  /** The LSM key of entry `id` of table `t` (a view, valid until the next call). */
  entry(gen: number, t: KeyTable, id: number): Uint8Array {
    const n = t.keyLength(id);
    if (this.buf.length < GEN_BYTES + n) this.buf = new Uint8Array(Math.max(GEN_BYTES + n, this.buf.length * 2));
    writeGen(this.buf, 0, gen);
    t.keyInto(id, this.buf, GEN_BYTES);
    this.len = GEN_BYTES + n;
    return this.buf.subarray(0, this.len);
  }

  /** The LSM key of a key given as a latin1 string. */
  str(gen: number, key: string): Uint8Array {
    const n = key.length;
    if (this.buf.length < GEN_BYTES + n) this.buf = new Uint8Array(Math.max(GEN_BYTES + n, this.buf.length * 2));
    writeGen(this.buf, 0, gen);
    for (let i = 0; i < n; i++) this.buf[GEN_BYTES + i] = key.charCodeAt(i);
    this.len = GEN_BYTES + n;
    return this.buf.subarray(0, this.len);
  }
}

/** RDB options for stored values: no LZF (the LSM compresses blocks). */
export function valueOptions(listFill: number): RdbOptions {
  return { compress: false, listFill, listCompressDepth: 0 };
}

/** Serializes values as [expiry header][RDB object] into one reusable writer. */
export class ValueWriter {
  readonly w: RdbWriter;

  constructor(opts: RdbOptions) {
    this.w = new RdbWriter(opts, 4096);
  }

  private header(expireAt: number): void {
    const w = this.w;
    w.pos = 0;
    if (w.buf.length > 1 << 24) w.buf = Buffer.allocUnsafe(4096);
    if (expireAt === 0) w.byte(EXPIRY_NONE);
    else {
      w.byte(EXPIRY_AT);
      w.ensure(8);
      w.buf.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(expireAt))), w.pos);
      w.pos += 8;
    }
  }

  /** Entry `id` of `t` (its value is loaded if cold). A view valid until the next call. */
  entry(t: KeyTable, id: number): Uint8Array {
    this.header(t.expOf(id));
    const w = this.w;
    const savedOff = t.vOff;
    const buf = t.valueBytes(id);
    if (buf !== null) {
      const off = t.vOff;
      t.vOff = savedOff;
      w.byte(RDB_TYPE_STRING);
      w.stringBytes(buf, off, off + t.valueLength(id));
    } else {
      t.vOff = savedOff;
      writeValue(w, t.valueOf(id));
    }
    return w.buf.subarray(0, w.pos);
  }

  value(v: Value, expireAt: number): Uint8Array {
    this.header(expireAt);
    writeValue(this.w, v);
    return this.w.buf.subarray(0, this.w.pos);
  }
}

/** Expiry (0 = none) and where the object starts in a stored value. */
export function valueHeader(b: Uint8Array): { expireAt: number; start: number } {
  if (b.length >= 9 && b[0] === EXPIRY_AT) {
    const lo = b[1]! | (b[2]! << 8) | (b[3]! << 16) | (b[4]! << 24);
    const hi = b[5]! | (b[6]! << 8) | (b[7]! << 16) | (b[8]! << 24);
    return { expireAt: (hi >>> 0) * 0x100000000 + (lo >>> 0), start: 9 };
  }
  if (b.length >= 1 && b[0] === EXPIRY_NONE) return { expireAt: 0, start: 1 };
  throw new Error("bad value header");
}

/** Decodes the object of a stored value (after its header). */
export function decodeObject(b: Uint8Array, start: number, ctx: LoadContext): Value {
  const r = new RdbReader(b, start, b.length);
  const t = r.byte();
  const v = readValue(r, t, ctx);
  if (r.pos !== r.end) r.fail("trailing bytes after the value");
  return v;
}

/** Result of plainString(): the value's bytes, or an int-encoded value. */
export interface PlainString {
  start: number;
  len: number;
  /** set for int-encoded strings (start/len unused) */
  int: number | null;
}

/**
 * A stored string value (type byte at `p`) that is plain or int-encoded, without decoding
 * through JS strings; false for anything else (other types, LZF).
 */
export function plainString(v: Uint8Array, p: number, out: PlainString): boolean {
  if (v[p] !== RDB_TYPE_STRING) return false;
  p++;
  const b0 = v[p]!;
  const kind = b0 >> 6;
  let len: number;
  out.int = null;
  if (kind === 0) {
    len = b0 & 0x3f;
    p += 1;
  } else if (kind === 1) {
    len = ((b0 & 0x3f) << 8) | v[p + 1]!;
    p += 2;
  } else if (b0 === 0x80) {
    len = ((v[p + 1]! << 24) | (v[p + 2]! << 16) | (v[p + 3]! << 8) | v[p + 4]!) >>> 0;
    p += 5;
  } else if (kind === 3) {
    const enc = b0 & 0x3f;
    if (enc === RDB_ENC_INT8) out.int = (v[p + 1]! << 24) >> 24;
    else if (enc === RDB_ENC_INT16) out.int = ((v[p + 1]! | (v[p + 2]! << 8)) << 16) >> 16;
    else if (enc === RDB_ENC_INT32) out.int = v[p + 1]! | (v[p + 2]! << 8) | (v[p + 3]! << 16) | (v[p + 4]! << 24);
    else return false;
    return true;
  } else return false;
  if (p + len !== v.length) return false;
  out.start = p;
  out.len = len;
  return true;
}
