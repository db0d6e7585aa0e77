// The gate chain, in Redis's processCommand order: lookup, arity, auth, no-multi, ACL,
// cluster redirect, OOM, pub/sub context, loading, MULTI queueing, then call(): the
// handler, stats, slow log, MONITOR feed, propagation, and serving clients whose keys
// became ready.

import { ReplyError, wrongArgs, E } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { CMD, type Command } from "../commands/table.ts";
import { repr } from "../util/repr.ts";
import { LatencyHistogram } from "./histogram.ts";
import { CF, type Client } from "./client.ts";
import { discardTransaction } from "../commands/tx.ts";
import type { Server } from "./context.ts";
import { propagateArgv } from "./propagate.ts";

/** Checks run before a command is queued or called; a hook per optional subsystem. */
export interface Gate {
  /** Returns an error reply to reject the command, or null to let it through. */
  (c: Client, cmd: Command, a: Argv): string | null;
}

/** Extra gates (cluster redirect, OOM, ACL) registered by subsystems, run in order. */
export const gates: Gate[] = [];

/** A gate's answer meaning "taken care of" (the shard router forwarded or parked the command). */
export const ROUTED = "\u0000routed";

const PUBSUB_ALLOWED = new Set(["ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset"]);
const MULTI_IMMEDIATE = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

/** Error text for an unknown command, with Redis's 128-char cuts. */
function unknownCommand(a: Argv): string {
  let args = "";
  for (let i = 1; i < a.argc && args.length < 128; i++) args += `'${a.str(i).slice(0, 128 - args.length)}' `;
  return `ERR unknown command '${a.str(0).slice(0, 128)}', with args beginning with: ${args}`;
}

/** Rejects before the call: counts it and taints an open transaction. */
function reject(c: Client, msg: string, cmd: Command | null): void {
  if (cmd) cmd.rejected++;
  if (c.flags & CF.MULTI) c.flags |= CF.DIRTY_EXEC;
  if (cmd !== null && cmd.name === "exec") {
    // Redis's execCommandAbort: a rejected EXEC ends the transaction.
    discardTransaction(c);
    c.out.error(`EXECABORT Transaction discarded because of: ${msg.startsWith("ERR ") ? msg.slice(4) : msg}`);
    return;
  }
  c.out.error(msg);
}

/** Resolves argv to a command (or subcommand), replying with the error if it cannot. */
export function resolve(srv: Server, c: Client, a: Argv): Command | null {
  let cmd = srv.table.lookup(a);
  if (cmd === undefined) {
    reject(c, unknownCommand(a), null);
    return null;
  }
  if (cmd.subs !== null && !(a.argc === 1 && cmd.handler !== null)) {
    if (a.argc === 1) {
      reject(c, wrongArgs(cmd.name), cmd);
      return null;
    }
    const sub = srv.table.lookupSub(cmd, a);
    if (sub === undefined) {
      reject(c, `ERR unknown subcommand '${a.str(1).slice(0, 128)}'. Try ${a.str(0).toUpperCase()} HELP.`, cmd);
      return null;
    }
    cmd = sub;
  }
  const ar = cmd.arity;
  if ((ar > 0 && ar !== a.argc) || a.argc < -ar) {
    reject(c, wrongArgs(cmd.name), cmd);
    return null;
  }
  return cmd;
}

