// RDB files: "REDIS" + 4-digit version, aux fields, function libraries, then per database
// SELECTDB + RESIZEDB and the keys (optional EXPIRETIME_MS, IDLE or FREQ before each), EOF and
// the CRC-64 of everything before it (0 when rdbchecksum is off).
//
// Writing goes through an RdbWriter whose sink takes the bytes away in chunks. Reading works on
// the whole file in memory: the checksum is verified before anything is applied, then the
// loader hands out keys in slices (so a server can keep answering -LOADING in between).

import type { Value } from "../store/value.ts";
import {
  RDB_OPCODE_AUX, RDB_OPCODE_EOF, RDB_OPCODE_EXPIRETIME, RDB_OPCODE_EXPIRETIME_MS, RDB_OPCODE_FREQ, RDB_OPCODE_FUNCTION,
  RDB_OPCODE_FUNCTION2, RDB_OPCODE_IDLE, RDB_OPCODE_MODULE_AUX, RDB_OPCODE_RESIZEDB, RDB_OPCODE_SELECTDB,
  RDB_MODULE_OPCODE_DOUBLE, RDB_MODULE_OPCODE_EOF, RDB_MODULE_OPCODE_FLOAT, RDB_MODULE_OPCODE_SINT,
  RDB_MODULE_OPCODE_STRING, RDB_MODULE_OPCODE_UINT, RDB_VERSION, RDB_VERSION_MAX_READ, isObjectType,
} from "./constants.ts";
import { Crc64 } from "./crc64.ts";
import { RdbFormatError, RdbReader } from "./reader.ts";
import { RdbEmptyKeyError, rdbTypeOf, readValue, writeBody, type LoadContext } from "./value.ts";
import type { RdbWriter } from "./writer.ts";

// ------------------------------------------------------------------------------------ writing

/** "REDIS0010" and the aux fields (in Redis's order: redis-ver redis-bits ctime used-mem [repl-*] aof-base). */
export function writeHeader(w: RdbWriter, aux: [string, string | number][]): void {
  w.latin1(`REDIS${String(RDB_VERSION).padStart(4, "0")}`);
  for (const [k, v] of aux) {
    w.byte(RDB_OPCODE_AUX);
    w.string(k);
    w.string(String(v));
  }
}

/** Redis 7.0's standard aux fields. */
export function standardAux(redisVersion: string, usedMem: number, extra: [string, string | number][] = []): [string, string | number][] {
  return [
    ["redis-ver", redisVersion],
    ["redis-bits", 64],
    ["ctime", Math.floor(Date.now() / 1000)],
    ["used-mem", usedMem],
    ...extra,
    ["aof-base", 0],
  ];
}

/** One function library (FUNCTION2 opcode + the library code). */
export function writeFunction(w: RdbWriter, code: Uint8Array): void {
  w.byte(RDB_OPCODE_FUNCTION2);
  w.stringBytes(code);
}

export function writeSelectDb(w: RdbWriter, id: number, size: number, expires: number): void {
  w.byte(RDB_OPCODE_SELECTDB);
  w.len(id);
  w.byte(RDB_OPCODE_RESIZEDB);
  w.len(size);
  w.len(expires);
}

/** One key: [EXPIRETIME_MS] [IDLE | FREQ] type key value. idle/freq < 0: not written. */
export function writeEntry(w: RdbWriter, key: string, v: Value, expire: number | undefined, idle = -1, freq = -1): void {
  if (expire !== undefined) {
    w.byte(RDB_OPCODE_EXPIRETIME_MS);
    w.i64le(expire);
  }
  if (idle >= 0) {
    w.byte(RDB_OPCODE_IDLE);
    w.len(idle);
  } else if (freq >= 0) {
    w.byte(RDB_OPCODE_FREQ);
    w.byte(freq);
  }
  // type byte, key, body (rdbSaveKeyValuePair order)
  const t = rdbTypeOf(v);
  w.byte(t);
  w.string(key);
  writeBody(w, v, t);
}

/** EOF and the checksum of everything written (through the sink or still buffered). */
export function writeTrailer(w: RdbWriter, checksum: boolean): void {
  w.byte(RDB_OPCODE_EOF);
  const crc = new Crc64();
  crc.lo = w.crc.lo;
  crc.hi = w.crc.hi;
  crc.update(w.buf, 0, w.pos);
  w.ensure(8);
  if (checksum) crc.writeLE(w.buf, w.pos);
  else w.buf.fill(0, w.pos, w.pos + 8);
  w.pos += 8;
}

// ------------------------------------------------------------------------------------ reading

export interface LoadedKey {
  db: number;
  key: string;
  value: Value;
  /** absolute unix ms, or undefined */
  expire: number | undefined;
  /** IDLE opcode (seconds), -1 when absent */
  idle: number;
  /** FREQ opcode (LFU counter), -1 when absent */
  freq: number;
}

export interface FileEvents {
  aux?(key: string, value: string): void;
  /** a FUNCTION2 library */
  func?(code: Uint8Array): void;
  resizeDb?(db: number, size: number, expires: number): void;
  key(k: LoadedKey): void;
}

