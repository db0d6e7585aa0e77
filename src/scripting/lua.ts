// fengari (Lua 5.3 in JS), adjusted to behave like the Lua 5.1 that Redis embeds, plus the
// small helpers the scripting code uses to move bytes in and out of Lua.
//
// Lua 5.1 has one number type (double); fengari has 5.3's integer subtype with 32-bit
// integers that wrap on overflow (65536*65536 == 0). Two runtime adjustments restore 5.1
// arithmetic: every numeral the lexer, tonumber() and string coercion read becomes a float
// (so integer arithmetic only arises from lengths and indices), and numbers are printed
// with 5.1's "%.14g" (5.0 prints "5", 1e15 prints "1e+15", inf, -nan).

/* eslint-disable @typescript-eslint/no-explicit-any */
import { fmtGC } from "./cfloat.ts";

// Plain require with literal paths (not createRequire): `bun build --compile` bundles only
// what it can see.
const fengari = require("fengari");
const lobject = require("fengari/src/lobject.js");
const lstring = require("fengari/src/lstring.js");

export const lua: any = fengari.lua;
export const lauxlib: any = fengari.lauxlib;
export const lualib: any = fengari.lualib;
export type LuaState = any;

/** Lua 5.1's number formatting (LUA_NUMBER_FMT "%.14g" with glibc's inf/nan spelling). */
export function fmtLuaNumber(n: number): string {
  if (Number.isNaN(n)) return "-nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (Number.isInteger(n) && Math.abs(n) < 1e14) return Object.is(n, -0) ? "-0" : String(n);
  return n < 0 ? "-" + fmtGC(-n, 14) : fmtGC(n, 14);
}

/**
 * A hex integer numeral ("0x100000000", signs and spaces allowed) as the double 5.1 reads
 * (glibc strtod): fengari's integer reading wraps it to 32 bits. null for other numerals.
 */
function hexNumeral(s: Uint8Array): number | null {
  let i = 0;
  const space = (c: number | undefined) => c === 32 || (c !== undefined && c >= 9 && c <= 13);
  while (space(s[i])) i++;
  const neg = s[i] === 45;
  if (neg || s[i] === 43) i++;
  if (s[i] !== 48 || (s[i + 1] !== 120 && s[i + 1] !== 88)) return null;
  let v = 0;
  for (i += 2; i < s.length; i++) {
    const c = s[i]!;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) break;
    v = v * 16 + d;
  }
  return neg ? -v : v;
}

let patched = false;
// (patch() runs below, after nullPointer is defined)
function patch(): void {
  if (patched) return;
  patched = true;
  const str2num = lobject.luaO_str2num;
  lobject.luaO_str2num = function (s: Uint8Array, o: any): number {
    const r = str2num(s, o);
    if (r !== 0 && o.ttisinteger()) o.setfltvalue(hexNumeral(s) ?? o.value);
    return r;
  };
  lobject.luaO_tostring = function (L: any, obj: any): void {
    const s = obj.ttisinteger() ? String(obj.value) : fmtLuaNumber(obj.value);
    obj.setsvalue(lstring.luaS_bless(L, asciiBytes(s)));
  };
  // tostring() formats floats through lua_pushfstring("%f"): give it 5.1's "%.14g" too.
  const pushvf = lobject.luaO_pushvfstring;
  lobject.luaO_pushvfstring = function (L: any, fmt: Uint8Array, argp: any[]): any {
    if (fmt.length === 2 && fmt[0] === 37 && fmt[1] === 102) {
      const u = asciiBytes(fmtLuaNumber(argp[0]));
      lobject.pushsvalue2s(L, lstring.luaS_bless(L, u));
      return u;
    }
    if (fmt.length === 6 && fmt[4] === 37 && fmt[5] === 112 && argp[1] === nullPointer) {
      const u = asciiBytes("userdata: (nil)");
      lobject.pushsvalue2s(L, lstring.luaS_bless(L, u));
      return u;
    }
    return pushvf(L, fmt, argp);
  };
}

/** A light userdata that prints as a C NULL pointer ("userdata: (nil)"), like cjson.null. */
export const nullPointer = { cNull: true };
patch();

