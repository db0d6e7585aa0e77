// One Lua interpreter (a fengari state) set up the way Redis 7.0 sets up its own: the Lua 5.1
// library surface, the cjson/cmsgpack/bit/struct libraries, the `redis` API, and the sandbox.
//
// Sandbox: scripts see a proxy of the globals table whose writes fail ("Attempt to modify a
// readonly table") and whose misses fail ("Script attempted to access nonexistent global
// variable"); every library table is exposed through a read-only proxy too, and rawset /
// setmetatable refuse them. So nothing a script does survives it, except through the data.
//
// Two engines exist per server: one for EVAL scripts (SCRIPT FLUSH recreates it) and one for
// FUNCTION libraries (whose code runs at load time with only redis.register_function & co).

import { createHash } from "node:crypto";
import type { Server } from "../server/context.ts";
import { REDIS_VERSION } from "../version.ts";
import { bytesLatin1, latin1Bytes, lauxlib, lua, lualib, pushOwned, pushStr, raise, raiseAt, toBytes, L_, type LuaState } from "./lua.ts";
import { installRedisApi, type ApiHost } from "./api.ts";
import { installMath51 } from "./math51.ts";
import { installCjson } from "./cjson.ts";
import { installCmsgpack } from "./cmsgpack.ts";
import { installBit } from "./bit.ts";
import { installStruct } from "./struct.ts";
import { installFormat51 } from "./strformat.ts";
import { lua51Source } from "./lex51.ts";

export const REDIS_VERSION_NUM = (() => {
  const [a, b, c] = REDIS_VERSION.split(".").map(Number);
  return (a! << 16) | (b! << 8) | c!;
})();

export function sha1hex(b: Uint8Array | string): string {
  return createHash("sha1").update(typeof b === "string" ? Buffer.from(b, "latin1") : b).digest("hex");
}

/** Rewrites Lua 5.3 runtime error texts into the Lua 5.1 form Redis reports. */
export function lua51Message(s: string): string {
  if (!s.includes("attempt to")) return s;
  return s.replace(
    /attempt to ([a-z ]+?) an? ([a-z]+) value \((local|global|field|upvalue|method|constant) '([^']*)'\)/g,
    (_m, op, type, kind, name) => `attempt to ${op} ${kind === "constant" ? "field" : kind} '${name}' (a ${type} value)`,
  );
}