/** Reads an RDB file held in memory, a slice at a time. */
export class RdbFileReader {
  readonly r: RdbReader;
  version = 0;
  db = 0;
  done = false;
  /** keys whose collection was empty (skipped, as Redis does) */
  emptySkipped = 0;
  private readonly ctx: LoadContext;
  private readonly cur: LoadedKey = { db: 0, key: "", value: "", expire: undefined, idle: -1, freq: -1 };

  constructor(
    readonly buf: Uint8Array,
    ctx: LoadContext,
  ) {
    this.r = new RdbReader(buf);
    this.ctx = { ...ctx };
    this.readHeader();
  }

  private readHeader(): void {
    const b = this.buf;
    if (b.length < 9) throw new RdbFormatError("file too short");
    const magic = Buffer.from(b.subarray(0, 5)).toString("latin1");
    if (magic !== "REDIS") throw new RdbFormatError("wrong signature trying to load DB from file");
    const ver = Buffer.from(b.subarray(5, 9)).toString("latin1");
    if (!/^\d{4}$/.test(ver)) throw new RdbFormatError("bad RDB version field");
    this.version = parseInt(ver, 10);
    if (this.version < 1 || this.version > RDB_VERSION_MAX_READ) throw new RdbFormatError(`can't handle RDB format version ${this.version}`);
    this.ctx.version = this.version;
    this.r.pos = 9;
  }

  /**
   * Verifies the trailing CRC-64 over the whole file before anything is loaded. True when it
   * matches or the file has none (version < 5, or written with rdbchecksum no: all zeros).
   */
  checksumOk(): boolean {
    const b = this.buf;
    if (this.version < 5) return true;
    if (b.length < 9 + 1 + 8) return false;
    const at = b.length - 8;
    let zero = true;
    for (let i = 0; i < 8; i++) if (b[at + i] !== 0) zero = false;
    if (zero) return true;
    return new Crc64().update(b, 0, at).equalsLE(b, at);
  }

  /** Reads until `maxKeys` keys were handed out or EOF. Returns true at EOF. */
  step(ev: FileEvents, maxKeys = Infinity): boolean {
    const r = this.r;
    let n = 0;
    let expire: number | undefined;
    let idle = -1;
    let freq = -1;
    while (!this.done && n < maxKeys) {
      const t = r.byte();
      switch (t) {
        case RDB_OPCODE_EXPIRETIME:
          expire = r.i32le() * 1000;
          continue;
        case RDB_OPCODE_EXPIRETIME_MS:
          expire = r.i64le();
          continue;
        case RDB_OPCODE_FREQ:
          freq = r.byte();
          continue;
        case RDB_OPCODE_IDLE:
          idle = r.count();
          continue;
        case RDB_OPCODE_EOF:
          this.done = true;
          if (this.version >= 5) r.need(8);
          return true;
        case RDB_OPCODE_SELECTDB:
          this.db = r.count();
          continue;
        case RDB_OPCODE_RESIZEDB: {
          const size = r.count();
          const exp = r.count();
          ev.resizeDb?.(this.db, size, exp);
          continue;
        }
        case RDB_OPCODE_AUX: {
          const k = r.string();
          const v = r.string();
          ev.aux?.(k, v);
          continue;
        }
        case RDB_OPCODE_MODULE_AUX:
          skipModuleAux(r);
          continue;
        case RDB_OPCODE_FUNCTION:
          r.fail("pre-release function format not supported");
          break;
        case RDB_OPCODE_FUNCTION2:
          ev.func?.(r.stringCopy());
          continue;
      }
      if (!isObjectType(t)) r.fail(`unknown RDB opcode or type ${t}`);
      const key = r.string();
      let value: Value;
      try {
        value = readValue(r, t, this.ctx);
      } catch (e) {
        if (e instanceof RdbEmptyKeyError) {
          this.emptySkipped++;
          expire = undefined;
          idle = freq = -1;
          continue;
        }
        throw e;
      }
      const k = this.cur;
      k.db = this.db;
      k.key = key;
      k.value = value;
      k.expire = expire;
      k.idle = idle;
      k.freq = freq;
      ev.key(k);
      expire = undefined;
      idle = freq = -1;
      n++;
    }
    return this.done;
  }

  /** Bytes consumed so far (for progress displays). */
  get offset(): number {
    return this.r.pos;
  }
}

/** Skips a module aux record: module id, "when" opcode and value, then typed values up to EOF. */
function skipModuleAux(r: RdbReader): void {
  r.lenBig();
  const whenOp = r.count();
  if (whenOp !== RDB_MODULE_OPCODE_UINT) r.fail("module aux: bad when opcode");
  r.count();
  for (;;) {
    const op = r.count();
    if (op === RDB_MODULE_OPCODE_EOF) return;
    if (op === RDB_MODULE_OPCODE_SINT || op === RDB_MODULE_OPCODE_UINT) r.lenBig();
    else if (op === RDB_MODULE_OPCODE_STRING) r.bytes();
    else if (op === RDB_MODULE_OPCODE_FLOAT) r.binFloat();
    else if (op === RDB_MODULE_OPCODE_DOUBLE) r.binDouble();
    else r.fail("module aux: unknown opcode");
  }
}
