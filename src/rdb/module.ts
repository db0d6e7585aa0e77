// Module-type values in the RDB (RDB_TYPE_MODULE_2): a 64-bit module type id (9-character type
// name in a 64-symbol alphabet, 6 bits each, then a 10-bit encoding version), the module's own
// serialization as typed opcodes, and an EOF opcode.
//
// AiKv's JSON documents are written exactly as RedisJSON 2.x writes its "ReJSON-RL" type
// (encoding version 3: one string opcode holding the compact JSON text), so a dump.rdb or DUMP
// payload with JSON moves between AiKv and a Redis running RedisJSON. Version 2 payloads (an
// extra, ignored, index block) are read too; version 0 (RedisJSON 1.x's tree format) is not.

import { parseJson } from "../json/parse.ts";
import { JsonWriter } from "../json/serialize.ts";
import { JsonDoc } from "../store/types/json.ts";
import { RDB_MODULE_OPCODE_EOF, RDB_MODULE_OPCODE_STRING, RDB_MODULE_OPCODE_UINT } from "./constants.ts";
import { RdbFormatError, type RdbReader } from "./reader.ts";
import type { RdbWriter } from "./writer.ts";

const CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Module type id for a 9-character type name and encoding version (moduleTypeEncodeId). */
export function moduleTypeId(name: string, encver: number): bigint {
  if (name.length !== 9) throw new Error("module type names have 9 characters");
  let id = 0n;
  for (const ch of name) {
    const p = CHARSET.indexOf(ch);
    if (p < 0) throw new Error(`bad module type name character '${ch}'`);
    id = (id << 6n) | BigInt(p);
  }
  return (id << 10n) | BigInt(encver & 1023);
}

/** The type name and encoding version in a module type id. */
export function moduleTypeName(id: bigint): { name: string; encver: number } {
  const encver = Number(id & 1023n);
  let rest = id >> 10n;
  let name = "";
  for (let i = 0; i < 9; i++) {
    name = CHARSET[Number(rest & 63n)]! + name;
    rest >>= 6n;
  }
  return { name, encver };
}

export const JSON_TYPE_NAME = "ReJSON-RL";
export const JSON_ENCVER = 3;
export const JSON_MODULE_ID = moduleTypeId(JSON_TYPE_NAME, JSON_ENCVER);

const jw = new JsonWriter();

/** Body of a JSON document (after the type byte): module id, string opcode + text, EOF. */
export function writeJsonModule(w: RdbWriter, doc: JsonDoc): void {
  w.lenBig(JSON_MODULE_ID);
  w.len(RDB_MODULE_OPCODE_STRING);
  jw.reset();
  jw.value(doc.root);
  w.stringBytes(jw.buf, 0, jw.n);
  w.len(RDB_MODULE_OPCODE_EOF);
}

function expectOpcode(r: RdbReader, op: number): void {
  if (r.count() !== op) throw new RdbFormatError("module value: unexpected opcode");
}

/** Reads a RDB_TYPE_MODULE_2 body. Only RedisJSON's type is known. */
export function readModule(r: RdbReader): JsonDoc {
  const id = r.lenBig();
  const { name, encver } = moduleTypeName(id);
  if (name !== JSON_TYPE_NAME) throw new RdbFormatError(`no module for type '${name}'`);
  if (encver !== 3 && encver !== 2) throw new RdbFormatError(`unsupported ${name} encoding version ${encver}`);
  expectOpcode(r, RDB_MODULE_OPCODE_STRING);
  const x = r.bytes();
  let doc: JsonDoc;
  try {
    doc = new JsonDoc(parseJson(x.b.subarray(x.start, x.end), false));
  } catch {
    throw new RdbFormatError("module value: invalid JSON");
  }
  if (encver === 2) {
    expectOpcode(r, RDB_MODULE_OPCODE_UINT);
    if (r.count() > 0) {
      expectOpcode(r, RDB_MODULE_OPCODE_STRING);
      r.bytes();
      expectOpcode(r, RDB_MODULE_OPCODE_STRING);
      r.bytes();
    }
  }
  expectOpcode(r, RDB_MODULE_OPCODE_EOF);
  return doc;
}
