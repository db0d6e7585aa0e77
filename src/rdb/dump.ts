// DUMP payloads: the value's RDB type byte and body, then the 2-byte RDB version and the CRC-64
// of everything before it (both little endian). RESTORE checks the trailer (Redis's
// verifyDumpPayload), then decodes the body completely before anything touches the keyspace.

import type { Value } from "../store/value.ts";
import { RDB_VERSION, isObjectType } from "./constants.ts";
import { Crc64 } from "./crc64.ts";
import { RdbReader } from "./reader.ts";
import { readValue, writeValue, type LoadContext } from "./value.ts";
import { DEFAULT_OPTIONS, RdbWriter, type RdbOptions } from "./writer.ts";

const w = new RdbWriter(DEFAULT_OPTIONS, 4096);

/** Appends the DUMP trailer to what `out` holds and returns a copy of the whole payload. */
export function sealPayload(out: RdbWriter): Uint8Array {
  out.byte(RDB_VERSION & 0xff);
  out.byte((RDB_VERSION >> 8) & 0xff);
  const crc = new Crc64().update(out.buf, 0, out.pos);
  out.ensure(8);
  crc.writeLE(out.buf, out.pos);
  out.pos += 8;
  return Uint8Array.prototype.slice.call(out.buf, 0, out.pos);
}

/** DUMP's payload for a value. */
export function dumpPayload(v: Value, opts: RdbOptions): Uint8Array {
  w.opts = opts;
  w.pos = 0;
  if (w.buf.length > 1 << 22) w.buf = Buffer.allocUnsafe(4096);
  writeValue(w, v);
  return sealPayload(w);
}

/** A writer for payloads made of other RDB items (FUNCTION DUMP). */
export function payloadWriter(opts: RdbOptions = DEFAULT_OPTIONS): RdbWriter {
  return new RdbWriter(opts, 256);
}

/** Checks the trailer; returns the payload's RDB version, or null (verifyDumpPayload). */
export function verifyPayload(p: Uint8Array, skipChecksum = false): number | null {
  if (p.length < 10) return null;
  const footer = p.length - 10;
  const ver = p[footer]! | (p[footer + 1]! << 8);
  if (ver > RDB_VERSION) return null;
  if (skipChecksum) return ver;
  return new Crc64().update(p, 0, p.length - 8).equalsLE(p, p.length - 8) ? ver : null;
}

/**
 * Decodes a verified payload's value. Throws RdbFormatError (RESTORE: "Bad data format") when
 * the body is malformed, of an unknown type, or followed by extra bytes.
 */
export function restorePayload(p: Uint8Array, ctx: LoadContext): Value {
  const r = new RdbReader(p, 0, p.length - 10);
  const t = r.byte();
  if (!isObjectType(t)) r.fail(`not an object type: ${t}`);
  const v = readValue(r, t, ctx);
  if (r.pos !== r.end) r.fail("trailing bytes after the value");
  return v;
}

/** A reader over the body of a payload (everything before the trailer). */
export function payloadReader(p: Uint8Array): RdbReader {
  return new RdbReader(p, 0, p.length - 10);
}
