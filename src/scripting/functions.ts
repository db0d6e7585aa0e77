// Redis 7 functions: libraries of Lua functions loaded with FUNCTION LOAD ("#!lua name=<lib>"),
// registered by redis.register_function while the library code runs, called with FCALL.
//
// Library code runs once, at load, in an environment holding only `redis` with
// register_function, log and the version constants (Redis's "library API"); the functions it
// registers later run with the full scripting environment (no KEYS/ARGV globals: they get
// keys and args as parameters). All libraries share one Lua engine per server, separate from
// the EVAL one.

import type { Server } from "../server/context.ts";
import { splitArgs } from "../resp/parser.ts";
import { globMatch } from "../util/glob.ts";
import { pushErrorTable, pushLoadRedisApi } from "./api.ts";
import { extractErrorInfo, LuaEngine } from "./engine.ts";
import { bytesLatin1, lauxlib, latin1Bytes, lua, toBytes, L_, type LuaState } from "./lua.ts";
import { RDB_OPCODE_FUNCTION2 } from "../rdb/constants.ts";
import { payloadReader, payloadWriter, sealPayload, verifyPayload } from "../rdb/dump.ts";
import { DEFAULT_OPTIONS } from "../rdb/writer.ts";
import { FLAG_NAMES } from "./run.ts";

export interface LuaFunction {
  name: string;
  desc: string | null;
  flags: number;
  /** registry ref of the callback */
  ref: number;
  lib: Library;
}

export interface Library {
  name: string;
  /** the whole FUNCTION LOAD payload, shebang included */
  code: Uint8Array;
  /** by lowercase name, in registration order */
  functions: Map<string, LuaFunction>;
}

/** Libraries and the function index (Redis's functionsLibCtx). */
export class LibCtx {
  readonly libs = new Map<string, Library>();
  /** lowercase function name -> function */
  readonly fns = new Map<string, LuaFunction>();

  link(lib: Library): void {
    this.libs.set(lib.name, lib);
    for (const [k, f] of lib.functions) this.fns.set(k, f);
  }

  unlink(lib: Library): void {
    this.libs.delete(lib.name);
    for (const k of lib.functions.keys()) this.fns.delete(k);
  }
}

/** An error reply text (without the leading '-'). */
export class FunctionError extends Error {}

const NAME_RE = /^[A-Za-z0-9_]+$/;
const BAD_NAME = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
const LOAD_TIMEOUT_MS = 500;

interface Meta {
  engine: string;
  name: string;
  /** code from the shebang's newline on (keeps line numbers) */
  code: Uint8Array;
}

function parseMeta(payload: Uint8Array): Meta {
  if (payload.length < 2 || payload[0] !== 35 || payload[1] !== 33) throw new FunctionError("ERR Missing library metadata");
  const nl = payload.indexOf(10);
  if (nl < 0) throw new FunctionError("ERR Invalid library metadata");
  const parts = splitArgs(payload, 0, nl);
  if (parts === null || parts.length === 0) throw new FunctionError("ERR Invalid library metadata");
  const engine = bytesLatin1(parts[0]!).slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const p = bytesLatin1(parts[i]!);
    if (p.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null) throw new FunctionError("ERR Invalid metadata value, name argument was given multiple times");
      name = p.slice(5);
      continue;
    }
    throw new FunctionError(`ERR Invalid metadata value given: ${p}`);
  }
  if (name === null) throw new FunctionError("ERR Library name was not given");
  return { engine, name, code: payload.subarray(nl) };
}

/** What register_function adds to while a library loads. */
interface Loading {
  lib: Library;
}

export class Functions {
  engine: LuaEngine;
  ctx = new LibCtx();
  private loading: Loading | null = null;
  private loadStart = 0;

  constructor(readonly srv: Server) {
    this.engine = this.newEngine();
  }

  private newEngine(): LuaEngine {
    const e = new LuaEngine(this.srv, "function");
    e.setLoadApi((L) =>
      pushLoadRedisApi(
        L,
        (L2) => this.registerFunction(L2),
        (L2) => {
          // redis.log at load time: same as at run time.
          lua.lua_getglobal(L2, latin1Bytes("redis"));
          lua.lua_getfield(L2, -1, latin1Bytes("log"));
          lua.lua_insert(L2, 1);
          lua.lua_pop(L2, 1);
          lua.lua_call(L2, lua.lua_gettop(L2) - 1, 0);
          return 0;
        },
      ),
    );
    return e;
  }