// ---- bytes <-> Lua strings ----

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

function asciiBytes(s: string): Uint8Array {
  const n = s.length;
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = s.charCodeAt(i);
  return u;
}

/** A latin1 (binary) JS string as fresh bytes. */
export function latin1Bytes(s: string): Uint8Array {
  const n = s.length;
  if (n > 64) return new Uint8Array(Buffer.from(s, "latin1"));
  const u = new Uint8Array(n);
  for (let i = 0; i < n; i++) u[i] = s.charCodeAt(i);
  return u;
}

export function bytesLatin1(u: Uint8Array, start = 0, end = u.length): string {
  if (end - start < 24) {
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(u[i]!);
    return s;
  }
  return latin1Slice.call(u, start, end);
}

/** Pushes bytes that nobody else will modify (Lua takes ownership, no copy). */
export function pushOwned(L: LuaState, u: Uint8Array): void {
  lobject.pushsvalue2s(L, lstring.luaS_bless(L, u));
}

/** Pushes a copy of bytes. */
export function pushBytes(L: LuaState, u: Uint8Array): void {
  lobject.pushsvalue2s(L, lstring.luaS_bless(L, Uint8Array.prototype.slice.call(u)));
}

/** Pushes a latin1 JS string. */
export function pushStr(L: LuaState, s: string): void {
  lobject.pushsvalue2s(L, lstring.luaS_bless(L, latin1Bytes(s)));
}

/** The string (or number, converted) at idx as bytes (Lua's own; do not modify), or null. */
export function toBytes(L: LuaState, idx: number): Uint8Array | null {
  return lua.lua_tolstring(L, idx);
}

/** The string at idx as a latin1 JS string, or null. */
export function toStr(L: LuaState, idx: number): string | null {
  const u: Uint8Array | null = lua.lua_tolstring(L, idx);
  return u === null ? null : bytesLatin1(u);
}

/** Raises a Lua error with a plain message (no position), like lua_error after pushstring. */
export function raise(L: LuaState, msg: string): never {
  pushStr(L, msg);
  lua.lua_error(L);
  throw new Error("unreachable");
}

/** Raises a Lua error prefixed with the calling Lua code's position (luaL_error). */
export function raiseAt(L: LuaState, msg: string, level = 1): never {
  lauxlib.luaL_where(L, level);
  pushStr(L, msg);
  lua.lua_concat(L, 2);
  lua.lua_error(L);
  throw new Error("unreachable");
}

/**
 * Iterates a table's pairs the way Lua 5.1 mostly orders them: positive integer keys first,
 * ascending (its array part), then the rest in table order. `fn` sees the key at -2 and the
 * value at -1 and must pop the value (like a lua_next loop body).
 */
export function eachPair(L: LuaState, idx: number, fn: () => void): void {
  idx = lua.lua_absindex(L, idx);
  const ints: number[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    if (lua.lua_type(L, -2) === 3) {
      const k = lua.lua_tonumber(L, -2);
      if (k >= 1 && Number.isInteger(k)) ints.push(k);
    }
    lua.lua_pop(L, 1);
  }
  if (ints.length > 1) ints.sort((a, b) => a - b);
  for (const k of ints) {
    lua.lua_pushnumber(L, k);
    lua.lua_rawgeti(L, idx, k);
    fn();
    lua.lua_pop(L, 1);
  }
  lua.lua_pushnil(L);
  while (lua.lua_next(L, idx)) {
    if (ints.length !== 0 && lua.lua_type(L, -2) === 3) {
      const k = lua.lua_tonumber(L, -2);
      if (k >= 1 && Number.isInteger(k)) {
        lua.lua_pop(L, 1);
        continue;
      }
    }
    fn();
  }
}

export const L_ = {
  TNIL: 0,
  TBOOLEAN: 1,
  TLIGHTUSERDATA: 2,
  TNUMBER: 3,
  TSTRING: 4,
  TTABLE: 5,
  TFUNCTION: 6,
  TUSERDATA: 7,
  TTHREAD: 8,
} as const;
