// Stored values. Plain strings are kept as JS strings (latin1: one char per byte), the most
// compact form the engine has; every other type is an Obj subclass.

export type RType = "string" | "list" | "hash" | "set" | "zset" | "stream" | "ReJSON-RL";

/** Encoding thresholds (config options) that decide what OBJECT ENCODING reports. */
export interface EncodingLimits {
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  setMaxListpackEntries: number;
  setMaxListpackValue: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  listMaxListpackSize: number;
}

export abstract class Obj {
  abstract readonly type: RType;
  /** Access clock (LRU seconds) or LFU counter, like the 24 bits Redis keeps in each object. */
  lru = 0;
  /** OBJECT ENCODING answer. */
  abstract encoding(lim: EncodingLimits): string;
  /** Deep copy (COPY, and snapshots that must not see later writes). */
  abstract clone(): Obj;
  /** Approximate payload bytes, for MEMORY USAGE and maxmemory accounting. */
  abstract bytes(): number;
}

export type Value = string | Obj;

export function typeName(v: Value): RType {
  return typeof v === "string" ? "string" : v.type;
}
