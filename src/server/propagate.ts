// The propagation stream (DESIGN.md "Propagation is the spine"): every write reaches the WAL
// and replicas as deterministic commands. By default dispatch propagates the command as
// received when it changed the dataset; handlers whose effect differs from their text
// (SPOP -> SREM, EXPIRE -> PEXPIREAT, INCRBYFLOAT -> SET, BLPOP -> LPOP, ...) call
// propagateAs() instead, once per effect command.

import type { Client } from "./client.ts";

export function propagateAs(c: Client, args: (string | Uint8Array)[]): void {
  c.selfPropagated = true;
  if (c.srv.hooks.propagate.length !== 0) c.srv.propagate(c.dbIndex, args);
}

/** Marks the command as propagating nothing (its effect was a no-op or is covered elsewhere). */
export function propagateNothing(c: Client): void {
  c.selfPropagated = true;
}

/** True when someone consumes the stream, so handlers can skip building effect commands. */
export function propagating(c: Client): boolean {
  return c.srv.hooks.propagate.length !== 0;
}
