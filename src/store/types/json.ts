// The JSON type (RedisJSON's "ReJSON-RL"): a parsed tree edited in place, so changing a small
// part of a large document costs the size of the change, not of the document.

import { parseJsonText } from "../../json/parse.ts";
import { stringify } from "../../json/serialize.ts";
import { cloneVal, memoryOf, type JVal } from "../../json/value.ts";
import { Obj, type EncodingLimits, type Value } from "../value.ts";

export class JsonDoc extends Obj {
  readonly type = "ReJSON-RL" as const;

  constructor(public root: JVal) {
    super();
  }

  /** Module values are "raw" objects in Redis (OBJECT ENCODING). */
  encoding(_lim: EncodingLimits): string {
    return "raw";
  }

  clone(): JsonDoc {
    return new JsonDoc(cloneVal(this.root));
  }

  /** RedisJSON's own memory accounting of the tree (MEMORY USAGE, JSON.DEBUG MEMORY). */
  bytes(): number {
    return memoryOf(this.root);
  }

  /** Compact JSON text of the whole document (the serialized form DUMP/RESTORE will carry). */
  toJSON(): string {
    return stringify(this.root);
  }

  /** Rebuilds a document from its JSON text (no nesting limit, as when RedisJSON loads). */
  static fromJSON(text: string): JsonDoc {
    return new JsonDoc(parseJsonText(text));
  }
}

export function isJson(v: Value): v is JsonDoc {
  return v instanceof JsonDoc;
}
