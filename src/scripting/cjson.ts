// The `cjson` library (lua-cjson 2.1.0 as Redis ships it): encode/decode with the same
// escaping, number formatting ("%.14g"), sparse-array and depth rules, configuration
// functions and error texts.

import { ByteBuf } from "./bytes.ts";
import { bytesLatin1, eachPair, fmtLuaNumber, nullPointer, lauxlib, latin1Bytes, lua, pushOwned, pushStr, raiseAt, toBytes, L_, type LuaState } from "./lua.ts";
import { fmtGC } from "./cfloat.ts";

/** cjson.null: a light userdata holding "NULL", the same object everywhere. */
export const JSON_NULL = nullPointer;

interface Config {
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  precision: number;
  keepBuffer: boolean;
  encodeInvalid: 0 | 1 | 2; // 0 off, 1 on, 2 "null"
  decodeInvalid: boolean;
}

function newConfig(): Config {
  return {
    sparseConvert: false,
    sparseRatio: 2,
    sparseSafe: 10,
    encodeMaxDepth: 1000,
    decodeMaxDepth: 1000,
    precision: 14,
    keepBuffer: true,
    encodeInvalid: 0,
    decodeInvalid: true,
  };
}

// ---- encoding ----

const ESC: (string | null)[] = new Array(256).fill(null);
for (let i = 0; i < 32; i++) ESC[i] = "\\u" + i.toString(16).padStart(4, "0");
ESC[8] = "\\b";
ESC[9] = "\\t";
ESC[10] = "\\n";
ESC[12] = "\\f";
ESC[13] = "\\r";
ESC[34] = '\\"';
ESC[47] = "\\/";
ESC[92] = "\\\\";
ESC[127] = "\\u007f";

function appendString(out: ByteBuf, s: Uint8Array): void {
  out.reserve(s.length + 2);
  out.byte(34);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const e = ESC[c];
    if (e === null) out.byte(c);
    else out.ascii(e!);
  }
  out.byte(34);
}

function fmtNumber(n: number, precision: number): string {
  if (precision === 14) return fmtLuaNumber(n);
  return n < 0 ? "-" + fmtGC(-n, precision) : fmtGC(n, precision);
}

function encodeError(L: LuaState, idx: number, reason: string): never {
  const tn = bytesLatin1(lua.lua_typename(L, lua.lua_type(L, idx)));
  return raiseAt(L, `Cannot serialise ${tn}: ${reason}`);
}

function appendNumber(L: LuaState, cfg: Config, out: ByteBuf, idx: number): void {
  const n = lua.lua_tonumber(L, idx);
  if (!Number.isFinite(n)) {
    if (cfg.encodeInvalid === 0) encodeError(L, idx, "must not be NaN or Inf");
    if (cfg.encodeInvalid === 2) {
      out.ascii("null");
      return;
    }
    out.ascii(Number.isNaN(n) ? "nan" : n > 0 ? "inf" : "-inf");
    return;
  }
  out.ascii(fmtNumber(n, cfg.precision));
}

/** Array length if the table at the top is an array (cjson's lua_array_length), else -1. */
function arrayLength(L: LuaState, cfg: Config): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    if (lua.lua_type(L, -2) === L_.TNUMBER) {
      const k = lua.lua_tonumber(L, -2);
      if (k !== 0 && Math.floor(k) === k && k >= 1) {
        if (k > max) max = k;
        items++;
        lua.lua_pop(L, 1);
        continue;
      }
    }
    lua.lua_pop(L, 2);
    return -1;
  }
  if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
    if (!cfg.sparseConvert) encodeError(L, -1, "excessively sparse array");
    return -1;
  }
  return max;
}

