// Redis 7.0's default encoding limits, for tests and benchmarks that use the types directly.

import type { EncodingLimits } from "../../src/store/value.ts";

/** hash/set/zset/list-max-* defaults (the server's own start from the same values). */
export const DEFAULT_LIMITS: EncodingLimits = {
  hashMaxListpackEntries: 512, hashMaxListpackValue: 64, setMaxIntsetEntries: 512, setMaxListpackEntries: 128,
  setMaxListpackValue: 64, zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64, listMaxListpackSize: -2,
};
