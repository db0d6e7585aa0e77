// The `cmsgpack` library (lua-cmsgpack 0.4.0 as Redis ships it, Lua 5.1 build): MessagePack
// pack/unpack/unpack_one/unpack_limit with the same choices of encodings (smallest integer
// form, float32 when exact, str8/16/32, array vs map detection, nesting limit 16).

import { ByteBuf } from "./bytes.ts";
import { eachPair, lauxlib, latin1Bytes, lua, pushOwned, pushStr, raiseAt, L_, type LuaState } from "./lua.ts";

const MAX_NESTING = 16;

const f32 = new Float32Array(1);
const dv = new DataView(new ArrayBuffer(8));

function encodeInt(out: ByteBuf, n: number): void {
  if (n >= 0) {
    if (n <= 127) out.byte(n);
    else if (n <= 0xff) {
      out.byte(0xcc);
      out.byte(n);
    } else if (n <= 0xffff) {
      out.byte(0xcd);
      out.byte(n >>> 8);
      out.byte(n & 0xff);
    } else if (n <= 0xffffffff) {
      out.byte(0xce);
      dv.setUint32(0, n);
      for (let i = 0; i < 4; i++) out.byte(dv.getUint8(i));
    } else {
      out.byte(0xcf);
      dv.setBigUint64(0, BigInt(n));
      for (let i = 0; i < 8; i++) out.byte(dv.getUint8(i));
    }
  } else if (n >= -32) out.byte(n & 0xff);
  else if (n >= -128) {
    out.byte(0xd0);
    out.byte(n & 0xff);
  } else if (n >= -32768) {
    out.byte(0xd1);
    dv.setInt16(0, n);
    out.byte(dv.getUint8(0));
    out.byte(dv.getUint8(1));
  } else if (n >= -2147483648) {
    out.byte(0xd2);
    dv.setInt32(0, n);
    for (let i = 0; i < 4; i++) out.byte(dv.getUint8(i));
  } else {
    out.byte(0xd3);
    dv.setBigInt64(0, BigInt(n));
    for (let i = 0; i < 8; i++) out.byte(dv.getUint8(i));
  }
}

function encodeNumber(out: ByteBuf, n: number): void {
  // IS_INT64_EQUIVALENT: finite and (int64_t)n == n
  if (Number.isInteger(n) && n >= -9223372036854775808 && n < 9223372036854775808) {
    encodeInt(out, n);
    return;
  }
  f32[0] = n;
  if (f32[0] === n) {
    out.byte(0xca);
    dv.setFloat32(0, n);
    for (let i = 0; i < 4; i++) out.byte(dv.getUint8(i));
  } else {
    out.byte(0xcb);
    dv.setFloat64(0, n);
    for (let i = 0; i < 8; i++) out.byte(dv.getUint8(i));
  }
}

function encodeBytes(out: ByteBuf, s: Uint8Array): void {
  const len = s.length;
  if (len < 32) out.byte(0xa0 | len);
  else if (len <= 0xff) {
    out.byte(0xd9);
    out.byte(len);
  } else if (len <= 0xffff) {
    out.byte(0xda);
    out.byte(len >>> 8);
    out.byte(len & 0xff);
  } else {
    out.byte(0xdb);
    dv.setUint32(0, len);
    for (let i = 0; i < 4; i++) out.byte(dv.getUint8(i));
  }
  out.bytes(s);
}

function header(out: ByteBuf, n: number, fix: number, w16: number, w32: number, fixMax: number): void {
  if (n <= fixMax) out.byte(fix | n);
  else if (n <= 0xffff) {
    out.byte(w16);
    out.byte(n >>> 8);
    out.byte(n & 0xff);
  } else {
    out.byte(w32);
    dv.setUint32(0, n);
    for (let i = 0; i < 4; i++) out.byte(dv.getUint8(i));
  }
}

