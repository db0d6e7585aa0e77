// The `struct` library Redis scripts use (struct.pack / struct.unpack / struct.size): binary
// packing of numbers and strings with format letters, endianness ('<' '>') and alignment ('!').
// Sizes are those of x86-64 (long and size_t are 8 bytes, native order little-endian).

import { lauxlib, latin1Bytes, lua, pushOwned, raiseAt, type LuaState } from "./lua.ts";

const MAXINTSIZE = 32;
const MAXALIGN = 8;

interface Header {
  little: boolean;
  align: number;
}

interface Fmt {
  s: Uint8Array;
  i: number;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

function getnum(L: LuaState, f: Fmt, df: number): number {
  if (!isDigit(f.s[f.i])) return df;
  let a = 0;
  do {
    const d = f.s[f.i]! - 48;
    if (a > Math.floor(2147483647 / 10) || a * 10 > 2147483647 - d) raiseAt(L, "integral size overflow");
    a = a * 10 + d;
    f.i++;
  } while (isDigit(f.s[f.i]));
  return a;
}

function optsize(L: LuaState, opt: number, f: Fmt): number {
  switch (String.fromCharCode(opt)) {
    case "B":
    case "b":
      return 1;
    case "H":
    case "h":
      return 2;
    case "L":
    case "l":
    case "T":
    case "d":
      return 8;
    case "f":
      return 4;
    case "x":
      return 1;
    case "c":
      return getnum(L, f, 1);
    case "i":
    case "I": {
      const sz = getnum(L, f, 4);
      if (sz > MAXINTSIZE) raiseAt(L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

function gettoalign(len: number, h: Header, opt: number, size: number): number {
  if (size === 0 || opt === 99 /* c */) return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function controloptions(L: LuaState, opt: number, f: Fmt, h: Header): void {
  switch (opt) {
    case 32:
      return;
    case 62 /* > */:
      h.little = false;
      return;
    case 60 /* < */:
      h.little = true;
      return;
    case 33 /* ! */: {
      const a = getnum(L, f, MAXALIGN);
      if (a === 0 || (a & (a - 1)) !== 0) raiseAt(L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      lauxlib.luaL_argerror(L, 1, latin1Bytes(`invalid format option '${String.fromCharCode(opt)}'`));
  }
}

const INT_OPTS = new Set("bBhHlLTiI".split("").map((c) => c.charCodeAt(0)));

function putInteger(out: number[], n: number, little: boolean, size: number): void {
  // (Uinttype)(Inttype)n for negatives, (Uinttype)n otherwise: 64-bit two's complement.
  let v: bigint;
  if (!Number.isFinite(n)) v = -(1n << 63n);
  else v = BigInt(Math.trunc(n));
  v = BigInt.asUintN(64, v);
  const bytes = new Array<number>(size).fill(0);
  for (let i = 0; i < size; i++) {
    const b = i < 8 ? Number(v & 0xffn) : 0;
    if (i < 8) v >>= 8n;
    bytes[little ? i : size - 1 - i] = b;
  }
  for (const b of bytes) out.push(b);
}

function getInteger(d: Uint8Array, p: number, little: boolean, signed: boolean, size: number): number {
  let l = 0n;
  if (!little) for (let i = 0; i < size; i++) l = ((l << 8n) | BigInt(d[p + i]!)) & 0xffffffffffffffffn;
  else for (let i = size - 1; i >= 0; i--) l = ((l << 8n) | BigInt(d[p + i]!)) & 0xffffffffffffffffn;
  if (!signed) return Number(l);
  const bits = Math.min(size * 8, 64);
  return Number(BigInt.asIntN(bits === 0 ? 64 : bits, l));
}

function pack(L: LuaState): number {
  const fmt: Fmt = { s: lauxlib.luaL_checklstring(L, 1), i: 0 };
  const h: Header = { little: true, align: 1 };
  let arg = 2;
  let total = 0;
  const out: number[] = [];
  const dv = new DataView(new ArrayBuffer(8));
  while (fmt.i < fmt.s.length) {
    const opt = fmt.s[fmt.i++]!;
    let size = optsize(L, opt, fmt);
    let toalign = gettoalign(total, h, opt, size);
    total += toalign;
    while (toalign-- > 0) out.push(0);
    if (INT_OPTS.has(opt)) {
      putInteger(out, lauxlib.luaL_checknumber(L, arg++), h.little, size);
    } else if (opt === 120 /* x */) {
      out.push(0);
    } else if (opt === 102 /* f */) {
      dv.setFloat32(0, lauxlib.luaL_checknumber(L, arg++), h.little);
      for (let i = 0; i < 4; i++) out.push(dv.getUint8(i));
    } else if (opt === 100 /* d */) {
      dv.setFloat64(0, lauxlib.luaL_checknumber(L, arg++), h.little);
      for (let i = 0; i < 8; i++) out.push(dv.getUint8(i));
    } else if (opt === 99 /* c */ || opt === 115 /* s */) {
      const s: Uint8Array = lauxlib.luaL_checklstring(L, arg++);
      if (size === 0) size = s.length;
      lauxlib.luaL_argcheck(L, s.length >= size, arg, latin1Bytes("string too short"));
      for (let i = 0; i < size; i++) out.push(s[i]!);
      if (opt === 115) {
        out.push(0);
        size++;
      }
    } else controloptions(L, opt, fmt, h);
    total += size;
  }
  pushOwned(L, Uint8Array.from(out));
  return 1;
}

function unpack(L: LuaState): number {
  const fmt: Fmt = { s: lauxlib.luaL_checklstring(L, 1), i: 0 };
  const data: Uint8Array = lauxlib.luaL_checklstring(L, 2);
  const ld = data.length;
  let pos = Math.trunc(lua.lua_isnoneornil(L, 3) ? 1 : lauxlib.luaL_checknumber(L, 3));
  let n = 0;
  lauxlib.luaL_argcheck(L, pos > 0, 3, latin1Bytes("offset must be 1 or greater"));
  pos--;
  const h: Header = { little: true, align: 1 };
  const dv = new DataView(new ArrayBuffer(8));
  while (fmt.i < fmt.s.length) {
    const opt = fmt.s[fmt.i++]!;
    let size = optsize(L, opt, fmt);
    pos += gettoalign(pos, h, opt, size);
    lauxlib.luaL_argcheck(L, pos + size <= ld, 2, latin1Bytes("data string too short"));
    lua.lua_checkstack(L, 2);
    if (INT_OPTS.has(opt)) {
      const signed = opt >= 97 && opt <= 122;
      lua.lua_pushnumber(L, getInteger(data, pos, h.little, signed, size));
      n++;
    } else if (opt === 120) {
      // padding
    } else if (opt === 102) {
      for (let i = 0; i < 4; i++) dv.setUint8(i, data[pos + i]!);
      lua.lua_pushnumber(L, dv.getFloat32(0, h.little));
      n++;
    } else if (opt === 100) {
      for (let i = 0; i < 8; i++) dv.setUint8(i, data[pos + i]!);
      lua.lua_pushnumber(L, dv.getFloat64(0, h.little));
      n++;
    } else if (opt === 99) {
      if (size === 0) {
        if (n === 0 || !lua.lua_isnumber(L, -1)) raiseAt(L, "format 'c0' needs a previous size");
        size = Math.trunc(lua.lua_tonumber(L, -1));
        lua.lua_pop(L, 1);
        n--;
        lauxlib.luaL_argcheck(L, size <= ld && pos <= ld - size, 2, latin1Bytes("data string too short"));
      }
      pushOwned(L, data.slice(pos, pos + size));
      n++;
    } else if (opt === 115) {
      const e = data.indexOf(0, pos);
      if (e < 0) raiseAt(L, "unfinished string in data");
      size = e - pos + 1;
      pushOwned(L, data.slice(pos, e));
      n++;
    } else controloptions(L, opt, fmt, h);
    pos += size;
  }
  lua.lua_pushnumber(L, pos + 1);
  return n + 1;
}

function size(L: LuaState): number {
  const fmt: Fmt = { s: lauxlib.luaL_checklstring(L, 1), i: 0 };
  const h: Header = { little: true, align: 1 };
  let pos = 0;
  while (fmt.i < fmt.s.length) {
    const opt = fmt.s[fmt.i++]!;
    const sz = optsize(L, opt, fmt);
    pos += gettoalign(pos, h, opt, sz);
    if (opt === 115) lauxlib.luaL_argerror(L, 1, latin1Bytes("option 's' has no fixed size"));
    else if (opt === 99 && sz === 0) lauxlib.luaL_argerror(L, 1, latin1Bytes("option 'c0' has no fixed size"));
    const isAlnum = (opt >= 48 && opt <= 57) || (opt >= 65 && opt <= 90) || (opt >= 97 && opt <= 122);
    if (!isAlnum) controloptions(L, opt, fmt, h);
    pos += sz;
  }
  lua.lua_pushnumber(L, pos);
  return 1;
}

export function installStruct(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  lua.lua_pushcfunction(L, pack);
  lua.lua_setfield(L, -2, latin1Bytes("pack"));
  lua.lua_pushcfunction(L, unpack);
  lua.lua_setfield(L, -2, latin1Bytes("unpack"));
  lua.lua_pushcfunction(L, size);
  lua.lua_setfield(L, -2, latin1Bytes("size"));
  lua.lua_setglobal(L, latin1Bytes("struct"));
}

