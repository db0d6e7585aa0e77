// RedisJSON's error replies, with its exact texts (including the ones without an "ERR" code:
// RedisJSON sends some messages, like JSON syntax errors, as they are).

export const JE = {
  NEW_AT_ROOT: "ERR new objects must be created at the root",
  NO_KEY: "ERR could not perform this operation on a key that doesn't exist",
  WRONG_STATIC: "Err wrong static path",
  MUST_END_WITH_KEY: "Err path must end with object key to set",
  ARRAY_INDEX_OOR: "ERR array index out of range",
  INDEX_OOB: "ERR index out of bounds",
  NOT_INT: "Couldn't parse as integer",
  BAD_NUMBER: "bad input number",
  NOT_A_NUMBER: "ERR result is not a number",
  DEBUG_UNKNOWN: "ERR unknown subcommand - try `JSON.DEBUG HELP`",
  FORMAT_RESP2: "ERR FORMAT argument is not supported on RESP2",
  WRONG_REPLY_FORMAT: "ERR wrong reply format",
  WRONG_FORMAT: "ERR wrong format",
  LEGACY_FORMAT: "Legacy paths are supported only with FORMAT STRINGS",
} as const;

export function pathMissing(p: string): string {
  return `ERR Path '${p}' does not exist`;
}

export function pathMissingOr(p: string, what: string): string {
  return `ERR Path '${p}' does not exist or ${what}`;
}

export function expectedType(want: string, found: string): string {
  return `WRONGTYPE wrong type of path value - expected ${want} but found ${found}`;
}