function isArray(L: LuaState): boolean {
  let count = 0;
  let max = 0;
  const top = lua.lua_gettop(L);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    lua.lua_pop(L, 1);
    const n = lua.lua_type(L, -1) === L_.TNUMBER ? lua.lua_tonumber(L, -1) : NaN;
    if (!(n > 0) || !Number.isInteger(n)) {
      lua.lua_settop(L, top);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  lua.lua_settop(L, top);
  return max === count;
}

/** Encodes the value at the top and pops it. */
function encodeTop(L: LuaState, out: ByteBuf, level: number): void {
  let t = lua.lua_type(L, -1);
  if (t === L_.TTABLE && level === MAX_NESTING) t = L_.TNIL;
  switch (t) {
    case L_.TSTRING:
      encodeBytes(out, lua.lua_tolstring(L, -1));
      break;
    case L_.TBOOLEAN:
      out.byte(lua.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case L_.TNUMBER:
      encodeNumber(out, lua.lua_tonumber(L, -1));
      break;
    case L_.TTABLE:
      lua.lua_checkstack(L, 4);
      if (isArray(L)) {
        const len = lua.lua_rawlen(L, -1);
        header(out, len, 0x90, 0xdc, 0xdd, 15);
        for (let j = 1; j <= len; j++) {
          lua.lua_rawgeti(L, -1, j);
          encodeTop(L, out, level + 1);
        }
      } else {
        let len = 0;
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2)) {
          lua.lua_pop(L, 1);
          len++;
        }
        header(out, len, 0x80, 0xde, 0xdf, 15);
        eachPair(L, -1, () => {
          lua.lua_pushvalue(L, -2);
          encodeTop(L, out, level + 1);
          encodeTop(L, out, level + 1);
        });
      }
      break;
    default:
      out.byte(0xc0);
  }
  lua.lua_pop(L, 1);
}

const EOF = 1;
const BADFMT = 2;

interface Cur {
  s: Uint8Array;
  p: number;
  end: number;
  err: number;
}

function need(c: Cur, n: number): boolean {
  if (c.end - c.p < n) {
    c.err = EOF;
    return false;
  }
  return true;
}

function readUint(c: Cur, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + c.s[c.p + i]!;
  c.p += n;
  return v;
}

function decodeOne(L: LuaState, c: Cur): void {
  lua.lua_checkstack(L, 4);
  if (!need(c, 1)) return;
  const b = c.s[c.p]!;
  const s = c.s;
  if (b <= 0x7f) {
    lua.lua_pushnumber(L, b);
    c.p++;
    return;
  }
  if (b >= 0xe0) {
    lua.lua_pushnumber(L, b - 256);
    c.p++;
    return;
  }
  if (b >= 0xa0 && b <= 0xbf) return str(L, c, 1, b & 0x1f);
  if (b >= 0x90 && b <= 0x9f) return arr(L, c, 1, b & 0x0f);
  if (b >= 0x80 && b <= 0x8f) return map(L, c, 1, b & 0x0f);
  switch (b) {
    case 0xc0:
      lua.lua_pushnil(L);
      c.p++;
      return;
    case 0xc2:
    case 0xc3:
      lua.lua_pushboolean(L, b === 0xc3 ? 1 : 0);
      c.p++;
      return;
    case 0xcc:
    case 0xcd:
    case 0xce: {
      const n = b === 0xcc ? 1 : b === 0xcd ? 2 : 4;
      if (!need(c, 1 + n)) return;
      c.p++;
      lua.lua_pushnumber(L, readUint(c, n));
      return;
    }
    case 0xcf:
    case 0xd3: {
      if (!need(c, 9)) return;
      for (let i = 0; i < 8; i++) dv.setUint8(i, s[c.p + 1 + i]!);
      c.p += 9;
      lua.lua_pushnumber(L, Number(b === 0xcf ? dv.getBigUint64(0) : dv.getBigInt64(0)));
      return;
    }
    case 0xd0:
      if (!need(c, 2)) return;
      lua.lua_pushnumber(L, (s[c.p + 1]! << 24) >> 24);
      c.p += 2;
      return;
    case 0xd1:
      if (!need(c, 3)) return;
      lua.lua_pushnumber(L, (((s[c.p + 1]! << 8) | s[c.p + 2]!) << 16) >> 16);
      c.p += 3;
      return;
    case 0xd2:
      if (!need(c, 5)) return;
      lua.lua_pushnumber(L, (s[c.p + 1]! << 24) | (s[c.p + 2]! << 16) | (s[c.p + 3]! << 8) | s[c.p + 4]!);
      c.p += 5;
      return;
    case 0xca:
      if (!need(c, 5)) return;
      for (let i = 0; i < 4; i++) dv.setUint8(i, s[c.p + 1 + i]!);
      c.p += 5;
      lua.lua_pushnumber(L, dv.getFloat32(0));
      return;
    case 0xcb:
      if (!need(c, 9)) return;
      for (let i = 0; i < 8; i++) dv.setUint8(i, s[c.p + 1 + i]!);
      c.p += 9;
      lua.lua_pushnumber(L, dv.getFloat64(0));
      return;
    case 0xd9:
    case 0xc4:
      return lenThen(c, 1, (n) => str(L, c, 0, n));
    case 0xda:
    case 0xc5:
      return lenThen(c, 2, (n) => str(L, c, 0, n));
    case 0xdb:
    case 0xc6:
      return lenThen(c, 4, (n) => str(L, c, 0, n));
    case 0xdc:
      return lenThen(c, 2, (n) => arr(L, c, 0, n));
    case 0xdd:
      return lenThen(c, 4, (n) => arr(L, c, 0, n));
    case 0xde:
      return lenThen(c, 2, (n) => map(L, c, 0, n));
    case 0xdf:
      return lenThen(c, 4, (n) => map(L, c, 0, n));
    default:
      c.err = BADFMT;
  }
}

