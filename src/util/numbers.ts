// Number parsing and formatting with Redis's exact rules (string2ll, strtod-based
// getDoubleFromObject, "%.17g" replies).

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
/** Largest magnitude a JS number holds exactly. */
const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Parses a signed 64-bit decimal integer exactly as Redis's string2ll: no spaces, no '+',
 * no leading zeros, at most 20 characters, within int64. Returns NaN when invalid.
 * Values beyond 2^53 come back rounded; use parseI64Big where exactness matters.
 */
export function parseI64(s: string): number {
  const n = s.length;
  if (n === 0 || n > 20) return NaN;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return NaN;
    neg = true;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n - i === 1 && !neg ? 0 : NaN;
  if (first < 49 || first > 57) return NaN;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  if (v > SAFE) {
    const b = BigInt(neg ? "-" + s.slice(1) : s);
    if (b > INT64_MAX || b < INT64_MIN) return NaN;
  }
  return neg ? -v : v;
}

/** Exact int64 parse (same rules as parseI64); null when invalid. */
export function parseI64Big(s: string): bigint | null {
  const v = parseI64(s);
  if (Number.isNaN(v)) return null;
  return Math.abs(v) <= SAFE ? BigInt(v) : BigInt(s);
}

/** True when a stored string is an integer Redis would int-encode (OBJECT ENCODING int). */
export function isInt64String(s: string): boolean {
  return s.length <= 20 && !Number.isNaN(parseI64(s));
}

/** C isspace: space, \t \n \v \f \r. */
export function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

const DEC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_RE = /^([+-]?)0[xX]((?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^[+-]?(?:inf|infinity)$/i;
const NAN_RE = /^[+-]?nan(?:\([0-9a-zA-Z_]*\))?$/i;

/**
 * Parses a double the way Redis does with strtod: the whole string must be consumed, no
 * leading space, inf/infinity accepted, hex floats accepted, overflow (ERANGE to +-HUGE_VAL)
 * and underflow to zero rejected. NaN is returned for anything invalid, including "nan".
 */
export function parseDouble(s: string): number {
  if (s.length === 0 || isCSpace(s.charCodeAt(0))) return NaN;
  if (DEC_RE.test(s)) {
    const v = Number(s);
    if (!Number.isFinite(v)) return NaN; // ERANGE overflow
    if (v === 0 && /[1-9]/.test(s.split(/[eE]/)[0]!)) return NaN; // ERANGE underflow to zero
    return v;
  }
  if (INF_RE.test(s)) return s.charCodeAt(0) === 45 ? -Infinity : Infinity;
  const h = HEX_RE.exec(s);
  if (h) {
    const [, sign, mant, exp] = h;
    const v = hexFloat(mant!, exp);
    if (!Number.isFinite(v)) return NaN;
    return sign === "-" ? -v : v;
  }
  return NaN;
}

/**
 * C strtod over the whole string, as zslParseRange uses it: leading spaces allowed, an empty
 * string is 0, overflow gives +-inf, underflow 0. NaN when not all of it parses (or is NaN).
 */
export function strtodAll(s: string): number {
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length && isCSpace(s.charCodeAt(i))) i++;
  if (i === s.length) return NaN;
  const t = i === 0 ? s : s.slice(i);
  if (DEC_RE.test(t)) return Number(t);
  if (INF_RE.test(t)) return t.charCodeAt(0) === 45 ? -Infinity : Infinity;
  const h = HEX_RE.exec(t);
  if (h) {
    const [, sign, mant, exp] = h;
    const v = hexFloat(mant!, exp);
    return sign === "-" ? -v : v;
  }
  return NaN;
}

/** The magnitude of a C hex float: hex digits "h.hhh" (mant) times 2^exp (decimal text; none: 0). */
export function hexFloat(mant: string, exp: string | undefined): number {
  const [ip, fp = ""] = mant.split(".");
  let v = 0;
  for (const ch of ip!) v = v * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of fp) {
    v += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  return v * Math.pow(2, exp ? parseInt(exp, 10) : 0);
}

/** True for strings strtod would accept as NaN (Redis rejects those separately). */
export function isNanString(s: string): boolean {
  return NAN_RE.test(s);
}

/** C printf "%.<prec>g". */
export function fmtG(d: number, prec: number): string {
  if (Number.isNaN(d)) return "nan";
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  const e = d.toExponential(prec - 1);
  const ei = e.indexOf("e");
  const x = parseInt(e.slice(ei + 1), 10);
  if (x < -4 || x >= prec) {
    let m = e.slice(0, ei);
    if (m.includes(".")) m = m.replace(/\.?0+$/, "");
    const ax = Math.abs(x);
    return `${m}e${x < 0 ? "-" : "+"}${ax < 10 ? "0" : ""}${ax}`;
  }
  let f = d.toFixed(Math.max(0, prec - 1 - x));
  if (f.includes(".")) f = f.replace(/\.?0+$/, "");
  return f;
}

/** Redis's reply form for doubles ("%.17g"). */
export function fmtDouble17g(d: number): string {
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return Object.is(d, -0) ? "-0" : String(d);
  return fmtG(d, 17);
}