function encodeValue(L: LuaState, cfg: Config, out: ByteBuf, depth: number): void {
  switch (lua.lua_type(L, -1)) {
    case L_.TSTRING:
      appendString(out, lua.lua_tolstring(L, -1));
      return;
    case L_.TNUMBER:
      appendNumber(L, cfg, out, -1);
      return;
    case L_.TBOOLEAN:
      out.ascii(lua.lua_toboolean(L, -1) ? "true" : "false");
      return;
    case L_.TTABLE: {
      depth++;
      if (depth > cfg.encodeMaxDepth) raiseAt(L, `Cannot serialise, excessive nesting (${depth})`);
      lua.lua_checkstack(L, 6);
      const len = arrayLength(L, cfg);
      if (len > 0) {
        out.byte(91);
        for (let i = 1; i <= len; i++) {
          if (i > 1) out.byte(44);
          lua.lua_rawgeti(L, -1, i);
          encodeValue(L, cfg, out, depth);
          lua.lua_pop(L, 1);
        }
        out.byte(93);
      } else {
        out.byte(123);
        let first = true;
        eachPair(L, -1, () => {
          if (!first) out.byte(44);
          first = false;
          const kt = lua.lua_type(L, -2);
          if (kt === L_.TSTRING) appendString(out, lua.lua_tolstring(L, -2));
          else if (kt === L_.TNUMBER) {
            out.byte(34);
            appendNumber(L, cfg, out, -2);
            out.byte(34);
          } else encodeError(L, -2, "table key must be a number or string");
          out.byte(58);
          encodeValue(L, cfg, out, depth);
          lua.lua_pop(L, 1);
        });
        out.byte(125);
      }
      return;
    }
    case L_.TNIL:
      out.ascii("null");
      return;
    default:
      if (lua.lua_type(L, -1) === L_.TLIGHTUSERDATA && lua.lua_touserdata(L, -1) === JSON_NULL) {
        out.ascii("null");
        return;
      }
      encodeError(L, -1, "type not supported");
  }
}

// ---- decoding ----

const enum T {
  OBJ_BEGIN,
  OBJ_END,
  ARR_BEGIN,
  ARR_END,
  STRING,
  NUMBER,
  BOOLEAN,
  NULL,
  COLON,
  COMMA,
  END,
  WHITESPACE,
  ERROR,
  UNKNOWN,
}

const TOKEN_NAMES = [
  "T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL",
  "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR", "T_UNKNOWN",
];

interface Token {
  type: T;
  index: number;
  str: Uint8Array | null;
  num: number;
  bool: boolean;
  err: string;
}

interface Parser {
  s: Uint8Array;
  p: number;
  depth: number;
  cfg: Config;
  L: LuaState;
}