  /** FUNCTION LOAD [REPLACE]: returns the library name. */
  load(payload: Uint8Array, replace: boolean, ctx: LibCtx = this.ctx): string {
    const md = parseMeta(payload);
    if (!NAME_RE.test(md.name)) throw new FunctionError(`ERR ${BAD_NAME}`);
    if (md.engine.toLowerCase() !== "lua") throw new FunctionError(`ERR Engine '${md.engine}' not found`);
    let old = ctx.libs.get(md.name) ?? null;
    if (old !== null && !replace) throw new FunctionError(`ERR Library '${md.name}' already exists`);
    if (old !== null) ctx.unlink(old);
    const lib: Library = { name: md.name, code: Uint8Array.prototype.slice.call(payload), functions: new Map() };
    try {
      this.runLibrary(lib, md.code);
      if (lib.functions.size === 0) throw new FunctionError("ERR No functions registered");
      for (const [k, f] of lib.functions) {
        if (ctx.fns.has(k)) throw new FunctionError(`ERR Function ${f.name} already exists`);
      }
    } catch (e) {
      this.release(lib);
      if (old !== null) ctx.link(old);
      throw e;
    }
    ctx.link(lib);
    if (old !== null) this.release(old);
    old = null;
    return lib.name;
  }

  /** Compiles and runs library code with the load-time API. */
  private runLibrary(lib: Library, code: Uint8Array): void {
    const e = this.engine;
    const L = e.L;
    const cerr = e.compile(code, "@user_function");
    if (cerr !== null) throw new FunctionError(`ERR Error compiling function: ${cerr}`);
    this.loading = { lib };
    this.loadStart = performance.now();
    e.useLoadApi(true);
    lua.lua_sethook(L, (L2: LuaState) => this.loadHook(L2), lua.LUA_MASKCOUNT, 100000);
    try {
      if (lua.lua_pcall(L, 0, 0, 0) !== 0) {
        const info = extractErrorInfo(L);
        lua.lua_settop(L, 0);
        throw new FunctionError(`ERR Error registering functions: ${info.msg}`);
      }
    } finally {
      lua.lua_sethook(L, null, 0, 0);
      e.useLoadApi(false);
      this.loading = null;
      lua.lua_settop(L, 0);
    }
  }

  private loadHook(L: LuaState): void {
    if (performance.now() - this.loadStart > LOAD_TIMEOUT_MS) {
      lua.lua_sethook(L, (L2: LuaState) => this.loadHook(L2), lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
      pushErrorTable(L, "FUNCTION LOAD timeout");
      lua.lua_error(L);
    }
  }

  /** Unreferences a library's callbacks. */
  private release(lib: Library): void {
    for (const f of lib.functions.values()) lauxlib.luaL_unref(this.engine.L, lua.LUA_REGISTRYINDEX, f.ref);
    lib.functions.clear();
  }

  /** redis.register_function(name, fn) or redis.register_function{...} (load time only). */
  private registerFunction(L: LuaState): number {
    const loading = this.loading;
    const fail = (msg: string): never => {
      pushErrorTable(L, msg);
      lua.lua_error(L);
      throw new Error("unreachable");
    };
    if (loading === null) return fail("redis.register_function can only be called on FUNCTION LOAD command");
    const argc = lua.lua_gettop(L);
    let name: string | null = null;
    let desc: string | null = null;
    let flags = 0;
    let ref = -1;
    const isStr = (i: number) => {
      const t = lua.lua_type(L, i);
      return t === L_.TSTRING || t === L_.TNUMBER;
    };
    if (argc < 1 || argc > 2) fail("wrong number of arguments to redis.register_function");
    if (argc === 1) {
      if (lua.lua_type(L, 1) !== L_.TTABLE) {
        fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
      }
      lua.lua_pushnil(L);
      while (lua.lua_next(L, 1)) {
        if (!isStr(-2)) fail("named argument key given to redis.register_function is not a string");
        const key = bytesLatin1(toBytes(L, -2)!).toLowerCase();
        if (key === "function_name") {
          if (!isStr(-1)) fail("function_name argument given to redis.register_function must be a string");
          name = bytesLatin1(toBytes(L, -1)!);
        } else if (key === "description") {
          if (!isStr(-1)) fail("description argument given to redis.register_function must be a string");
          desc = bytesLatin1(toBytes(L, -1)!);
        } else if (key === "callback") {
          if (lua.lua_type(L, -1) !== L_.TFUNCTION) fail("callback argument given to redis.register_function must be a function");
          if (ref >= 0) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
          ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
          continue;
        } else if (key === "flags") {
          if (lua.lua_type(L, -1) !== L_.TTABLE) fail("flags argument to redis.register_function must be a table representing function flags");
          for (let j = 1; ; j++) {
            lua.lua_pushnumber(L, j);
            lua.lua_gettable(L, -2);
            if (lua.lua_type(L, -1) === L_.TNIL) {
              lua.lua_pop(L, 1);
              break;
            }
            if (!isStr(-1)) fail("unknown flag given");
            const f = bytesLatin1(toBytes(L, -1)!).toLowerCase();
            lua.lua_pop(L, 1);
            const def = FLAG_NAMES.find(([n]) => n === f);
            if (!def) fail("unknown flag given");
            flags |= def![1];
          }
        } else fail("unknown argument given to redis.register_function");
        lua.lua_pop(L, 1);
      }
      if (name === null) fail("redis.register_function must get a function name argument");
      if (ref < 0) fail("redis.register_function must get a callback argument");
    } else {
      if (!isStr(1)) fail("first argument to redis.register_function must be a string");
      if (lua.lua_type(L, 2) !== L_.TFUNCTION) fail("second argument to redis.register_function must be a function");
      name = bytesLatin1(toBytes(L, 1)!);
      lua.lua_pushvalue(L, 2);
      ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    }
    const fname = name!;
    const unrefAndFail = (msg: string): never => {
      lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, ref);
      return fail(msg);
    };
    if (!NAME_RE.test(fname)) unrefAndFail(BAD_NAME);
    const key = fname.toLowerCase();
    if (loading.lib.functions.has(key)) unrefAndFail("Function already exists in the library");
    loading.lib.functions.set(key, { name: fname, desc, flags, ref, lib: loading.lib });
    return 0;
  }

