// Stored values. Plain strings are kept as JS strings (latin1: one char per byte), the most
// compact form the engine has; every other type is an Obj subclass.

import type { KeyTable } from "./keytable.ts";

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

/** Redis 7.0's defaults of hash/set/zset/list-max-* (the server starts from a copy). */
export const DEFAULT_ENCODING_LIMITS: Readonly<EncodingLimits> = {
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  setMaxListpackEntries: 128,
  setMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  listMaxListpackSize: -2,
};

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
  /** The key table of a big collection's fields or members (for prefetch), or null. */
  elementTable(): KeyTable | null {
    return null;
  }
}

export type Value = string | Obj;

export function typeName(v: Value): RType {
  return typeof v === "string" ? "string" : v.type;
}