const STRTOD_RE =
  /^[ \t\n\v\f\r]*[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|inf(?:inity)?|nan(?:\([0-9a-zA-Z_]*\))?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/i;

/** C strtod on the text at p: [value, length consumed] (length 0: no number). */
function strtod(s: Uint8Array, p: number): [number, number] {
  const text = bytesLatin1(s, p, Math.min(s.length, p + 400));
  const m = STRTOD_RE.exec(text);
  if (!m) return [0, 0];
  let t = m[0].trim();
  const neg = t.startsWith("-");
  if (t.startsWith("+") || t.startsWith("-")) t = t.slice(1);
  let v: number;
  const lower = t.toLowerCase();
  if (lower.startsWith("inf")) v = Infinity;
  else if (lower.startsWith("nan")) v = NaN;
  else if (lower.startsWith("0x")) {
    const [mant, exp] = lower.slice(2).split("p");
    const [ip, fp = ""] = mant!.split(".");
    v = ip ? parseInt(ip, 16) : 0;
    let scale = 1 / 16;
    for (const ch of fp) {
      v += parseInt(ch, 16) * scale;
      scale /= 16;
    }
    if (exp !== undefined) v *= Math.pow(2, parseInt(exp, 10));
  } else v = Number(t);
  return [neg ? -v : v, m[0].length];
}

function isInvalidNumber(s: Uint8Array, p: number): boolean {
  if (s[p] === 43) return true;
  if (s[p] === 45) p++;
  const c = s[p];
  if (c === 48) {
    const c2 = s[p + 1];
    return c2 !== undefined && ((c2 | 0x20) === 120 || (c2 >= 48 && c2 <= 57));
  }
  if (c !== undefined && c <= 57) return false;
  const w = bytesLatin1(s, p, Math.min(s.length, p + 3)).toLowerCase();
  return w === "inf" || w === "nan";
}

function startsWith(s: Uint8Array, p: number, w: string): boolean {
  if (p + w.length > s.length) return false;
  for (let i = 0; i < w.length; i++) if (s[p + i] !== w.charCodeAt(i)) return false;
  return true;
}

function utf8(out: ByteBuf, cp: number): void {
  if (cp < 0x80) out.byte(cp);
  else if (cp < 0x800) {
    out.byte(0xc0 | (cp >> 6));
    out.byte(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out.byte(0xe0 | (cp >> 12));
    out.byte(0x80 | ((cp >> 6) & 0x3f));
    out.byte(0x80 | (cp & 0x3f));
  } else {
    out.byte(0xf0 | (cp >> 18));
    out.byte(0x80 | ((cp >> 12) & 0x3f));
    out.byte(0x80 | ((cp >> 6) & 0x3f));
    out.byte(0x80 | (cp & 0x3f));
  }
}

function hex4(s: Uint8Array, p: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = s[p + i];
    if (c === undefined) return -1;
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

function nextString(ps: Parser, tok: Token): void {
  const s = ps.s;
  let p = ps.p + 1;
  const out = new ByteBuf(32);
  for (;;) {
    if (p >= s.length || s[p] === 0) {
      tok.type = T.ERROR;
      tok.err = "unexpected end of string";
      tok.index = p;
      return;
    }
    const c = s[p]!;
    if (c === 34) break;
    if (c !== 92) {
      out.byte(c);
      p++;
      continue;
    }
    const e = s[p + 1];
    switch (e) {
      case 34:
      case 92:
      case 47:
        out.byte(e);
        break;
      case 98:
        out.byte(8);
        break;
      case 102:
        out.byte(12);
        break;
      case 110:
        out.byte(10);
        break;
      case 114:
        out.byte(13);
        break;
      case 116:
        out.byte(9);
        break;
      case 117: {
        let cp = hex4(s, p + 2);
        let used = 6;
        if (cp < 0 || (cp >= 0xdc00 && cp <= 0xdfff)) {
          tok.type = T.ERROR;
          tok.err = "invalid unicode escape code";
          tok.index = p;
          return;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          const lo = s[p + 6] === 92 && s[p + 7] === 117 ? hex4(s, p + 8) : -1;
          if (lo < 0xdc00 || lo > 0xdfff) {
            tok.type = T.ERROR;
            tok.err = "invalid unicode escape code";
            tok.index = p;
            return;
          }
          cp = (((cp & 0x3ff) << 10) | (lo & 0x3ff)) + 0x10000;
          used = 12;
        }
        utf8(out, cp);
        p += used;
        continue;
      }
      default:
        tok.type = T.ERROR;
        tok.err = "invalid escape code";
        tok.index = p;
        return;
    }
    p += 2;
  }
  tok.type = T.STRING;
  tok.str = out.take();
  ps.p = p + 1;
}

function nextNumber(ps: Parser, tok: Token): void {
  const [v, len] = strtod(ps.s, ps.p);
  if (len === 0) {
    tok.type = T.ERROR;
    tok.err = "invalid number";
    return;
  }
  tok.type = T.NUMBER;
  tok.num = v;
  ps.p += len;
}

function nextToken(ps: Parser, tok: Token): void {
  const s = ps.s;
  let p = ps.p;
  while (p < s.length && (s[p] === 32 || s[p] === 9 || s[p] === 10 || s[p] === 13)) p++;
  ps.p = p;
  tok.index = p;
  tok.str = null;
  // The text is a C string to cjson: a NUL byte ends it.
  if (p >= s.length || s[p] === 0) {
    tok.type = T.END;
    return;
  }
  const c = s[p]!;
  const single: Record<number, T> = { 123: T.OBJ_BEGIN, 125: T.OBJ_END, 91: T.ARR_BEGIN, 93: T.ARR_END, 58: T.COLON, 44: T.COMMA };
  const one = single[c];
  if (one !== undefined) {
    tok.type = one;
    ps.p = p + 1;
    return;
  }
  if (c === 34) return nextString(ps, tok);
  if (c === 45 || (c >= 48 && c <= 57)) {
    if (!ps.cfg.decodeInvalid && isInvalidNumber(s, p)) {
      tok.type = T.ERROR;
      tok.err = "invalid number";
      return;
    }
    return nextNumber(ps, tok);
  }
  if (startsWith(s, p, "true")) {
    tok.type = T.BOOLEAN;
    tok.bool = true;
    ps.p = p + 4;
    return;
  }
  if (startsWith(s, p, "false")) {
    tok.type = T.BOOLEAN;
    tok.bool = false;
    ps.p = p + 5;
    return;
  }
  if (startsWith(s, p, "null")) {
    tok.type = T.NULL;
    ps.p = p + 4;
    return;
  }
  if (ps.cfg.decodeInvalid && isInvalidNumber(s, p)) return nextNumber(ps, tok);
  tok.type = T.ERROR;
  tok.err = "invalid token";
}

function parseError(ps: Parser, expected: string, tok: Token): never {
  const found = tok.type === T.ERROR ? tok.err : TOKEN_NAMES[tok.type]!;
  return raiseAt(ps.L, `Expected ${expected} but found ${found} at character ${tok.index + 1}`);
}

function descend(ps: Parser): void {
  ps.depth++;
  if (ps.depth > ps.cfg.decodeMaxDepth) {
    raiseAt(ps.L, `Found too many nested data structures (${ps.depth}) at character ${ps.p}`);
  }
  lua.lua_checkstack(ps.L, 3);
}

/** The token's type, read without TypeScript's narrowing (nextToken changes it). */
function ty(tok: Token): T {
  return tok.type;
}

function processValue(ps: Parser, tok: Token): void {
  const L = ps.L;
  switch (tok.type) {
    case T.STRING:
      pushOwned(L, tok.str!);
      return;
    case T.NUMBER:
      lua.lua_pushnumber(L, tok.num);
      return;
    case T.BOOLEAN:
      lua.lua_pushboolean(L, tok.bool ? 1 : 0);
      return;
    case T.NULL:
      lua.lua_pushlightuserdata(L, JSON_NULL);
      return;
    case T.OBJ_BEGIN: {
      descend(ps);
      lua.lua_createtable(L, 0, 0);
      nextToken(ps, tok);
      if (ty(tok) === T.OBJ_END) {
        ps.depth--;
        return;
      }
      for (;;) {
        if (ty(tok) !== T.STRING) parseError(ps, "object key string", tok);
        pushOwned(L, tok.str!);
        nextToken(ps, tok);
        if (ty(tok) !== T.COLON) parseError(ps, "colon", tok);
        nextToken(ps, tok);
        processValue(ps, tok);
        lua.lua_rawset(L, -3);
        nextToken(ps, tok);
        if (ty(tok) === T.OBJ_END) {
          ps.depth--;
          return;
        }
        if (ty(tok) !== T.COMMA) parseError(ps, "comma or object end", tok);
        nextToken(ps, tok);
      }
    }
    case T.ARR_BEGIN: {
      descend(ps);
      lua.lua_createtable(L, 0, 0);
      nextToken(ps, tok);
      if (ty(tok) === T.ARR_END) {
        ps.depth--;
        return;
      }
      for (let i = 1; ; i++) {
        processValue(ps, tok);
        lua.lua_rawseti(L, -2, i);
        nextToken(ps, tok);
        if (ty(tok) === T.ARR_END) {
          ps.depth--;
          return;
        }
        if (ty(tok) !== T.COMMA) parseError(ps, "comma or array end", tok);
        nextToken(ps, tok);
      }
    }
    default:
      parseError(ps, "value", tok);
  }
}

// ---- the module ----

function boolArg(L: LuaState, i: number): boolean | null {
  if (lua.lua_isnoneornil(L, i)) return null;
  if (lua.lua_type(L, i) === L_.TBOOLEAN) return lua.lua_toboolean(L, i);
  const s = toBytes(L, i);
  const v = s === null ? "" : bytesLatin1(s);
  if (v === "on" || v === "true" || v === "yes") return true;
  if (v === "off" || v === "false" || v === "no") return false;
  lauxlib.luaL_argerror(L, i, latin1Bytes("invalid option"));
  return null;
}

function intArg(L: LuaState, i: number, min: number, max: number): number | null {
  if (lua.lua_isnoneornil(L, i)) return null;
  const v = Math.trunc(lauxlib.luaL_checknumber(L, i));
  if (v < min || v > max) lauxlib.luaL_argerror(L, i, latin1Bytes(`expected integer between ${min} and ${max}`));
  return v;
}

function pushModule(L: LuaState): void {
  const cfg = newConfig();
  lua.lua_createtable(L, 0, 16);
  const set = (name: string, fn: (L: LuaState) => number) => {
    lua.lua_pushcfunction(L, fn);
    lua.lua_setfield(L, -2, latin1Bytes(name));
  };
  set("encode", (L2) => {
    lauxlib.luaL_argcheck(L2, lua.lua_gettop(L2) === 1, 1, latin1Bytes("expected 1 argument"));
    const out = new ByteBuf(64);
    encodeValue(L2, cfg, out, 0);
    pushOwned(L2, out.take());
    return 1;
  });
  set("decode", (L2) => {
    lauxlib.luaL_argcheck(L2, lua.lua_gettop(L2) === 1, 1, latin1Bytes("expected 1 argument"));
    const s: Uint8Array = lauxlib.luaL_checklstring(L2, 1);
    if (s.length >= 2 && (s[0] === 0 || s[1] === 0)) raiseAt(L2, "JSON parser does not support UTF-16 or UTF-32");
    const ps: Parser = { s, p: 0, depth: 0, cfg, L: L2 };
    const tok: Token = { type: T.UNKNOWN, index: 0, str: null, num: 0, bool: false, err: "" };
    nextToken(ps, tok);
    processValue(ps, tok);
    nextToken(ps, tok);
    if (tok.type !== T.END) parseError(ps, "the end", tok);
    return 1;
  });
  set("encode_sparse_array", (L2) => {
    const conv = boolArg(L2, 1);
    const ratio = intArg(L2, 2, 0, 2147483647);
    const safe = intArg(L2, 3, 0, 2147483647);
    if (conv !== null) cfg.sparseConvert = conv;
    if (ratio !== null) cfg.sparseRatio = ratio;
    if (safe !== null) cfg.sparseSafe = safe;
    lua.lua_pushboolean(L2, cfg.sparseConvert ? 1 : 0);
    lua.lua_pushnumber(L2, cfg.sparseRatio);
    lua.lua_pushnumber(L2, cfg.sparseSafe);
    return 3;
  });
  set("encode_max_depth", (L2) => {
    const v = intArg(L2, 1, 1, 2147483647);
    if (v !== null) cfg.encodeMaxDepth = v;
    lua.lua_pushnumber(L2, cfg.encodeMaxDepth);
    return 1;
  });
  set("decode_max_depth", (L2) => {
    const v = intArg(L2, 1, 1, 2147483647);
    if (v !== null) cfg.decodeMaxDepth = v;
    lua.lua_pushnumber(L2, cfg.decodeMaxDepth);
    return 1;
  });
  set("encode_number_precision", (L2) => {
    const v = intArg(L2, 1, 1, 14);
    if (v !== null) cfg.precision = v;
    lua.lua_pushnumber(L2, cfg.precision);
    return 1;
  });
  set("encode_keep_buffer", (L2) => {
    const v = boolArg(L2, 1);
    if (v !== null) cfg.keepBuffer = v;
    lua.lua_pushboolean(L2, cfg.keepBuffer ? 1 : 0);
    return 1;
  });
  set("encode_invalid_numbers", (L2) => {
    if (lua.lua_type(L2, 1) === L_.TSTRING && bytesLatin1(toBytes(L2, 1)!) === "null") cfg.encodeInvalid = 2;
    else {
      const v = boolArg(L2, 1);
      if (v !== null) cfg.encodeInvalid = v ? 1 : 0;
    }
    if (cfg.encodeInvalid === 2) pushStr(L2, "null");
    else lua.lua_pushboolean(L2, cfg.encodeInvalid);
    return 1;
  });
  set("decode_invalid_numbers", (L2) => {
    const v = boolArg(L2, 1);
    if (v !== null) cfg.decodeInvalid = v;
    lua.lua_pushboolean(L2, cfg.decodeInvalid ? 1 : 0);
    return 1;
  });
  set("new", (L2) => {
    pushModule(L2);
    return 1;
  });
  pushStr(L, "cjson");
  lua.lua_setfield(L, -2, latin1Bytes("_NAME"));
  pushStr(L, "2.1.0");
  lua.lua_setfield(L, -2, latin1Bytes("_VERSION"));
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, latin1Bytes("null"));
}

export function installCjson(L: LuaState): void {
  pushModule(L);
  lua.lua_setglobal(L, latin1Bytes("cjson"));
}
