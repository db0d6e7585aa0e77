// Conversions between Lua values and RESP, with Redis 7.0's rules.
//
// RESP -> Lua (a command's reply inside redis.call): the reply bytes the command wrote into the
// script client's buffer are parsed, exactly as Redis parses its fake client's reply. RESP2:
// integer -> number, bulk -> string, null bulk / null array -> false, status -> {ok=...},
// error -> {err=...}, array -> table. RESP3 (after redis.setresp(3)) adds: null -> nil,
// map -> {map={...}}, set -> {set={k=true}}, double -> {double=n}, boolean -> boolean,
// big number -> {big_number=s}, verbatim -> {verbatim_string={format=, string=}}; attributes are
// dropped.
//
// Lua -> RESP (the script's result): string -> bulk, number -> integer (truncated like a C
// cast), boolean -> 1/null (RESP2 script client) or a RESP3 boolean, table with err/ok/double/
// big_number/verbatim_string/map/set fields -> that reply, other tables -> array up to the first
// nil, anything else -> null.

import type { Reply } from "../resp/writer.ts";
import { bytesLatin1, eachPair, lua, pushOwned, L_, type LuaState } from "./lua.ts";

/** A real copy (Buffer's slice is a view, and the reply buffer is reused). */
const copy = (b: Uint8Array, s: number, e: number): Uint8Array => Uint8Array.prototype.slice.call(b, s, e);

function lineEnd(b: Uint8Array, p: number): number {
  while (b[p] !== 13) p++;
  return p;
}

function asciiNum(b: Uint8Array, s: number, e: number): number {
  let neg = false;
  let i = s;
  if (b[i] === 45) {
    neg = true;
    i++;
  }
  let v = 0;
  for (; i < e; i++) v = v * 10 + (b[i]! - 48);
  if (e - s > 15) {
    let str = "";
    for (let j = s; j < e; j++) str += String.fromCharCode(b[j]!);
    return Number(str);
  }
  return neg ? -v : v;
}

function asciiStr(b: Uint8Array, s: number, e: number): string {
  let str = "";
  for (let j = s; j < e; j++) str += String.fromCharCode(b[j]!);
  return str;
}

function pushField(L: LuaState, name: string): void {
  lua.lua_pushliteral(L, name);
}

/** Parses one RESP value at b[p] and pushes it; returns the position after it. */
export function respToLua(L: LuaState, b: Uint8Array, p: number): number {
  const t = b[p]!;
  const e = lineEnd(b, p + 1);
  switch (t) {
    case 36 /* $ */: {
      const n = asciiNum(b, p + 1, e);
      if (n < 0) {
        lua.lua_pushboolean(L, 0);
        return e + 2;
      }
      pushOwned(L, copy(b, e + 2, e + 2 + n));
      return e + 2 + n + 2;
    }
    case 58 /* : */:
      lua.lua_pushnumber(L, asciiNum(b, p + 1, e));
      return e + 2;
    case 43 /* + */:
      lua.lua_createtable(L, 0, 1);
      pushField(L, "ok");
      pushOwned(L, copy(b, p + 1, e));
      lua.lua_rawset(L, -3);
      return e + 2;
    case 45 /* - */:
      lua.lua_createtable(L, 0, 1);
      pushField(L, "err");
      pushOwned(L, copy(b, p + 1, e));
      lua.lua_rawset(L, -3);
      return e + 2;
    case 42 /* * */:
    case 62 /* > */: {
      const n = asciiNum(b, p + 1, e);
      if (n < 0) {
        lua.lua_pushboolean(L, 0);
        return e + 2;
      }
      lua.lua_checkstack(L, 4);
      lua.lua_createtable(L, n, 0);
      let q = e + 2;
      for (let i = 1; i <= n; i++) {
        q = respToLua(L, b, q);
        lua.lua_rawseti(L, -2, i);
      }
      return q;
    }
    case 95 /* _ */:
      lua.lua_pushnil(L);
      return e + 2;
    case 35 /* # */:
      lua.lua_pushboolean(L, b[p + 1] === 116 ? 1 : 0);
      return e + 2;
    case 44 /* , */: {
      const s = asciiStr(b, p + 1, e);
      const d = s === "inf" ? Infinity : s === "-inf" ? -Infinity : s === "nan" || s === "-nan" ? NaN : Number(s);
      lua.lua_createtable(L, 0, 1);
      pushField(L, "double");
      lua.lua_pushnumber(L, d);
      lua.lua_rawset(L, -3);
      return e + 2;
    }
    case 40 /* ( */:
      lua.lua_createtable(L, 0, 1);
      pushField(L, "big_number");
      pushOwned(L, copy(b, p + 1, e));
      lua.lua_rawset(L, -3);
      return e + 2;
    case 61 /* = */: {
      const n = asciiNum(b, p + 1, e);
      const s = e + 2;
      lua.lua_createtable(L, 0, 1);
      pushField(L, "verbatim_string");
      lua.lua_createtable(L, 0, 2);
      pushField(L, "format");
      pushOwned(L, copy(b, s, s + 3));
      lua.lua_rawset(L, -3);
      pushField(L, "string");
      pushOwned(L, copy(b, s + 4, s + n));
      lua.lua_rawset(L, -3);
      lua.lua_rawset(L, -3);
      return s + n + 2;
    }
    case 37 /* % */:
    case 126 /* ~ */: {
      const n = asciiNum(b, p + 1, e);
      const isMap = t === 37;
      lua.lua_createtable(L, 0, 1);
      pushField(L, isMap ? "map" : "set");
      lua.lua_createtable(L, 0, n);
      let q = e + 2;
      for (let i = 0; i < n; i++) {
        q = respToLua(L, b, q);
        if (isMap) q = respToLua(L, b, q);
        else lua.lua_pushboolean(L, 1);
        lua.lua_rawset(L, -3);
      }
      lua.lua_rawset(L, -3);
      return q;
    }
    case 124 /* | */: {
      // Attributes are parsed and dropped; the value follows.
      const n = asciiNum(b, p + 1, e);
      let q = e + 2;
      for (let i = 0; i < n * 2; i++) {
        q = respToLua(L, b, q);
        lua.lua_pop(L, 1);
      }
      return respToLua(L, b, q);
    }
    default:
      lua.lua_pushnil(L);
      return e + 2;
  }
}

