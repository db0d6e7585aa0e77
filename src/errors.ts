// Error replies, named once, with Redis 7.0's exact texts (pinned by test/compat tests).

export const E = {
  WRONGTYPE: "WRONGTYPE Operation against a key holding the wrong kind of value",
  SYNTAX: "ERR syntax error",
  NOT_INT: "ERR value is not an integer or out of range",
  NOT_FLOAT: "ERR value is not a valid float",
  OVERFLOW: "ERR increment or decrement would overflow",
  NO_SUCH_KEY: "ERR no such key",
  OUT_OF_RANGE: "ERR index out of range",
  DB_INDEX: "ERR DB index is out of range",
  SAME_OBJECT: "ERR source and destination objects are the same",
  NOAUTH: "NOAUTH Authentication required.",
  WRONGPASS: "WRONGPASS invalid username-password pair or user is disabled.",
  NOPERM: "NOPERM",
  BIT_OFFSET: "ERR bit offset is not an integer or out of range",
  BIT_VALUE: "ERR bit is not an integer or out of range",
  STRING_TOO_LONG: "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
  LOADING: "LOADING Redis is loading the dataset in memory",
  OOM: "OOM command not allowed when used memory > 'maxmemory'.",
  NOT_POSITIVE: "ERR value is out of range, must be positive",
  TIMEOUT_NEG: "ERR timeout is negative",
  TIMEOUT_NOT_FLOAT: "ERR timeout is not a float or out of range",
  NO_MULTI_NESTED: "ERR MULTI calls can not be nested",
  EXEC_NO_MULTI: "ERR EXEC without MULTI",
  DISCARD_NO_MULTI: "ERR DISCARD without MULTI",
  WATCH_IN_MULTI: "ERR WATCH inside MULTI is not allowed",
  EXECABORT: "EXECABORT Transaction discarded because of previous errors.",
  NOSCRIPT: "NOSCRIPT No matching script. Please use EVAL.",
} as const;

/** An error reply raised by store or command code; dispatch turns it into "-<msg>". */
export class ReplyError extends Error {
  constructor(readonly reply: string) {
    super(reply);
  }
}

export function fail(reply: string): never {
  throw new ReplyError(reply);
}

export function wrongArgs(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}
