// The `redis` table scripts see, and the bridge from redis.call/pcall to the command table.
//
// A command called from a script goes through the same table as a client's: lookup (with
// subcommands), arity, the noscript flag, the script's read-only mode, then dispatch's call()
// on the script client (CF.FAKE, "lua" in MONITOR), whose reply bytes are converted to Lua.
// Before a write command runs, the undo log records the keys it may touch (rollback).

import type { Server } from "../server/context.ts";
import { REDIS_VERSION } from "../version.ts";
import { CF, Client } from "../server/client.ts";
import { call } from "../server/dispatch.ts";
import { Argv } from "../resp/argv.ts";
import { CMD, type Command, type CommandTable } from "../commands/table.ts";
import { fmtDouble17g } from "../util/numbers.ts";
import type { Effects } from "../commands/tx.ts";
import { respToLua } from "./convert.ts";
import { bytesLatin1, latin1Bytes, lua, pushStr, raise, toBytes, L_, type LuaState } from "./lua.ts";
import type { UndoLog } from "./undo.ts";
import { preCommandOom } from "../store/eviction.ts";
import { E } from "../errors.ts";
import { REDIS_VERSION_NUM, sha1hex, type LuaEngine } from "./engine.ts";

export const REPL_NONE = 0;
export const REPL_AOF = 1;
export const REPL_REPLICA = 2;
export const REPL_ALL = 3;

const LOG_LEVELS = ["debug", "verbose", "notice", "warning"] as const;

/** What the API needs from the script being run. */
export interface ApiHost {
  checkKilled(L: LuaState): void;
}

/** State of one script execution (Redis's scriptRunCtx). */
export class RunCtx implements ApiHost {
  /** the script made a write (so it can no longer be refused for OOM & co) */
  writeDirty = false;
  /** allow-oom flag (or a master's stream): denyoom commands run even when out of memory */
  allowOom = false;
  /** redis.setresp(): the protocol commands reply in, and how booleans come back */
  resp = 2;
  repl = REPL_ALL;
  killed = false;
  readonly start = performance.now();
  readonly argv = new Argv();
  fx: Effects | null = null;

  constructor(
    readonly srv: Server,
    readonly engine: LuaEngine,
    readonly caller: Client,
    readonly fake: Client,
    /** the name in error messages: the sha for EVAL, the function name for FCALL */
    readonly funcname: string,
    readonly readOnly: boolean,
    readonly undo: UndoLog | null,
    /** stop after this many ms (0: never) */
    readonly limitMs: number,
  ) {}

  killMessage(): string {
    return `Script killed by the server: it ran longer than busy-reply-threshold (${this.limitMs} ms)`;
  }

  checkKilled(L: LuaState): void {
    if (!this.killed) return;
    pushStr(L, this.killMessage());
    lua.lua_error(L);
  }
}

/** Pushes a Redis error table {err=...} from a message (Redis's luaPushErrorBuff). */
export function pushErrorTable(L: LuaState, msg: string): void {
  let code = "ERR";
  let text = msg;
  if (msg.startsWith("-")) {
    const sp = msg.indexOf(" ");
    if (sp < 0) text = msg.slice(1);
    else {
      code = msg.slice(1, sp);
      text = msg.slice(sp + 1);
    }
  }
  text = text.replace(/^[\r\n]+|[\r\n]+$/g, "");
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushliteral(L, "err");
  pushStr(L, `${code} ${text}`);
  lua.lua_rawset(L, -3);
}

/** Raises (call) or returns (pcall) an error table. */
function fail(L: LuaState, msg: string, raiseIt: boolean): number {
  pushErrorTable(L, msg);
  if (raiseIt) lua.lua_error(L);
  return 1;
}

/** Redis's lookupCommand for scripts: a container with a subcommand argument resolves to it. */
export function lookupForScript(table: CommandTable, a: Argv): Command | null {
  const cmd = table.lookup(a);
  if (cmd === undefined) return null;
  if (cmd.subs !== null && a.argc >= 2) return table.lookupSub(cmd, a) ?? null;
  return cmd;
}

const scratch: Uint8Array[] = [];

/** Converts the Lua arguments into argv; false when one is not a string or number. */
function luaArgs(L: LuaState, argv: Argv): boolean {
  const argc = lua.lua_gettop(L);
  scratch.length = 0;
  for (let j = 1; j <= argc; j++) {
    const t = lua.lua_type(L, j);
    if (t === L_.TNUMBER) scratch.push(latin1Bytes(fmtDouble17g(lua.lua_tonumber(L, j))));
    else if (t === L_.TSTRING) scratch.push(lua.lua_tolstring(L, j));
    else {
      scratch.length = 0;
      return false;
    }
  }
  argv.setOwned(scratch);
  scratch.length = 0;
  return true;
}