const MIN_I64 = -9223372036854775808n;

/** Writes a Lua number the way (long long) casts it: truncation, out of range -> INT64_MIN. */
export function replyLuaNumber(out: Reply, n: number): void {
  if (!Number.isFinite(n) || n >= 9223372036854775808 || n < -9223372036854775808) {
    out.bigint(MIN_I64);
    return;
  }
  const t = Math.trunc(n);
  if (Math.abs(t) <= Number.MAX_SAFE_INTEGER) out.int(t === 0 ? 0 : t);
  else out.bigint(BigInt(t));
}

function sanitize(s: string): string {
  return s.includes("\r") || s.includes("\n") ? s.replace(/[\r\n]/g, " ") : s;
}

/** Field `name` of the table at the top, raw; leaves it on the stack, returns its type. */
function rawField(L: LuaState, name: string): number {
  pushField(L, name);
  return lua.lua_rawget(L, -2);
}

export function writeError(out: Reply, msg: string, countStats: boolean): void {
  msg = sanitize(msg);
  if (countStats) out.error(msg);
  else out.ascii(`-${msg}\r\n`);
}

/**
 * Converts the value at the top of the Lua stack into a reply (and pops it). `luaResp` is the
 * script client's protocol (redis.setresp), which decides how booleans are sent.
 */
export function luaToReply(L: LuaState, out: Reply, luaResp: number): void {
  const t = lua.lua_type(L, -1);
  switch (t) {
    case L_.TSTRING:
      out.bulkBytes(lua.lua_tolstring(L, -1));
      break;
    case L_.TBOOLEAN: {
      const v = lua.lua_toboolean(L, -1);
      if (luaResp === 2) {
        if (v) out.int(1);
        else out.nil();
      } else out.bool(v);
      break;
    }
    case L_.TNUMBER:
      replyLuaNumber(out, lua.lua_tonumber(L, -1));
      break;
    case L_.TTABLE:
      tableToReply(L, out, luaResp);
      return;
    default:
      out.nil();
  }
  lua.lua_pop(L, 1);
}

function tableToReply(L: LuaState, out: Reply, luaResp: number): void {
  lua.lua_checkstack(L, 4);
  // {err=...}
  if (rawField(L, "err") === L_.TSTRING) {
    const msg = bytesLatin1(lua.lua_tolstring(L, -1));
    lua.lua_pop(L, 1);
    const ignore = rawField(L, "ignore_error_stats_update") !== L_.TNIL && lua.lua_toboolean(L, -1);
    lua.lua_pop(L, 2);
    writeError(out, msg, !ignore);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, "ok") === L_.TSTRING) {
    out.status(sanitize(bytesLatin1(lua.lua_tolstring(L, -1))));
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, "double") === L_.TNUMBER) {
    out.dbl(lua.lua_tonumber(L, -1));
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, "big_number") === L_.TSTRING) {
    out.bignum(sanitize(bytesLatin1(lua.lua_tolstring(L, -1))));
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, "verbatim_string") === L_.TTABLE) {
    if (rawField(L, "format") === L_.TSTRING) {
      const fmt = bytesLatin1(lua.lua_tolstring(L, -1));
      lua.lua_pop(L, 1);
      if (rawField(L, "string") === L_.TSTRING) {
        const s = bytesLatin1(lua.lua_tolstring(L, -1));
        out.verbatim(s, fmt.slice(0, 3).padEnd(3, " "));
        lua.lua_pop(L, 3);
        return;
      }
      lua.lua_pop(L, 1);
    } else lua.lua_pop(L, 1);
  }
  lua.lua_pop(L, 1);
  if (rawField(L, "map") === L_.TTABLE) {
    const at = out.deferLen();
    let n = 0;
    eachPair(L, -1, () => {
      lua.lua_pushvalue(L, -2);
      luaToReply(L, out, luaResp);
      luaToReply(L, out, luaResp);
      n++;
    });
    out.setDeferred(at, "%", n);
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  if (rawField(L, "set") === L_.TTABLE) {
    const at = out.deferLen();
    let n = 0;
    eachPair(L, -1, () => {
      lua.lua_pop(L, 1);
      lua.lua_pushvalue(L, -1);
      luaToReply(L, out, luaResp);
      n++;
    });
    out.setDeferred(at, "~", n);
    lua.lua_pop(L, 2);
    return;
  }
  lua.lua_pop(L, 1);
  const at = out.deferLen();
  let n = 0;
  for (let j = 1; ; j++) {
    if (lua.lua_rawgeti(L, -1, j) === L_.TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    luaToReply(L, out, luaResp);
    n++;
  }
  out.setDeferred(at, "*", n);
  lua.lua_pop(L, 1);
}
