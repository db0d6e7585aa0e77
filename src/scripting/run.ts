// Running a script or function: the part EVAL and FCALL share (Redis's scriptPrepareForRun,
// the call itself, the reply, and what happens after: rollback or propagation).
//
// While the script runs, command time is frozen, its commands' propagation is captured, and
// (with lua-rollback) the undo log records the keys it writes. On success the captured writes
// are propagated, wrapped in MULTI/EXEC when there is more than one. On an uncaught error (or
// when the time limit stops it) the undo log restores every key and nothing is propagated, so
// the failed script has no effect. With lua-rollback off, the writes made before the error
// stay and are propagated, as in Redis.

import { CF, type Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { captureEffects, releaseEffects } from "../commands/tx.ts";
import { RunCtx, scriptClient } from "./api.ts";
import { luaToReply, writeError } from "./convert.ts";
import type { LuaEngine } from "./engine.ts";
import { lua, type LuaState } from "./lua.ts";
import { UndoLog } from "./undo.ts";
import { preCommandOom } from "../store/eviction.ts";
import { E } from "../errors.ts";

export const SF = {
  NO_WRITES: 1 << 0,
  ALLOW_OOM: 1 << 1,
  ALLOW_STALE: 1 << 2,
  NO_CLUSTER: 1 << 3,
  /** a script without a shebang (Redis's SCRIPT_FLAG_EVAL_COMPAT_MODE) */
  EVAL_COMPAT: 1 << 4,
  ALLOW_CROSS_SLOT: 1 << 5,
} as const;

export const FLAG_NAMES: [string, number][] = [
  ["no-writes", SF.NO_WRITES],
  ["allow-oom", SF.ALLOW_OOM],
  ["allow-stale", SF.ALLOW_STALE],
  ["no-cluster", SF.NO_CLUSTER],
  ["allow-cross-slot-keys", SF.ALLOW_CROSS_SLOT],
];

/** The engine running a script right now (SCRIPT KILL / FUNCTION STATS would look here). */
export let running: RunCtx | null = null;

/** Checks before running (Redis's scriptPrepareForRun); returns an error reply or null. */
export function prepareError(srv: Server, flags: number, ro: boolean): string | null {
  if (!(flags & SF.EVAL_COMPAT)) {
    if (flags & SF.NO_CLUSTER && srv.cfg.bool("cluster-enabled")) return "ERR Can not run script on cluster, 'no-cluster' flag is set.";
    if (!(flags & SF.NO_WRITES) && ro) return "ERR Can not execute a script with write flag using *_ro command.";
    // Redis refuses such a script in processCommand (its shebang makes it denyoom), so the
    // reply is the plain OOM error.
    if (!(flags & (SF.ALLOW_OOM | SF.NO_WRITES)) && preCommandOom()) return E.OOM;
  }
  return null;
}

export interface RunRequest {
  engine: LuaEngine;
  caller: Client;
  /** the name in error messages */
  funcname: string;
  /** registry ref of the function to call */
  fnRef: number;
  keys: Uint8Array[];
  args: Uint8Array[];
  /** eval: KEYS/ARGV globals; function: (keys, args) arguments */
  style: "eval" | "function";
  flags: number;
  ro: boolean;
}

let hookCtx: RunCtx | null = null;

function timeHook(L: LuaState): void {
  const ctx = hookCtx;
  if (ctx === null) return;
  if (!ctx.killed) {
    if (performance.now() - ctx.start <= ctx.limitMs) return;
    ctx.killed = true;
    ctx.srv.log.warning(`Lua script stopped after running for more than ${ctx.limitMs} ms (busy-reply-threshold)`);
    // From now on fail at every line, so pcall cannot swallow the kill.
    lua.lua_sethook(L, timeHook, lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
  }
  ctx.checkKilled(L);
}

/** Runs a compiled script or function for a client and writes its reply. */
export function runScript(r: RunRequest): void {
  const { engine, caller } = r;
  const srv = caller.srv;
  const ks = srv.ks;
  const L = engine.L;
  const fake = scriptClient(srv);
  fake.select(caller.dbIndex);
  fake.out.proto = 2;
  fake.out.rewind(0);
  const readOnly = r.ro || (!(r.flags & SF.EVAL_COMPAT) && (r.flags & SF.NO_WRITES) !== 0);
  const undo = srv.cfg.bool("lua-rollback") && !readOnly ? new UndoLog() : null;
  const limit = srv.cfg.num("busy-reply-threshold");
  const ctx = new RunCtx(srv, engine, caller, fake, r.funcname, readOnly, undo, limit);
  ctx.allowOom = (r.flags & SF.ALLOW_OOM) !== 0 || (caller.flags & CF.MASTER) !== 0;
  const fx = captureEffects(srv);
  ctx.fx = fx;
  // Lazy-expiry deletions are not the script's doing: they go out even if it is rolled back.
  const ksPropagate = ks.propagate;
  if (fx !== null) ks.propagate = (db, args) => { for (const f of fx.saved) f(db, args); };
  const prevHost = engine.host;
  engine.host = ctx;
  running = ctx;
  ks.frozen++;
  let ok = false;
  try {
    lua.lua_settop(L, 0);
    engine.getRef(r.fnRef);
    let nargs = 0;
    if (r.style === "eval") {
      engine.setGlobalArray("KEYS", r.keys);
      engine.setGlobalArray("ARGV", r.args);
    } else {
      pushArrayOf(L, r.keys);
      pushArrayOf(L, r.args);
      nargs = 2;
    }
    if (limit > 0) {
      hookCtx = ctx;
      lua.lua_sethook(L, timeHook, lua.LUA_MASKCOUNT, 100000);
    }
    const err = engine.pcallTop(nargs);
    if (limit > 0) {
      lua.lua_sethook(L, null, 0, 0);
      hookCtx = null;
    }
    const out = caller.out;
    if (err === null && !ctx.killed) {
      luaToReply(L, out, ctx.resp);
      ok = true;
    } else {
      let msg = err === null ? `ERR ${ctx.killMessage()}` : err.msg;
      if (err !== null && err.line !== null && err.source !== null) msg += ` script: ${r.funcname}, on ${err.source}:${err.line}.`;
      writeError(out, msg, err === null || !err.ignoreStats);
    }
  } finally {
    lua.lua_settop(L, 0);
    ks.frozen--;
    engine.host = prevHost;
    running = null;
    ks.propagate = ksPropagate;
    fake.out.rewind(0);
    if (!ok && undo !== null) {
      undo.rollback(ks);
      releaseEffects(srv, fx, false);
    } else releaseEffects(srv, fx, true);
  }
  // The script went out as its effects (or not at all).
  caller.selfPropagated = true;
}

function pushArrayOf(L: LuaState, items: Uint8Array[]): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    lua.lua_pushlstring(L, items[i]!, items[i]!.length);
    lua.lua_rawseti(L, -2, i + 1);
  }
}