/** Lua 5.1 quotes every token in syntax errors; 5.3 leaves <eof> bare. */
function syntaxMessage51(s: string): string {
  return s.replace(/(^|[^'])<eof>(?!')/g, "$1'<eof>'");
}

export type EngineKind = "eval" | "function";

/** Information about a Lua error, the way Redis's error handler records it. */
export interface LuaErrorInfo {
  msg: string;
  source: string | null;
  line: number | null;
  ignoreStats: boolean;
}

export class LuaEngine {
  readonly L: LuaState;
  /** registry refs */
  readonly refG: number;
  readonly refEnv: number;
  private readonly refRO: number;
  private readonly refEnvMeta: number;
  /** FUNCTION engine: the globals seen by library code while it loads */
  private refLoadApi = 0;
  /** the message handler used for top-level calls */
  private readonly refHandler: number;
  /** set by the runner while a script runs (redis.call needs it) */
  host: ApiHost | null = null;

  constructor(
    readonly srv: Server,
    readonly kind: EngineKind,
  ) {
    const L = lauxlib.luaL_newstate();
    this.L = L;
    for (const [name, open] of [
      ["_G", lualib.luaopen_base],
      ["table", lualib.luaopen_table],
      ["string", lualib.luaopen_string],
      ["math", lualib.luaopen_math],
      ["coroutine", lualib.luaopen_coroutine],
    ] as const) {
      lauxlib.luaL_requiref(L, latin1Bytes(name), open, 1);
      lua.lua_pop(L, 1);
    }
    lua.lua_atnativeerror(L, (L2: LuaState) => {
      const e = lua.lua_touserdata(L2, -1);
      pushStr(L2, e instanceof Error ? e.message : String(e));
      return 1;
    });

    // Registry: the real globals, the read-only set, the env proxy.
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    this.refG = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushliteral(L, "k");
    lua.lua_setfield(L, -2, latin1Bytes("__mode"));
    lua.lua_setmetatable(L, -2);
    this.refRO = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);

    installMath51(L);
    installCjson(L);
    installCmsgpack(L);
    installBit(L);
    installStruct(L);
    installFormat51(L);
    installRedisApi(this, L);

    // The env proxy scripts run in.
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 4);
    this.refEnvMeta = this.pushRefCopy(-1);
    this.refEnv = this.pushRefCopy(-2);
    lua.lua_pop(L, 2);

    this.prelude();
    this.protect();

    // Message handler for top-level calls (Redis's __redis__err__handler).
    lua.lua_pushcfunction(L, (L2: LuaState) => this.errorHandler(L2));
    lua.lua_pushvalue(L, -1);
    this.refHandler = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.getRef(this.refG);
    lua.lua_insert(L, -2);
    pushStr(L, "__redis__err__handler");
    lua.lua_insert(L, -2);
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
  }

  /** luaL_ref of a copy of the value at idx (leaves the stack as it was). */
  private pushRefCopy(idx: number): number {
    lua.lua_pushvalue(this.L, idx);
    return lauxlib.luaL_ref(this.L, lua.LUA_REGISTRYINDEX);
  }

  getRef(ref: number): void {
    lua.lua_rawgeti(this.L, lua.LUA_REGISTRYINDEX, ref);
  }

  /** Runs privileged Lua with the real globals: the Lua 5.1 library surface. */
  private prelude(): void {
    const L = this.L;
    const code = `
local G, E = ...
local type, next, error = type, next, error
G.unpack = table.unpack
table.unpack, table.pack, table.move = nil, nil, nil
table.getn = function(t) return #t end
table.setn = function() error("'setn' is obsolete", 2) end
table.maxn = function(t)
  local m = 0
  for k in next, t do if type(k) == "number" and k > m then m = k end end
  return m
end
table.foreach = function(t, f)
  for k, v in next, t do local r = f(k, v) if r ~= nil then return r end end
end
table.foreachi = function(t, f)
  for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end
end
string.gfind = string.gmatch
string.pack, string.unpack, string.packsize = nil, nil, nil
coroutine.isyieldable = nil
G._VERSION = "Lua 5.1"
G.print, G.dofile, G.loadfile, G.require, G.rawlen, G.utf8, G.package = nil, nil, nil, nil, nil, nil, nil
local count = collectgarbage
G.gcinfo = function() return math.floor(count("count")) end
`;
    if (lauxlib.luaL_loadbufferx(L, latin1Bytes(code), code.length, latin1Bytes("=prelude"), latin1Bytes("t")) !== 0) {
      throw new Error(`prelude: ${lua.lua_tojsstring(L, -1)}`);
    }
    this.getRef(this.refG);
    this.getRef(this.refEnv);
    if (lua.lua_pcall(L, 2, 0, 0) !== 0) throw new Error(`prelude: ${lua.lua_tojsstring(L, -1)}`);

    // loadstring / load compile into the sandbox, text only.
    const loadInto = (L2: LuaState, chunk: Uint8Array | null, name: Uint8Array | null): number => {
      let status: number;
      if (chunk !== null) {
        const src = lua51Source(chunk);
        status = lauxlib.luaL_loadbufferx(L2, src, src.length, name ?? chunk, latin1Bytes("t"));
      }
      else {
        // load(f): concatenate the pieces f returns.
        const parts: Uint8Array[] = [];
        for (;;) {
          lua.lua_pushvalue(L2, 1);
          lua.lua_call(L2, 0, 1);
          if (lua.lua_isnil(L2, -1)) {
            lua.lua_pop(L2, 1);
            break;
          }
          const p = toBytes(L2, -1);
          if (p === null) raise(L2, "reader function must return a string");
          if (p.length === 0) {
            lua.lua_pop(L2, 1);
            break;
          }
          parts.push(p.slice());
          lua.lua_pop(L2, 1);
        }
        const all = new Uint8Array(Buffer.concat(parts));
        status = lauxlib.luaL_loadbufferx(L2, all, all.length, name ?? latin1Bytes("=(load)"), latin1Bytes("t"));
      }
      if (status !== 0) {
        const msg = toBytes(L2, -1);
        lua.lua_pushnil(L2);
        if (msg !== null) pushStr(L2, syntaxMessage51(bytesLatin1(msg)));
        else lua.lua_pushnil(L2);
        return 2;
      }
      this.getRef(this.refEnv);
      lua.lua_setupvalue(L2, -2, 1);
      return 1;
    };
    this.getRef(this.refG);
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      const s = toBytes(L2, 1);
      if (s === null || lua.lua_type(L2, 1) !== L_.TSTRING) lauxlib.luaL_checklstring(L2, 1);
      const name = lua.lua_isnoneornil(L2, 2) ? null : toBytes(L2, 2);
      return loadInto(L2, s!.slice(), name === null ? null : name.slice());
    });
    lua.lua_setfield(L, -2, latin1Bytes("loadstring"));
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      const name = lua.lua_isnoneornil(L2, 2) ? null : toBytes(L2, 2);
      if (lua.lua_type(L2, 1) === L_.TSTRING) return loadInto(L2, toBytes(L2, 1)!.slice(), name === null ? null : name.slice());
      lauxlib.luaL_checktype(L2, 1, L_.TFUNCTION);
      return loadInto(L2, null, name === null ? null : name.slice());
    });
    lua.lua_setfield(L, -2, latin1Bytes("load"));
    lua.lua_pop(L, 1);
  }

  private isReadonly(L: LuaState, idx: number): boolean {
    if (lua.lua_type(L, idx) !== L_.TTABLE) return false;
    idx = lua.lua_absindex(L, idx);
    this.getRef(this.refRO);
    lua.lua_pushvalue(L, idx);
    lua.lua_rawget(L, -2);
    const ro = lua.lua_toboolean(L, -1);
    lua.lua_pop(L, 2);
    return ro;
  }

  /**
   * Marks the table at the top as read-only (for rawset/setmetatable). `realIdx`: the table it
   * is a proxy of (rawget and next look through to it).
   */
  private markReadonly(realIdx = 0): void {
    const L = this.L;
    const real = realIdx === 0 ? 0 : lua.lua_absindex(L, realIdx);
    this.getRef(this.refRO);
    lua.lua_pushvalue(L, -2);
    if (real === 0) lua.lua_pushboolean(L, 1);
    else lua.lua_pushvalue(L, real);
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
  }

  /** Replaces a proxy at idx by the table it stands for (rawget/next see the contents). */
  private unproxy(L: LuaState, idx: number): void {
    if (lua.lua_type(L, idx) !== L_.TTABLE) return;
    idx = lua.lua_absindex(L, idx);
    this.getRef(this.refRO);
    lua.lua_pushvalue(L, idx);
    if (lua.lua_rawget(L, -2) === L_.TTABLE) lua.lua_replace(L, idx);
    else lua.lua_pop(L, 1);
    lua.lua_pop(L, 1);
  }

  /**
   * Replaces the table at the top by a read-only proxy of it. `strict`: reading a missing field
   * fails like a missing global (Redis's error metatable on the redis table).
   */
  private pushProxy(strict: boolean): void {
    const L = this.L;
    // stack: real
    lua.lua_createtable(L, 0, 0); // proxy
    lua.lua_createtable(L, 0, 4); // meta
    if (strict) {
      lua.lua_pushvalue(L, -3);
      lua.lua_pushcclosure(
        L,
        (L2: LuaState) => {
          lua.lua_pushvalue(L2, 2);
          if (lua.lua_rawget(L2, lua.lua_upvalueindex(1)) === L_.TNIL) {
            const k = toBytes(L2, 2);
            raiseAt(L2, `Script attempted to access nonexistent global variable '${k === null ? "?" : bytesLatin1(k)}'`);
          }
          return 1;
        },
        1,
      );
    } else lua.lua_pushvalue(L, -3);
    lua.lua_setfield(L, -2, latin1Bytes("__index"));
    lua.lua_pushcfunction(L, readonlyError);
    lua.lua_setfield(L, -2, latin1Bytes("__newindex"));
    lua.lua_pushvalue(L, -3);
    lua.lua_pushcclosure(L, pairsOf, 1);
    lua.lua_setfield(L, -2, latin1Bytes("__pairs"));
    lua.lua_pushboolean(L, 0);
    lua.lua_setfield(L, -2, latin1Bytes("__metatable"));
    lua.lua_setmetatable(L, -2);
    this.markReadonly(-2);
    lua.lua_remove(L, -2);
  }

  /** Locks the globals and every library table. */
  private protect(): void {
    const L = this.L;
    this.getRef(this.refG);
    const G = lua.lua_gettop(L);
    for (const name of ["string", "table", "math", "coroutine", "cjson", "cmsgpack", "bit", "struct", "redis"]) {
      lua.lua_getfield(L, G, latin1Bytes(name));
      this.pushProxy(false);
      lua.lua_setfield(L, G, latin1Bytes(name));
    }

    // The string metatable: methods go through the read-only string proxy, and
    // getmetatable("") hands out a read-only view of the metatable.
    pushStr(L, "");
    lua.lua_getmetatable(L, -1);
    lua.lua_getfield(L, G, latin1Bytes("string"));
    lua.lua_setfield(L, -2, latin1Bytes("__index"));
    lua.lua_pushvalue(L, -1);
    this.pushProxy(false);
    lua.lua_setfield(L, -2, latin1Bytes("__metatable"));
    lua.lua_pop(L, 2);

    // rawset/setmetatable refuse read-only tables; unpack is 5.1's (raw, no __len).
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      lauxlib.luaL_checktype(L2, 1, L_.TTABLE);
      lauxlib.luaL_checkany(L2, 2);
      lauxlib.luaL_checkany(L2, 3);
      if (this.isReadonly(L2, 1)) raise(L2, "Attempt to modify a readonly table");
      lua.lua_settop(L2, 3);
      lua.lua_rawset(L2, 1);
      return 1;
    });
    lua.lua_setfield(L, G, latin1Bytes("rawset"));
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      lauxlib.luaL_checktype(L2, 1, L_.TTABLE);
      lauxlib.luaL_checkany(L2, 2);
      this.unproxy(L2, 1);
      lua.lua_settop(L2, 2);
      lua.lua_rawget(L2, 1);
      return 1;
    });
    lua.lua_setfield(L, G, latin1Bytes("rawget"));
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      lauxlib.luaL_checktype(L2, 1, L_.TTABLE);
      this.unproxy(L2, 1);
      lua.lua_settop(L2, 2);
      if (lua.lua_next(L2, 1)) return 2;
      lua.lua_pushnil(L2);
      return 1;
    });
    lua.lua_setfield(L, G, latin1Bytes("next"));
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      const t = lua.lua_type(L2, 2);
      lauxlib.luaL_checktype(L2, 1, L_.TTABLE);
      lauxlib.luaL_argcheck(L2, t === L_.TNIL || t === L_.TTABLE, 2, latin1Bytes("nil or table expected"));
      if (this.isReadonly(L2, 1)) raise(L2, "Attempt to modify a readonly table");
      if (lauxlib.luaL_getmetafield(L2, 1, latin1Bytes("__metatable")) !== L_.TNIL) raiseAt(L2, "cannot change a protected metatable");
      lua.lua_settop(L2, 2);
      lua.lua_setmetatable(L2, 1);
      return 1;
    });
    lua.lua_setfield(L, G, latin1Bytes("setmetatable"));
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      lauxlib.luaL_checktype(L2, 1, L_.TTABLE);
      const i = lua.lua_isnoneornil(L2, 2) ? 1 : Math.trunc(lauxlib.luaL_checknumber(L2, 2));
      const e = lua.lua_isnoneornil(L2, 3) ? lua.lua_rawlen(L2, 1) : Math.trunc(lauxlib.luaL_checknumber(L2, 3));
      if (i > e) return 0;
      const n = e - i + 1;
      if (n <= 0 || n >= 8000000 || !lua.lua_checkstack(L2, n)) return raiseAt(L2, "too many results to unpack");
      for (let k = i; k <= e; k++) lua.lua_rawgeti(L2, 1, k);
      return n;
    });
    lua.lua_setfield(L, G, latin1Bytes("unpack"));

    // error() as in 5.1: numbers get the position prefix too.
    lua.lua_pushcfunction(L, (L2: LuaState) => {
      const level = lua.lua_isnoneornil(L2, 2) ? 1 : Math.trunc(lauxlib.luaL_checknumber(L2, 2));
      lua.lua_settop(L2, 1);
      const t = lua.lua_type(L2, 1);
      if ((t === L_.TSTRING || t === L_.TNUMBER) && level > 0) {
        lauxlib.luaL_where(L2, level);
        lua.lua_pushvalue(L2, 1);
        lua.lua_concat(L2, 2);
      }
      return lua.lua_error(L2);
    });
    lua.lua_setfield(L, G, latin1Bytes("error"));

    // pcall that hands error tables back as their message (Redis's luaRedisPcall).
    lua.lua_pushcfunction(L, (L2: LuaState) => this.pcall(L2));
    lua.lua_setfield(L, G, latin1Bytes("pcall"));
    lua.lua_getfield(L, G, latin1Bytes("xpcall"));
    lua.lua_pushcclosure(
      L,
      (L2: LuaState) => {
        lua.lua_pushvalue(L2, lua.lua_upvalueindex(1));
        lua.lua_insert(L2, 1);
        lua.lua_call(L2, lua.lua_gettop(L2) - 1, lua.LUA_MULTRET);
        this.host?.checkKilled(L2);
        return lua.lua_gettop(L2);
      },
      1,
    );
    lua.lua_setfield(L, G, latin1Bytes("xpcall"));

    // _G is the env proxy.
    this.getRef(this.refEnv);
    lua.lua_setfield(L, G, latin1Bytes("_G"));

    // The real globals: misses and writes fail.
    lua.lua_createtable(L, 0, 2);
    lua.lua_pushcfunction(L, missingGlobal);
    lua.lua_setfield(L, -2, latin1Bytes("__index"));
    lua.lua_pushcfunction(L, readonlyError);
    lua.lua_setfield(L, -2, latin1Bytes("__newindex"));
    lua.lua_setmetatable(L, G);

    // The env proxy: reads go to the globals (or the load-time API), writes fail.
    this.getRef(this.refEnvMeta);
    lua.lua_pushvalue(L, G);
    lua.lua_setfield(L, -2, latin1Bytes("__index"));
    lua.lua_pushcfunction(L, readonlyError);
    lua.lua_setfield(L, -2, latin1Bytes("__newindex"));
    lua.lua_pushvalue(L, G);
    lua.lua_pushcclosure(L, pairsOf, 1);
    lua.lua_setfield(L, -2, latin1Bytes("__pairs"));
    // getmetatable(_G) shows a read-only error metatable, never the real one (whose __index
    // is the real globals table).
    lua.lua_createtable(L, 0, 2);
    lua.lua_pushcfunction(L, missingGlobal);
    lua.lua_setfield(L, -2, latin1Bytes("__index"));
    lua.lua_pushcfunction(L, readonlyError);
    lua.lua_setfield(L, -2, latin1Bytes("__newindex"));
    this.pushProxy(false);
    lua.lua_setfield(L, -2, latin1Bytes("__metatable"));
    lua.lua_pop(L, 1);
    this.getRef(this.refEnv);
    this.getRef(this.refEnvMeta);
    lua.lua_setmetatable(L, -2);
    this.markReadonly(G);
    lua.lua_pop(L, 1);
    lua.lua_pop(L, 1); // G
  }

  /** FUNCTION engine: installs the table library code sees while it loads. */
  setLoadApi(build: (L: LuaState) => void): void {
    const L = this.L;
    lua.lua_createtable(L, 0, 1);
    build(L); // pushes the load-time redis table
    this.pushProxy(true);
    lua.lua_setfield(L, -2, latin1Bytes("redis"));
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushcfunction(L, missingGlobal);
    lua.lua_setfield(L, -2, latin1Bytes("__index"));
    lua.lua_pushcfunction(L, readonlyError);
    lua.lua_setfield(L, -2, latin1Bytes("__newindex"));
    lua.lua_setmetatable(L, -2);
    this.refLoadApi = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /** FUNCTION engine: switches what the env proxy shows (load-time API or full globals). */
  useLoadApi(on: boolean): void {
    const L = this.L;
    this.getRef(this.refEnvMeta);
    this.getRef(on ? this.refLoadApi : this.refG);
    lua.lua_setfield(L, -2, latin1Bytes("__index"));
    lua.lua_pop(L, 1);
  }

  /** Sets a global in the real globals table (KEYS, ARGV). */
  setGlobalArray(name: string, items: Uint8Array[]): void {
    const L = this.L;
    this.getRef(this.refG);
    pushStr(L, name);
    pushArray(L, items);
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
  }

  /** Compiles code; on success pushes the function (with the sandbox env) and returns null. */
  compile(code: Uint8Array, chunkname: string): string | null {
    const L = this.L;
    code = lua51Source(code);
    if (lauxlib.luaL_loadbufferx(L, code, code.length, latin1Bytes(chunkname), latin1Bytes("t")) !== 0) {
      const m = toBytes(L, -1);
      lua.lua_pop(L, 1);
      return m === null ? "unknown error" : syntaxMessage51(bytesLatin1(m));
    }
    this.getRef(this.refEnv);
    lua.lua_setupvalue(L, -2, 1);
    return null;
  }

  /**
   * Calls the function at the top (below it, nargs arguments) with the error handler. Returns
   * null on success (the result is on the stack) or the error information.
   */
  pcallTop(nargs: number): LuaErrorInfo | null {
    const L = this.L;
    const fnIdx = lua.lua_gettop(L) - nargs;
    this.getRef(this.refHandler);
    lua.lua_insert(L, fnIdx);
    const st = lua.lua_pcall(L, nargs, 1, fnIdx);
    lua.lua_remove(L, fnIdx);
    if (st === 0) return null;
    const info = extractErrorInfo(L);
    lua.lua_pop(L, 1);
    return info;
  }

  /** Redis's __redis__err__handler: turns any error into {err=, source=, line=}. */
  private errorHandler(L: LuaState): number {
    const ar = new lua.lua_Debug();
    let have = false;
    if (lua.lua_getstack(L, 1, ar)) {
      lua.lua_getinfo(L, latin1Bytes("nSl"), ar);
      have = true;
      if (ar.what !== null && (ar.what[0] === 67 || ar.what[0] === 74)) {
        have = false;
        if (lua.lua_getstack(L, 2, ar)) {
          lua.lua_getinfo(L, latin1Bytes("nSl"), ar);
          have = true;
        }
      }
    }
    if (lua.lua_type(L, 1) !== L_.TTABLE) {
      lauxlib.luaL_tolstring(L, 1);
      const m = toBytes(L, -1)!;
      lua.lua_pop(L, 1);
      lua.lua_createtable(L, 0, 3);
      lua.lua_pushliteral(L, "err");
      pushStr(L, "ERR " + lua51Message(bytesLatin1(m)));
      lua.lua_rawset(L, -3);
      lua.lua_replace(L, 1);
    }
    if (have) {
      lua.lua_pushliteral(L, "source");
      pushOwned(L, ar.source === null ? new Uint8Array(0) : ar.source.slice());
      lua.lua_rawset(L, 1);
      lua.lua_pushliteral(L, "line");
      lua.lua_pushnumber(L, ar.currentline);
      lua.lua_rawset(L, 1);
    }
    lua.lua_settop(L, 1);
    return 1;
  }

  /** pcall(f, ...): error tables come back as their err string. */
  private pcall(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc === 0) {
      // Redis's pcall calls whatever sits above its placeholder: the placeholder itself.
      lua.lua_pushboolean(L, 0);
      pushStr(L, "attempt to call a boolean value");
      return 2;
    }
    lua.lua_pushboolean(L, 1);
    lua.lua_insert(L, 1);
    if (lua.lua_pcall(L, argc - 1, lua.LUA_MULTRET, 0) !== 0) {
      this.host?.checkKilled(L);
      lua.lua_remove(L, 1);
      if (lua.lua_type(L, -1) === L_.TTABLE) {
        lua.lua_getfield(L, -1, latin1Bytes("err"));
        if (lua.lua_type(L, -1) === L_.TSTRING || lua.lua_type(L, -1) === L_.TNUMBER) lua.lua_replace(L, -2);
        else lua.lua_pop(L, 1);
      } else if (lua.lua_type(L, -1) === L_.TSTRING) {
        const m = bytesLatin1(toBytes(L, -1)!);
        const m51 = lua51Message(m);
        if (m51 !== m) {
          lua.lua_pop(L, 1);
          pushStr(L, m51);
        }
      }
      lua.lua_pushboolean(L, 0);
      lua.lua_insert(L, 1);
    }
    return lua.lua_gettop(L);
  }
}