  get(name: string): LuaFunction | undefined {
    return this.ctx.fns.get(name.toLowerCase());
  }

  /** FUNCTION DELETE */
  delete(name: string): boolean {
    const lib = this.ctx.libs.get(name);
    if (!lib) return false;
    this.ctx.unlink(lib);
    this.release(lib);
    return true;
  }

  /** FUNCTION FLUSH: every library goes, with the interpreter. */
  flush(): void {
    this.ctx = new LibCtx();
    this.engine = this.newEngine();
  }

  /** FUNCTION DUMP: Redis's payload (one FUNCTION2 opcode and code string per library). */
  dump(): Uint8Array {
    const w = payloadWriter({ ...DEFAULT_OPTIONS, compress: this.srv.cfg.bool("rdbcompression") });
    for (const lib of this.ctx.libs.values()) {
      w.byte(RDB_OPCODE_FUNCTION2);
      w.stringBytes(lib.code);
    }
    return sealPayload(w);
  }

  /** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE] */
  restore(payload: Uint8Array, policy: "flush" | "append" | "replace"): void {
    if (verifyPayload(payload) === null) throw new FunctionError("ERR DUMP payload version or checksum are wrong");
    const tmp = new LibCtx();
    const r = payloadReader(payload);
    try {
      while (r.pos < r.end) {
        let type: number;
        try {
          type = r.byte();
        } catch {
          throw new FunctionError("ERR can not read data type");
        }
        if (type !== RDB_OPCODE_FUNCTION2) throw new FunctionError("ERR given type is not a function");
        let code: Uint8Array;
        try {
          code = r.stringCopy();
        } catch {
          throw new FunctionError("ERR Failed loading library payload");
        }
        this.load(code, false, tmp);
      }
      if (policy === "flush") {
        for (const lib of this.ctx.libs.values()) this.release(lib);
        this.ctx = tmp;
        return;
      }
      const replaced: Library[] = [];
      for (const lib of tmp.libs.values()) {
        const old = this.ctx.libs.get(lib.name);
        if (!old) continue;
        if (policy !== "replace") throw new FunctionError(`ERR Library ${lib.name} already exists`);
        replaced.push(old);
      }
      for (const old of replaced) this.ctx.unlink(old);
      for (const [k, f] of tmp.fns) {
        if (this.ctx.fns.has(k)) {
          for (const old of replaced) this.ctx.link(old);
          throw new FunctionError(`ERR Function ${f.name} already exists`);
        }
      }
      for (const lib of tmp.libs.values()) this.ctx.link(lib);
      for (const old of replaced) this.release(old);
    } catch (e) {
      for (const lib of tmp.libs.values()) this.release(lib);
      throw e;
    }
  }

  /** FUNCTION LIST's libraries, optionally by name pattern (case-insensitive). */
  list(pattern: string | null): Library[] {
    const out: Library[] = [];
    for (const lib of this.ctx.libs.values()) if (pattern === null || globMatch(pattern, lib.name, true)) out.push(lib);
    return out;
  }

  flagNames(flags: number): string[] {
    return FLAG_NAMES.filter(([, bit]) => flags & bit).map(([n]) => n);
  }
}

const registry = new WeakMap<Server, Functions>();

export function functionsOf(srv: Server): Functions {
  let f = registry.get(srv);
  if (f === undefined) registry.set(srv, (f = new Functions(srv)));
  return f;
}