function redisCall(engine: LuaEngine, L: LuaState, raiseIt: boolean): number {
  const ctx = engine.host as RunCtx | null;
  if (ctx === null) return raise(L, "redis.call is not available here");
  if (lua.lua_gettop(L) === 0) return fail(L, "Please specify at least one argument for this redis lib call", raiseIt);
  const argv = ctx.argv;
  const ok = luaArgs(L, argv);
  lua.lua_settop(L, 0);
  if (!ok) return fail(L, "Lua redis lib command arguments must be strings or integers", raiseIt);
  const srv = ctx.srv;
  const cmd = lookupForScript(srv.table, argv);
  if (cmd === null) return fail(L, "Unknown Redis command called from script", raiseIt);
  const ar = cmd.arity;
  if ((ar > 0 && ar !== argv.argc) || argv.argc < -ar) {
    return fail(L, "Wrong number of args calling Redis command from script", raiseIt);
  }
  const f = cmd.flags;
  if (f & CMD.NOSCRIPT) return fail(L, "This Redis command is not allowed from script", raiseIt);
  if (ctx.readOnly && f & (CMD.WRITE | CMD.MAY_REPLICATE)) {
    return fail(L, "Write commands are not allowed from read-only scripts.", raiseIt);
  }
  // Only the first write can be refused: after it the script cannot stop half way.
  if (f & CMD.DENYOOM && !ctx.writeDirty && !ctx.allowOom && preCommandOom()) return fail(L, "-" + E.OOM, raiseIt);
  const fake = ctx.fake;
  const undo = ctx.undo;
  const isWrite = (f & CMD.WRITE) !== 0;
  if (isWrite) {
    ctx.writeDirty = true;
    if (undo !== null) undo.before(srv.ks, fake.db, cmd, argv);
  }
  const out = fake.out;
  const mark = out.n;
  const fx = ctx.fx;
  if (fx !== null) fx.mute = ctx.repl === REPL_NONE;
  call(fake, cmd, argv);
  if (fx !== null) fx.mute = false;
  if (isWrite && undo !== null) undo.after(srv.ks);
  const isErr = out.b[mark] === 45;
  lua.lua_checkstack(L, 8);
  respToLua(L, out.b, mark);
  out.rewind(mark);
  if (out.b.length > 1 << 20 && mark === 0) out.shrink();
  if (isErr) {
    // Already counted in the error stats by the command itself.
    lua.lua_pushliteral(L, "ignore_error_stats_update");
    lua.lua_pushboolean(L, 1);
    lua.lua_rawset(L, -3);
    if (raiseIt) lua.lua_error(L);
  }
  ctx.checkKilled(L);
  return 1;
}

function nargs(L: LuaState): number {
  return lua.lua_gettop(L);
}

