// The math library as Lua 5.1 (Redis's) has it, on top of fengari's 5.3 one: results are
// plain doubles, the 5.1-only functions exist (atan2, cosh, sinh, tanh, pow, frexp, ldexp,
// log10, mod), the 5.3-only ones do not, and math.random/randomseed use Redis's rand48
// generator instead of the C library's.

import { lauxlib, latin1Bytes, lua, raiseAt, type LuaState } from "./lua.ts";

/** 48-bit linear congruential generator (Redis's redisLrand48), as two 24-bit halves. */
class Rand48 {
  private hi = 0;
  private lo = 0x330e;

  seed(s: number): void {
    // x = (seed << 16) | 0x330E over 48 bits
    const v = s >>> 0;
    this.hi = (v >>> 8) & 0xffffff;
    this.lo = ((v & 0xff) << 16) | 0x330e;
  }

  /** Next 31-bit value. */
  next(): number {
    const aHi = 0x5de;
    const aLo = 0xece66d;
    const lo = aLo * this.lo + 0xb;
    const carry = Math.floor(lo / 0x1000000);
    const hi = (aHi * this.lo + aLo * this.hi + carry) % 0x1000000;
    this.lo = lo % 0x1000000;
    this.hi = hi;
    return this.hi * 128 + (this.lo >>> 17);
  }
}

const INT32_MAX = 2147483647;

function checkInt(L: LuaState, i: number): number {
  return Math.trunc(lauxlib.luaL_checknumber(L, i)) | 0;
}

export function installMath51(L: LuaState): void {
  const rng = new Rand48();
  rng.seed(0);
  lua.lua_getglobal(L, latin1Bytes("math"));
  const set = (name: string, fn: ((L: LuaState) => number) | null) => {
    if (fn === null) lua.lua_pushnil(L);
    else lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, latin1Bytes(name));
  };
  const unary = (name: string, f: (x: number) => number) =>
    set(name, (L2) => {
      lua.lua_pushnumber(L2, f(lauxlib.luaL_checknumber(L2, 1)));
      return 1;
    });
  unary("floor", Math.floor);
  unary("ceil", Math.ceil);
  unary("cosh", Math.cosh);
  unary("sinh", Math.sinh);
  unary("tanh", Math.tanh);
  unary("log10", Math.log10);
  unary("abs", Math.abs);
  set("atan2", (L2) => {
    lua.lua_pushnumber(L2, Math.atan2(lauxlib.luaL_checknumber(L2, 1), lauxlib.luaL_checknumber(L2, 2)));
    return 1;
  });
  set("pow", (L2) => {
    lua.lua_pushnumber(L2, Math.pow(lauxlib.luaL_checknumber(L2, 1), lauxlib.luaL_checknumber(L2, 2)));
    return 1;
  });
  const fmod = (L2: LuaState) => {
    lua.lua_pushnumber(L2, lauxlib.luaL_checknumber(L2, 1) % lauxlib.luaL_checknumber(L2, 2));
    return 1;
  };
  set("fmod", fmod);
  set("mod", fmod);
  set("modf", (L2) => {
    const x = lauxlib.luaL_checknumber(L2, 1);
    const ip = x >= 0 ? Math.floor(x) : Math.ceil(x);
    lua.lua_pushnumber(L2, ip);
    lua.lua_pushnumber(L2, Number.isFinite(x) ? x - ip : 0);
    return 2;
  });
  set("frexp", (L2) => {
    const x = lauxlib.luaL_checknumber(L2, 1);
    if (x === 0 || !Number.isFinite(x)) {
      lua.lua_pushnumber(L2, x);
      lua.lua_pushnumber(L2, 0);
      return 2;
    }
    let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
    let m = x * Math.pow(2, -e);
    while (Math.abs(m) < 0.5) {
      m *= 2;
      e--;
    }
    while (Math.abs(m) >= 1) {
      m /= 2;
      e++;
    }
    lua.lua_pushnumber(L2, m);
    lua.lua_pushnumber(L2, e);
    return 2;
  });
  set("ldexp", (L2) => {
    const m = lauxlib.luaL_checknumber(L2, 1);
    const e = checkInt(L2, 2);
    lua.lua_pushnumber(L2, e > 1023 ? m * Math.pow(2, 1023) * Math.pow(2, e - 1023) : m * Math.pow(2, e));
    return 1;
  });
  set("random", (L2) => {
    const r = (rng.next() % INT32_MAX) / INT32_MAX;
    switch (lua.lua_gettop(L2)) {
      case 0:
        lua.lua_pushnumber(L2, r);
        return 1;
      case 1: {
        const u = checkInt(L2, 1);
        if (!(1 <= u)) lauxlib.luaL_argerror(L2, 1, latin1Bytes("interval is empty"));
        lua.lua_pushnumber(L2, Math.floor(r * u) + 1);
        return 1;
      }
      case 2: {
        const l = checkInt(L2, 1);
        const u = checkInt(L2, 2);
        if (!(l <= u)) lauxlib.luaL_argerror(L2, 2, latin1Bytes("interval is empty"));
        lua.lua_pushnumber(L2, Math.floor(r * (u - l + 1)) + l);
        return 1;
      }
      default:
        return raiseAt(L2, "wrong number of arguments");
    }
  });
  set("randomseed", (L2) => {
    rng.seed(checkInt(L2, 1));
    return 0;
  });
  for (const gone of ["tointeger", "type", "ult", "maxinteger", "mininteger"]) set(gone, null);
  lua.lua_pop(L, 1);
}
