// The propagation stream (DESIGN.md "Propagation is the spine"): every write reaches the WAL
// and replicas as deterministic commands. By default dispatch propagates the command as
// received when it changed the dataset; handlers whose effect differs from their text
// (SPOP -> SREM, EXPIRE -> PEXPIREAT, INCRBYFLOAT -> SET, BLPOP -> LPOP, ...) call
// propagateAs() instead, once per effect command.

import type { Argv } from "../resp/argv.ts";
import type { Client } from "./client.ts";
import type { Server } from "./context.ts";

/**
 * A stream consumer that can take a command straight from the request bytes (the WAL encodes
 * it at once): dispatch then skips copying the arguments.
 */
export interface ArgvConsumer {
  argv(dbid: number, a: Argv): void;
}

/** Propagates a command as received (dispatch, when a command changed the dataset). */
export function propagateArgv(srv: Server, dbid: number, a: Argv): void {
  const hooks = srv.hooks.propagate;
  let direct = true;
  for (let i = 0; i < hooks.length; i++) if ((hooks[i] as Partial<ArgvConsumer>).argv === undefined) direct = false;
  if (direct) {
    for (let i = 0; i < hooks.length; i++) (hooks[i] as unknown as ArgvConsumer).argv(dbid, a);
    return;
  }
  const args: Uint8Array[] = [];
  // Copies (Buffer's slice would be a view of a receive buffer that gets reused).
  for (let i = 0; i < a.argc; i++) args.push(Uint8Array.prototype.slice.call(a.bytes(i)));
  srv.propagate(dbid, args);
}

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