/** Builds the `redis` table (left in the real globals). */
export function installRedisApi(engine: LuaEngine, L: LuaState): void {
  const srv = engine.srv;
  lua.lua_createtable(L, 0, 32);
  const set = (name: string, fn: (L: LuaState) => number) => {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, latin1Bytes(name));
  };
  const num = (name: string, v: number) => {
    lua.lua_pushnumber(L, v);
    lua.lua_setfield(L, -2, latin1Bytes(name));
  };
  set("call", (L2) => redisCall(engine, L2, true));
  set("pcall", (L2) => redisCall(engine, L2, false));
  set("error_reply", (L2) => {
    if (nargs(L2) !== 1 || lua.lua_type(L2, -1) !== L_.TSTRING) return fail(L2, "wrong number or type of arguments", false);
    const s = bytesLatin1(toBytes(L2, -1)!);
    pushErrorTable(L2, s.startsWith("-") ? s : "-" + s);
    return 1;
  });
  set("status_reply", (L2) => {
    if (nargs(L2) !== 1 || lua.lua_type(L2, -1) !== L_.TSTRING) return fail(L2, "wrong number or type of arguments", false);
    lua.lua_createtable(L2, 0, 1);
    lua.lua_pushliteral(L2, "ok");
    lua.lua_pushvalue(L2, -3);
    lua.lua_rawset(L2, -3);
    return 1;
  });
  set("sha1hex", (L2) => {
    if (nargs(L2) !== 1) return fail(L2, "wrong number of arguments", true);
    const b = toBytes(L2, 1) ?? new Uint8Array(0);
    pushStr(L2, sha1hex(b));
    return 1;
  });
  set("log", (L2) => {
    const argc = nargs(L2);
    if (argc < 2) return fail(L2, "redis.log() requires two arguments or more.", true);
    if (lua.lua_type(L2, 1) !== L_.TNUMBER && !lua.lua_isnumber(L2, 1)) return fail(L2, "First argument must be a number (log level).", true);
    const level = Math.trunc(lua.lua_tonumber(L2, 1));
    if (!(level >= 0 && level <= 3)) return fail(L2, "Invalid debug level.", true);
    let msg = "";
    for (let j = 2; j <= argc; j++) {
      const s = toBytes(L2, j);
      if (s === null) continue;
      if (j !== 2) msg += " ";
      msg += bytesLatin1(s);
    }
    srv.log.at(LOG_LEVELS[Math.trunc(level)]!, msg);
    return 0;
  });
  set("setresp", (L2) => {
    if (nargs(L2) !== 1) return fail(L2, "redis.setresp() requires one argument.", true);
    const v = lua.lua_tonumber(L2, -1);
    if (v !== 2 && v !== 3) return fail(L2, "RESP version must be 2 or 3.", true);
    const ctx = engine.host as RunCtx | null;
    if (ctx !== null) {
      ctx.resp = v;
      ctx.fake.out.proto = v;
    }
    return 0;
  });
  set("set_repl", (L2) => {
    if (nargs(L2) !== 1) return fail(L2, "redis.set_repl() requires two arguments.", true);
    const v = lua.lua_tonumber(L2, -1);
    if (!Number.isInteger(v) || v < 0 || v > REPL_ALL) {
      return fail(L2, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.", true);
    }
    const ctx = engine.host as RunCtx | null;
    if (ctx !== null) ctx.repl = v;
    return 0;
  });
  if (engine.kind === "eval") {
    // (functions do not have these)
    set("replicate_commands", (L2) => {
      lua.lua_pushboolean(L2, 1);
      return 1;
    });
    set("breakpoint", (L2) => {
      lua.lua_pushboolean(L2, 0);
      return 1;
    });
    set("debug", () => 0);
  }
  set("acl_check_cmd", (L2) => {
    if (nargs(L2) === 0) return fail(L2, "Please specify at least one argument for this redis lib call", true);
    const argv = new Argv();
    if (!luaArgs(L2, argv)) return fail(L2, "Lua redis lib command arguments must be strings or integers", true);
    if (lookupForScript(srv.table, argv) === null) return fail(L2, "Invalid command passed to redis.acl_check_cmd()", true);
    lua.lua_pushboolean(L2, 1);
    return 1;
  });
  num("LOG_DEBUG", 0);
  num("LOG_VERBOSE", 1);
  num("LOG_NOTICE", 2);
  num("LOG_WARNING", 3);
  num("REPL_NONE", REPL_NONE);
  num("REPL_AOF", REPL_AOF);
  num("REPL_SLAVE", REPL_REPLICA);
  num("REPL_REPLICA", REPL_REPLICA);
  num("REPL_ALL", REPL_ALL);
  pushStr(L, REDIS_VERSION);
  lua.lua_setfield(L, -2, latin1Bytes("REDIS_VERSION"));
  num("REDIS_VERSION_NUM", REDIS_VERSION_NUM);
  lua.lua_setglobal(L, latin1Bytes("redis"));
}

/** The `redis` table library code sees while FUNCTION LOAD runs it. */
export function pushLoadRedisApi(L: LuaState, registerFunction: (L: LuaState) => number, log: (L: LuaState) => number): void {
  lua.lua_createtable(L, 0, 8);
  lua.lua_pushcfunction(L, registerFunction);
  lua.lua_setfield(L, -2, latin1Bytes("register_function"));
  lua.lua_pushcfunction(L, log);
  lua.lua_setfield(L, -2, latin1Bytes("log"));
  for (const [k, v] of [["LOG_DEBUG", 0], ["LOG_VERBOSE", 1], ["LOG_NOTICE", 2], ["LOG_WARNING", 3], ["REDIS_VERSION_NUM", REDIS_VERSION_NUM]] as const) {
    lua.lua_pushnumber(L, v);
    lua.lua_setfield(L, -2, latin1Bytes(k));
  }
  pushStr(L, REDIS_VERSION);
  lua.lua_setfield(L, -2, latin1Bytes("REDIS_VERSION"));
}

const fakes = new WeakMap<Server, Client>();

/** The script client (one per server, like Redis's lua_client). */
export function scriptClient(srv: Server): Client {
  let c = fakes.get(srv);
  if (c === undefined) {
    c = new Client(srv, 0);
    c.flags = CF.FAKE;
    c.authenticated = true;
    c.out.onError = (msg) => srv.countError(msg);
    fakes.set(srv, c);
  }
  return c;
}
