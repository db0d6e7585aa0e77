// string.format as Lua 5.1 does it (C printf conversions on doubles cast the C way), so
// scripts format numbers exactly as on Redis: %d truncates, %e prints two exponent digits,
// inf/nan are spelled like glibc, %q escapes like 5.1, %a does not exist.

import { fmtGC, toExponentialC, toFixedC } from "./cfloat.ts";
import { ByteBuf } from "./bytes.ts";
import { bytesLatin1, lauxlib, latin1Bytes, lua, pushOwned, raiseAt, type LuaState } from "./lua.ts";

const FLAGS = "-+ #0";

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  prec: number; // -1: none
}

function pad(body: string, sign: string, s: Spec, numeric: boolean): string {
  const len = sign.length + body.length;
  if (s.width <= len) return sign + body;
  const fill = s.width - len;
  if (s.minus) return sign + body + " ".repeat(fill);
  if (s.zero && numeric) return sign + "0".repeat(fill) + body;
  return " ".repeat(fill) + sign + body;
}

function signOf(neg: boolean, s: Spec): string {
  return neg ? "-" : s.plus ? "+" : s.space ? " " : "";
}

/** (long) cast of a double, as C does on x86-64 (out of range: LONG_MIN). */
function toLong(n: number): bigint {
  if (!Number.isFinite(n) || n >= 9223372036854775808 || n < -9223372036854775808) return -(1n << 63n);
  return BigInt(Math.trunc(n));
}

function fmtInt(n: number, conv: string, s: Spec): string {
  let v = toLong(n);
  let neg = false;
  let digits: string;
  if (conv === "d" || conv === "i") {
    neg = v < 0n;
    if (neg) v = -v;
    digits = v.toString(10);
  } else {
    if (v < 0n) v += 1n << 64n;
    digits = v.toString(conv === "o" ? 8 : conv === "u" ? 10 : 16);
    if (conv === "X") digits = digits.toUpperCase();
  }
  if (s.prec >= 0) {
    if (s.prec === 0 && digits === "0") digits = "";
    digits = digits.padStart(s.prec, "0");
  }
  let prefix = "";
  if (s.alt && v !== 0n) {
    if (conv === "x") prefix = "0x";
    else if (conv === "X") prefix = "0X";
    else if (conv === "o" && !digits.startsWith("0")) digits = "0" + digits;
  }
  const sign = conv === "d" || conv === "i" ? signOf(neg, s) : "";
  return pad(digits, sign + prefix, { ...s, zero: s.zero && s.prec < 0 }, true);
}

function expForm(d: number, prec: number, upper: boolean): string {
  let e = toExponentialC(d, prec);
  const i = e.indexOf("e");
  const mant = e.slice(0, i);
  let x = e.slice(i + 1);
  const xs = x[0] === "-" ? "-" : "+";
  x = x.replace(/^[+-]/, "");
  if (x.length < 2) x = "0" + x;
  e = `${mant}e${xs}${x}`;
  return upper ? e.toUpperCase() : e;
}

function fmtFloat(n: number, conv: string, s: Spec): string {
  const upper = conv === "E" || conv === "G" || conv === "F";
  const neg = n < 0 || Object.is(n, -0);
  const a = Math.abs(n);
  let body: string;
  if (!Number.isFinite(a)) {
    body = Number.isNaN(a) ? "nan" : "inf";
    if (upper) body = body.toUpperCase();
    return pad(body, signOf(Number.isNaN(n) ? true : neg, s), { ...s, zero: false }, true);
  }
  const prec = s.prec < 0 ? 6 : s.prec;
  if (conv === "f" || conv === "F") {
    body = toFixedC(a, Math.min(prec, 100));
    if (s.alt && prec === 0) body += ".";
  } else if (conv === "e" || conv === "E") {
    body = expForm(a, Math.min(prec, 100), upper);
    if (s.alt && prec === 0) body = body.replace(/e/i, (m) => "." + m);
  } else {
    const p = prec === 0 ? 1 : prec;
    if (s.alt) {
      // %#g keeps trailing zeros.
      const exp = Number(toExponentialC(a, p - 1).split("e")[1]);
      if (exp < -4 || exp >= p) body = expForm(a, p - 1, upper);
      else body = toFixedC(a, Math.max(0, p - 1 - exp));
      if (!body.includes(".")) body = body.replace(/(e|E|$)/, ".$1");
    } else {
      body = fmtGC(a, p);
      if (upper) body = body.toUpperCase();
    }
  }
  return pad(body, signOf(neg, s), s, true);
}