/** Reads the error object at the top (as left by the handler). */
export function extractErrorInfo(L: LuaState): LuaErrorInfo {
  const info: LuaErrorInfo = { msg: "", source: null, line: null, ignoreStats: false };
  if (lua.lua_type(L, -1) === L_.TSTRING) {
    info.msg = "ERR " + lua51Message(bytesLatin1(toBytes(L, -1)!));
    return info;
  }
  if (lua.lua_type(L, -1) !== L_.TTABLE) {
    info.msg = "ERR unknown error";
    return info;
  }
  lua.lua_getfield(L, -1, latin1Bytes("err"));
  const m = lua.lua_type(L, -1) === L_.TSTRING || lua.lua_type(L, -1) === L_.TNUMBER ? toBytes(L, -1) : null;
  info.msg = m === null ? "ERR unknown error" : bytesLatin1(m);
  lua.lua_pop(L, 1);
  lua.lua_getfield(L, -1, latin1Bytes("source"));
  if (lua.lua_type(L, -1) === L_.TSTRING) info.source = bytesLatin1(toBytes(L, -1)!);
  lua.lua_pop(L, 1);
  lua.lua_getfield(L, -1, latin1Bytes("line"));
  if (lua.lua_type(L, -1) === L_.TNUMBER) info.line = lua.lua_tonumber(L, -1);
  lua.lua_pop(L, 1);
  lua.lua_getfield(L, -1, latin1Bytes("ignore_error_stats_update"));
  info.ignoreStats = lua.lua_toboolean(L, -1);
  lua.lua_pop(L, 1);
  return info;
}

/** Pushes a Lua array of strings. */
export function pushArray(L: LuaState, items: Uint8Array[]): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushOwned(L, items[i]!);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

function readonlyError(L: LuaState): number {
  return raiseAt(L, "Attempt to modify a readonly table");
}

function missingGlobal(L: LuaState): number {
  const k = toBytes(L, 2);
  return raiseAt(L, `Script attempted to access nonexistent global variable '${k === null ? "?" : bytesLatin1(k)}'`);
}

/** next() over the table in upvalue 1, whatever table the loop passes (the proxy). */
function proxyNext(L: LuaState): number {
  lua.lua_settop(L, 2);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_replace(L, 1);
  if (lua.lua_next(L, 1)) return 2;
  lua.lua_pushnil(L);
  return 1;
}

/** __pairs of a proxy: iterates the real table (upvalue 1) without handing it out. */
function pairsOf(L: LuaState): number {
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  lua.lua_pushcclosure(L, proxyNext, 1);
  lua.lua_pushvalue(L, 1);
  lua.lua_pushnil(L);
  return 3;
}
