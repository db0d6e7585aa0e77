// Streams in the RDB: the one place stream support plugs into the codec. The encoder calls
// writeStream for values of type "stream" (it must write the object body after the type byte
// streamRdbType returns); the decoder calls readStream for RDB_TYPE_STREAM_LISTPACKS (15) and
// RDB_TYPE_STREAM_LISTPACKS_2 (19) bodies. Until the stream type exists both refuse, and every
// caller (DUMP, SAVE, RESTORE, loading, aikv-tool) reports the failure cleanly.

import type { Obj, Value } from "../store/value.ts";
import { RDB_TYPE_STREAM_LISTPACKS_2 } from "./constants.ts";
import { RdbFormatError, type RdbReader } from "./reader.ts";
import type { LoadContext } from "./value.ts";
import type { RdbWriter } from "./writer.ts";

/** The type byte written for a stream value (Redis 7.0 writes STREAM_LISTPACKS_2). */
export function streamRdbType(_v: Obj): number {
  return RDB_TYPE_STREAM_LISTPACKS_2;
}

/** Writes a stream's body (listpacks of entries, metadata, consumer groups and PELs). */
export function writeStream(_w: RdbWriter, _v: Obj): void {
  throw new Error("streams cannot be serialized yet");
}

/** Reads a stream body of RDB type `type` (15 or 19). */
export function readStream(_r: RdbReader, _type: number, _ctx: LoadContext): Value {
  throw new RdbFormatError("stream values are not supported yet");
}