export function processCommand(c: Client, a: Argv): void {
  const srv = c.srv;
  const cmd = resolve(srv, c, a);
  if (cmd === null) return;
  const f = cmd.flags;

  if (!c.authenticated && (f & CMD.NO_AUTH) === 0) return reject(c, E.NOAUTH, cmd);
  if (c.flags & CF.MULTI && f & CMD.NO_MULTI) return reject(c, "ERR Command not allowed inside a transaction", cmd);
  for (let i = 0; i < gates.length; i++) {
    const err = gates[i]!(c, cmd, a);
    if (err !== null) {
      if (err === ROUTED) return;
      return reject(c, err, cmd);
    }
  }
  if (c.proto === 2 && c.flags & CF.PUBSUB && !PUBSUB_ALLOWED.has(cmd.parent?.name ?? cmd.name)) {
    return reject(
      c,
      `ERR Can't execute '${cmd.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      cmd,
    );
  }
  if (srv.pause !== null && !(c.flags & (CF.FAKE | CF.REPLICA)) && (srv.pause.all || f & (CMD.WRITE | CMD.MAY_REPLICATE))) {
    if (Date.now() < srv.pause.until) return srv.postpone(c);
    srv.unpauseClients();
  }
  if (srv.loading && (f & CMD.LOADING) === 0) return reject(c, E.LOADING, cmd);
  if (c.flags & CF.MULTI && !MULTI_IMMEDIATE.has(cmd.name)) {
    c.queued.push({ cmd, argv: a.clone() });
    c.out.status("QUEUED");
    return;
  }
  call(c, cmd, a);
  if (srv.ks.readyKeys.length) srv.hooks.readyKeys?.(srv);
}

/** Runs a resolved command: the handler plus everything Redis's call() does around it. */
export function call(c: Client, cmd: Command, a: Argv): void {
  const srv = c.srv;
  const ks = srv.ks;
  const out = c.out;
  const mark = out.n;
  const dirty = ks.dirty;
  c.lastCmd = cmd.name;
  // One clock read per command: a command's time runs from the previous reading (the batch
  // start or the previous command's end); nested calls (EXEC, scripts) nest correctly.
  const start = srv.clock;
  ks.writing = (cmd.flags & CMD.WRITE) !== 0;
  try {
    cmd.handler!(c, a);
  } catch (e) {
    if (!(e instanceof ReplyError)) {
      srv.log.warning(`Error running '${cmd.name}': ${(e as Error)?.stack ?? e}`);
      srv.stats.unexpectedErrorReplies++;
    }
    out.rewind(mark);
    out.error(e instanceof ReplyError ? e.reply : `ERR internal error running '${cmd.name}': ${(e as Error)?.message ?? e}`);
    cmd.failed++;
  }
  const end = performance.now();
  srv.clock = end;
  const elapsed = (end - start) * 1000;
  const us = Math.round(elapsed);
  cmd.calls++;
  cmd.usec += us;
  if (srv.latencyTracking) (cmd.latency ??= new LatencyHistogram()).record(elapsed);
  srv.stats.commands++;
  if ((cmd.flags & CMD.SKIP_SLOWLOG) === 0 && us >= srv.slowlog.threshold && srv.slowlog.threshold >= 0) slowlogAdd(srv, c, a, us);
  c.redact = null;
  if (srv.latency.threshold > 0) srv.latency.add(cmd.has(CMD.FAST) ? "fast-command" : "command", us / 1000);
  if (srv.monitors.size !== 0 && (cmd.flags & (CMD.SKIP_MONITOR | CMD.ADMIN)) === 0) feedMonitors(srv, c, a);
  if (ks.dirty !== dirty && srv.hooks.propagate.length !== 0 && !c.selfPropagated) propagateArgv(srv, c.dbIndex, a);
  c.selfPropagated = false;
}

/**
 * Offers a command to the slow log. Kept out of call(): closures over call()'s arguments
 * would make every call allocate a scope object.
 */
function slowlogAdd(srv: Server, c: Client, a: Argv, us: number): void {
  const red = c.redact;
  srv.slowlog.maybeAdd(us, red === null ? () => a.strings() : () => a.strings().map((s, i) => (red.includes(i) ? "(redacted)" : s)), c.addr, c.name);
}

/** One MONITOR line: +<unix.micros> [<db> <addr>] "arg" ... */
export function feedMonitors(srv: Server, c: Client, a: Argv): void {
  const now = performance.timeOrigin + performance.now();
  const sec = Math.floor(now / 1000);
  const usec = Math.floor((now - sec * 1000) * 1000);
  const who = c.flags & CF.FAKE ? "lua" : c.addr;
  let line = `${sec}.${String(usec).padStart(6, "0")} [${c.dbIndex} ${who}]`;
  for (let i = 0; i < a.argc; i++) line += " " + repr(a.str(i));
  for (const m of srv.monitors) {
    m.out.status(line);
    srv.markDirty(m);
  }
}
