// Redis 7.0's default encoding limits, for tests and benchmarks that use the types directly.

export { DEFAULT_ENCODING_LIMITS as DEFAULT_LIMITS } from "../../src/store/value.ts";