function lenThen(c: Cur, w: number, then: (n: number) => void): void {
  if (!need(c, 1 + w)) return;
  c.p++;
  then(readUint(c, w));
}

function str(L: LuaState, c: Cur, skip: number, n: number): void {
  if (!need(c, skip + n)) return;
  c.p += skip;
  pushOwned(L, c.s.slice(c.p, c.p + n));
  c.p += n;
}

function arr(L: LuaState, c: Cur, skip: number, n: number): void {
  if (!need(c, skip)) return;
  c.p += skip;
  lua.lua_createtable(L, n > 1024 ? 1024 : n, 0);
  for (let j = 0; j < n; j++) {
    lua.lua_pushnumber(L, j + 1);
    decodeOne(L, c);
    if (c.err) return;
    lua.lua_settable(L, -3);
  }
}

function map(L: LuaState, c: Cur, skip: number, n: number): void {
  if (!need(c, skip)) return;
  c.p += skip;
  lua.lua_createtable(L, 0, n > 1024 ? 1024 : n);
  for (let j = 0; j < n; j++) {
    decodeOne(L, c);
    if (c.err) return;
    decodeOne(L, c);
    if (c.err) return;
    lua.lua_settable(L, -3);
  }
}

function unpackFull(L: LuaState, limit: number, offset: number): number {
  const s: Uint8Array = lauxlib.luaL_checklstring(L, 1);
  const len = s.length;
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0) return raiseAt(L, `Invalid request to unpack with offset of ${offset} and limit of ${len}.`);
  if (offset > len) return raiseAt(L, `Start offset ${offset} greater than input length ${len}.`);
  if (decodeAll) limit = 2147483647;
  const c: Cur = { s, p: offset, end: len, err: 0 };
  let cnt = 0;
  for (; c.end - c.p > 0 && cnt < limit; cnt++) {
    decodeOne(L, c);
    if (c.err === EOF) return raiseAt(L, "Missing bytes in input.");
    if (c.err === BADFMT) return raiseAt(L, "Bad data format in input.");
  }
  if (!decodeAll) {
    const left = c.end - c.p;
    lua.lua_pushnumber(L, left === 0 ? -1 : len - left);
    lua.lua_insert(L, 2);
    cnt++;
  }
  return cnt;
}

export function installCmsgpack(L: LuaState): void {
  lua.lua_createtable(L, 0, 8);
  const set = (name: string, fn: (L: LuaState) => number) => {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, latin1Bytes(name));
  };
  set("pack", (L2) => {
    const n = lua.lua_gettop(L2);
    if (n === 0) return lauxlib.luaL_argerror(L2, 0, latin1Bytes("MessagePack pack needs input."));
    const out = new ByteBuf(64);
    for (let i = 1; i <= n; i++) {
      lua.lua_pushvalue(L2, i);
      encodeTop(L2, out, 0);
    }
    pushOwned(L2, out.take());
    return 1;
  });
  set("unpack", (L2) => unpackFull(L2, 0, 0));
  set("unpack_one", (L2) => {
    const offset = lua.lua_isnoneornil(L2, 2) ? 0 : Math.trunc(lauxlib.luaL_checknumber(L2, 2));
    lua.lua_settop(L2, 1);
    return unpackFull(L2, 1, offset);
  });
  set("unpack_limit", (L2) => {
    const limit = Math.trunc(lauxlib.luaL_checknumber(L2, 2));
    const offset = lua.lua_isnoneornil(L2, 3) ? 0 : Math.trunc(lauxlib.luaL_checknumber(L2, 3));
    lua.lua_settop(L2, 1);
    return unpackFull(L2, limit, offset);
  });
  for (const [k, v] of [
    ["_NAME", "cmsgpack"],
    ["_VERSION", "lua-cmsgpack 0.4.0"],
    ["_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"],
    ["_DESCRIPTION", "MessagePack C implementation for Lua"],
  ]) {
    pushStr(L, v!);
    lua.lua_setfield(L, -2, latin1Bytes(k!));
  }
  lua.lua_setglobal(L, latin1Bytes("cmsgpack"));
}