function addQuoted(out: ByteBuf, s: Uint8Array): void {
  out.byte(34);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === 34 || c === 92 || c === 10) {
      out.byte(92);
      out.byte(c);
    } else if (c === 13) out.ascii("\\r");
    else if (c === 0) out.ascii("\\000");
    else out.byte(c);
  }
  out.byte(34);
}

/** string.format(fmt, ...) with Lua 5.1's rules. */
export function format51(L: LuaState): number {
  const top = lua.lua_gettop(L);
  let arg = 1;
  const fmt: Uint8Array = lauxlib.luaL_checklstring(L, arg);
  const out = new ByteBuf(fmt.length + 16);
  let i = 0;
  while (i < fmt.length) {
    const ch = fmt[i]!;
    if (ch !== 37) {
      out.byte(ch);
      i++;
      continue;
    }
    i++;
    if (fmt[i] === 37) {
      out.byte(37);
      i++;
      continue;
    }
    if (++arg > top) lauxlib.luaL_argerror(L, arg, latin1Bytes("no value"));
    // flags, width, precision (Lua 5.1's scanformat)
    const start = i;
    const spec: Spec = { minus: false, plus: false, space: false, alt: false, zero: false, width: 0, prec: -1 };
    while (i < fmt.length && FLAGS.includes(String.fromCharCode(fmt[i]!))) {
      const f = String.fromCharCode(fmt[i]!);
      if (f === "-") spec.minus = true;
      else if (f === "+") spec.plus = true;
      else if (f === " ") spec.space = true;
      else if (f === "#") spec.alt = true;
      else spec.zero = true;
      i++;
    }
    if (i - start >= FLAGS.length + 1) raiseAt(L, "invalid format (repeated flags)");
    const isDigit = (c: number | undefined) => c !== undefined && c >= 48 && c <= 57;
    let w = "";
    if (isDigit(fmt[i])) w += String.fromCharCode(fmt[i++]!);
    if (isDigit(fmt[i])) w += String.fromCharCode(fmt[i++]!);
    spec.width = w ? Number(w) : 0;
    if (fmt[i] === 46) {
      i++;
      let p = "";
      if (isDigit(fmt[i])) p += String.fromCharCode(fmt[i++]!);
      if (isDigit(fmt[i])) p += String.fromCharCode(fmt[i++]!);
      spec.prec = p ? Number(p) : 0;
    }
    if (isDigit(fmt[i])) raiseAt(L, "invalid format (width or precision too long)");
    const conv = i < fmt.length ? String.fromCharCode(fmt[i]!) : "";
    i++;
    switch (conv) {
      case "c": {
        const n = lauxlib.luaL_checknumber(L, arg);
        const b = Number(toLong(n) & 0xffn);
        out.ascii(pad(String.fromCharCode(b), "", spec, false));
        break;
      }
      case "d":
      case "i":
      case "o":
      case "u":
      case "x":
      case "X":
        out.ascii(fmtInt(lauxlib.luaL_checknumber(L, arg), conv, spec));
        break;
      case "e":
      case "E":
      case "f":
      case "g":
      case "G":
        out.ascii(fmtFloat(lauxlib.luaL_checknumber(L, arg), conv, spec));
        break;
      case "q":
        addQuoted(out, lauxlib.luaL_checklstring(L, arg));
        break;
      case "s": {
        const s: Uint8Array = lauxlib.luaL_checklstring(L, arg);
        if (spec.prec < 0 && s.length >= 100) out.bytes(s);
        else {
          let body = bytesLatin1(s);
          if (spec.prec >= 0) body = body.slice(0, spec.prec);
          out.ascii(pad(body, "", spec, false));
        }
        break;
      }
      default: {
        raiseAt(L, `invalid option '%${conv}' to 'format'`);
      }
    }
  }
  pushOwned(L, out.take());
  return 1;
}

export function installFormat51(L: LuaState): void {
  lua.lua_getglobal(L, latin1Bytes("string"));
  lua.lua_pushcfunction(L, format51);
  lua.lua_setfield(L, -2, latin1Bytes("format"));
  lua.lua_pop(L, 1);
}
