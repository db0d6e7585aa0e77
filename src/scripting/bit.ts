// The `bit` library (LuaBitOp semantics): 32-bit operations on Lua numbers, results as
// signed 32-bit numbers, arguments normalized like bit.tobit (rounded, modulo 2^32).

import { lauxlib, latin1Bytes, lua, pushStr, type LuaState } from "./lua.ts";

/** LuaBitOp's number -> int32 conversion (adds 2^52+2^51, keeps the low 32 bits). */
export function tobit(n: number): number {
  return ((n + 6755399441055744) % 4294967296) | 0;
}

function arg(L: LuaState, i: number): number {
  return tobit(lauxlib.luaL_checknumber(L, i));
}

export function installBit(L: LuaState): void {
  lua.lua_createtable(L, 0, 12);
  const set = (name: string, fn: (L: LuaState) => number) => {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, latin1Bytes(name));
  };
  const ret = (L2: LuaState, v: number) => {
    lua.lua_pushnumber(L2, v | 0);
    return 1;
  };
  const fold = (name: string, op: (a: number, b: number) => number) =>
    set(name, (L2) => {
      let v = arg(L2, 1);
      const n = lua.lua_gettop(L2);
      for (let i = 2; i <= n; i++) v = op(v, arg(L2, i));
      return ret(L2, v);
    });
  set("tobit", (L2) => ret(L2, arg(L2, 1)));
  set("bnot", (L2) => ret(L2, ~arg(L2, 1)));
  fold("band", (a, b) => a & b);
  fold("bor", (a, b) => a | b);
  fold("bxor", (a, b) => a ^ b);
  set("lshift", (L2) => ret(L2, arg(L2, 1) << (arg(L2, 2) & 31)));
  set("rshift", (L2) => ret(L2, arg(L2, 1) >>> (arg(L2, 2) & 31)));
  set("arshift", (L2) => ret(L2, arg(L2, 1) >> (arg(L2, 2) & 31)));
  set("rol", (L2) => {
    const x = arg(L2, 1);
    const n = arg(L2, 2) & 31;
    return ret(L2, (x << n) | (x >>> ((32 - n) & 31)));
  });
  set("ror", (L2) => {
    const x = arg(L2, 1);
    const n = arg(L2, 2) & 31;
    return ret(L2, (x >>> n) | (x << ((32 - n) & 31)));
  });
  set("bswap", (L2) => {
    const x = arg(L2, 1);
    return ret(L2, ((x >>> 24) & 0xff) | ((x >>> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24));
  });
  set("tohex", (L2) => {
    const x = arg(L2, 1);
    let n = lua.lua_isnoneornil(L2, 2) ? 8 : arg(L2, 2);
    let upper = false;
    if (n < 0) {
      n = -n;
      upper = true;
    }
    if (n > 8) n = 8;
    let s = (x >>> 0).toString(16).padStart(8, "0").slice(8 - n);
    if (upper) s = s.toUpperCase();
    pushStr(L2, s);
    return 1;
  });
  lua.lua_setglobal(L, latin1Bytes("bit"));
}
