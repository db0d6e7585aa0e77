// Versions, in a leaf module so anything can import them without import cycles.

/** The Redis version AiKv is compatible with (HELLO, INFO redis_version). */
export const REDIS_VERSION = "7.0.15";
export const AIKV_VERSION = "0.1.0";
