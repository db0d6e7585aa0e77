// x87 80-bit extended precision ("long double" on x86-64 Linux), emulated exactly with
// BigInt, for INCRBYFLOAT and HINCRBYFLOAT. Redis parses both operands with strtold(),
// adds them in long double and prints the sum with "%.17Lf" minus trailing zeros, so
// "0.2" + "0.1" gives "0.3" (not 0.30000000000000004). Reproducing that needs:
//   - correctly rounded decimal (and hex) to 64-bit-mantissa conversion (glibc strtold),
//   - correctly rounded addition (round to nearest, ties to even; denormals; overflow),
//   - exact decimal printing of the binary value rounded to 17 fractional digits
//     (glibc printf rounds the exact value, ties to even).
//
// A finite value is sign * m * 2^e with 0 <= m < 2^64. Normal values have m >= 2^63; the
// smallest quantum is 2^-16445 (the x87 denormal step), the largest finite value is
// (2^64 - 1) * 2^16320.

import { E, fail } from "../errors.ts";

export interface LongDouble {
  neg: boolean;
  /** mantissa, 0 <= m < 2^64 (ignored when inf) */
  m: bigint;
  /** binary exponent of the mantissa's unit */
  e: number;
  inf: boolean;
}

const P = 64;
const EMIN = -16445;
/** A value overflows when m's bit length + e exceeds this (>= 2^16384). */
const EMAX_BITS = 16384;
/** Redis's string2ld buffer (MAX_LONG_DOUBLE_CHARS): longer inputs are rejected. */
const MAX_CHARS = 5 * 1024;

const SAFE = Number.MAX_SAFE_INTEGER;

const TWO53 = 1n << 53n;

function bitLen(n: bigint): number {
  if (n < TWO53) {
    const x = Number(n);
    const hi = Math.floor(x / 4294967296);
    return hi > 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(x);
  }
  // toString(16) is fast for BigInt; the top digit refines the length.
  const h = n.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0]!, 16)));
}

const POW10: bigint[] = [1n];
function pow10(k: number): bigint {
  if (k < 64) {
    while (POW10.length <= k) POW10.push(POW10[POW10.length - 1]! * 10n);
    return POW10[k]!;
  }
  return 10n ** BigInt(k);
}

const INF_POS: LongDouble = { neg: false, m: 0n, e: 0, inf: true };
const INF_NEG: LongDouble = { neg: true, m: 0n, e: 0, inf: true };

/**
 * Rounds the exact value n * 2^e (n >= 0), plus a nonzero amount below n's last bit when
 * `sticky`, to the format: 64-bit mantissa, ties to even, denormal quantum 2^EMIN.
 */
function round(neg: boolean, n: bigint, e: number, sticky: boolean): LongDouble {
  const len = bitLen(n);
  let shift = Math.max(len - P, EMIN - e);
  if (shift > 0) {
    if (shift > len + 1) {
      // Everything is far below half a quantum.
      return { neg, m: 0n, e: e + shift, inf: false };
    }
    const bs = BigInt(shift);
    let q = n >> bs;
    const rem = n & ((1n << bs) - 1n);
    const half = 1n << (bs - 1n);
    if (rem > half || (rem === half && (sticky || (q & 1n) === 1n))) {
      q += 1n;
      if (q >> 64n !== 0n) {
        q >>= 1n;
        shift++;
      }
    }
    n = q;
    e += shift;
  }
  if (n !== 0n && bitLen(n) + e > EMAX_BITS) return neg ? INF_NEG : INF_POS;
  return { neg, m: n, e, inf: false };
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses an optional signed decimal exponent at s[i..]; returns [value (clamped), end] or null. */
function parseExp(s: string, i: number): [number, number] | null {
  let neg = false;
  if (s[i] === "+" || s[i] === "-") {
    neg = s[i] === "-";
    i++;
  }
  if (i >= s.length || !isDigit(s.charCodeAt(i))) return null;
  let v = 0;
  for (; i < s.length && isDigit(s.charCodeAt(i)); i++) if (v < 1e9) v = v * 10 + (s.charCodeAt(i) - 48);
  return [neg ? -v : v, i];
}

/**
 * strtold() of the whole string, with Redis's string2ld acceptance rules: no leading
 * space, everything consumed, no NaN, overflow (to +-inf) and underflow to zero rejected.
 * "inf"/"infinity" are accepted (as infinities). Returns null when Redis would reject it.
 */
export function parseLongDouble(str: string): LongDouble | null {
  const s = str;
  if (s.length === 0 || s.length >= MAX_CHARS) return null;
  if (isSpace(s.charCodeAt(0))) return null;
  let i = 0;
  let neg = false;
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-";
    i = 1;
  }
  const rest = s.length - i;
  // inf / infinity (nan is rejected by Redis anyway)
  const c0 = s.charCodeAt(i) | 0x20;
  if (c0 === 0x69 /* i */) {
    const w = s.slice(i).toLowerCase();
    return w === "inf" || w === "infinity" ? (neg ? INF_NEG : INF_POS) : null;
  }
  // hexadecimal: 0x<hex>[.<hex>][p<exp>]
  if (rest > 2 && s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X")) {
    let j = i + 2;
    let mant = 0n;
    let digits = 0;
    let frac = 0;
    let seenDot = false;
    let chunk = 0;
    let chunkLen = 0;
    for (; j < s.length; j++) {
      const ch = s.charCodeAt(j);
      if (ch === 46 && !seenDot) {
        seenDot = true;
        continue;
      }
      const h = hexVal(ch);
      if (h < 0) break;
      chunk = chunk * 16 + h;
      if (++chunkLen === 12) {
        mant = (mant << 48n) | BigInt(chunk);
        chunk = 0;
        chunkLen = 0;
      }
      digits++;
      if (seenDot) frac++;
    }
    if (chunkLen) mant = (mant << BigInt(chunkLen * 4)) | BigInt(chunk);
    if (digits === 0) return null; // strtold would parse just "0" and stop at 'x'
    let bexp = 0;
    if (j < s.length && (s[j] === "p" || s[j] === "P")) {
      const pe = parseExp(s, j + 1);
      if (pe === null) return null;
      bexp = pe[0];
      j = pe[1];
    }
    if (j !== s.length) return null;
    if (mant === 0n) return { neg, m: 0n, e: 0, inf: false };
    const e2 = bexp - frac * 4;
    // Clamp absurd exponents (the result is inf or zero either way).
    if (e2 + bitLen(mant) > EMAX_BITS + 2) return null;
    if (e2 + bitLen(mant) < EMIN - 2) return null;
    const r = round(neg, mant, e2, false);
    if (r.inf || r.m === 0n) return null;
    return r;
  }
  // decimal: <digits>[.<digits>][e<exp>]
  let j = i;
  let intDigits = "";
  let fracDigits = "";
  while (j < s.length && isDigit(s.charCodeAt(j))) j++;
  intDigits = s.slice(i, j);
  if (j < s.length && s[j] === ".") {
    const k = ++j;
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    fracDigits = s.slice(k, j);
  }
  if (intDigits.length === 0 && fracDigits.length === 0) return null;
  let dexp = 0;
  if (j < s.length && (s[j] === "e" || s[j] === "E")) {
    const pe = parseExp(s, j + 1);
    if (pe === null) return null; // "1e" consumes only "1": not the whole string
    dexp = pe[0];
    j = pe[1];
  }
  if (j !== s.length) return null;
  let digits = intDigits + fracDigits;
  // strip leading zeros (value), keep track of the decimal exponent
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  if (lead === digits.length) return { neg, m: 0n, e: 0, inf: false };
  digits = digits.slice(lead);
  let exp10 = dexp - fracDigits.length;
  // trailing zeros move into the exponent
  let tail = digits.length;
  while (digits.charCodeAt(tail - 1) === 48) tail--;
  exp10 += digits.length - tail;
  digits = digits.slice(0, tail);
  const nd = digits.length;
  // value in [10^(nd-1+exp10), 10^(nd+exp10))
  if (nd - 1 + exp10 > 4933) return null; // > LDBL_MAX: ERANGE overflow
  if (nd + exp10 < -4951) return null; // < half the smallest denormal: ERANGE to zero
  const d = nd <= 15 ? BigInt(Number(digits)) : BigInt(digits);
  let r: LongDouble;
  if (exp10 >= 0) r = round(neg, d * pow10(exp10), 0, false);
  else {
    const den = pow10(-exp10);
    const k = Math.max(0, bitLen(den) - bitLen(d) + P + 3);
    const num = d << BigInt(k);
    const q = num / den;
    r = round(neg, q, -k, q * den !== num);
  }
  if (r.inf || r.m === 0n) return null;
  return r;
}

/** a + b in long double (round to nearest even). NaN (inf - inf) comes back as null. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return null;
    return a.inf ? a : b;
  }
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  // Align to the smaller exponent; an operand far below the other's last bit only acts
  // as a sticky bit, so it is replaced by one unit far below (same rounding, small BigInts).
  let hi = a;
  let lo = b;
  if (hi.e < lo.e) {
    hi = b;
    lo = a;
  }
  let gap = hi.e - lo.e;
  let lm = lo.m;
  if (gap > 200) {
    gap = 200;
    lm = 1n;
  }
  const hm = hi.m << BigInt(gap);
  const e = hi.e - gap;
  const x = hi.neg ? -hm : hm;
  const y = lo.neg ? -lm : lm;
  const s = x + y;
  if (s === 0n) return { neg: false, m: 0n, e: 0, inf: false };
  return round(s < 0n, s < 0n ? -s : s, e, false);
}

const TEN17 = 10n ** 17n;

/**
 * Redis's human-friendly long double form: "%.17Lf", then trailing zeros (and a trailing
 * '.') removed, "-0" shown as "0". Infinities print as "inf"/"-inf".
 */
export function formatLongDouble(v: LongDouble): string {
  if (v.inf) return v.neg ? "-inf" : "inf";
  if (v.m === 0n) return "0";
  let out: string;
  if (v.e >= 0) out = (v.m << BigInt(v.e)).toString();
  else {
    const sh = BigInt(-v.e);
    const scaled = v.m * TEN17;
    let q = scaled >> sh;
    const rem = scaled & ((1n << sh) - 1n);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
    const digits = q.toString().padStart(18, "0");
    const ip = digits.slice(0, digits.length - 17);
    let fp = digits.slice(digits.length - 17);
    let end = fp.length;
    while (end > 0 && fp.charCodeAt(end - 1) === 48) end--;
    fp = fp.slice(0, end);
    out = fp.length ? `${ip}.${fp}` : ip;
  }
  if (v.neg && out !== "0") out = "-" + out;
  return out;
}

/** A canonical decimal integer of at most 15 characters (the fast path), or NaN. */
function smallInt(s: string): number {
  const n = s.length;
  if (n === 0 || n > 15) return NaN;
  let i = 0;
  if (s.charCodeAt(0) === 45) {
    if (n === 1) return NaN;
    i = 1;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return n - i === 1 ? 0 : NaN;
  let v = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return s.charCodeAt(0) === 45 ? -v : v;
}

let lastIncr = "";
let lastIncrValue: LongDouble | null = null;

/**
 * INCRBYFLOAT's arithmetic: the long double sum of two decimal strings in Redis's
 * "%.17Lf"-trimmed form. Throws ReplyError(E.NOT_FLOAT) when an operand is not a valid
 * float (Redis's string2ld rules); returns null when the sum is NaN or infinite
 * ("ERR increment would produce NaN or Infinity"). HINCRBYFLOAT, which has its own error
 * texts, uses parseLongDouble/addLongDouble/formatLongDouble directly.
 */
export function incrByFloatString(current: string, incr: string): string | null {
  // Fast path: integers well inside 2^53 add exactly (and the long double sum is exact).
  const x = smallInt(current);
  if (!Number.isNaN(x)) {
    const y = smallInt(incr);
    if (!Number.isNaN(y)) {
      const s = x + y;
      if (s <= SAFE && s >= -SAFE) return String(s);
    }
  }
  const a = parseLongDouble(current);
  if (a === null) fail(E.NOT_FLOAT);
  // Counters are usually bumped by the same increment: keep its parse.
  let b: LongDouble | null;
  if (incr === lastIncr) b = lastIncrValue;
  else {
    b = parseLongDouble(incr);
    lastIncr = incr;
    lastIncrValue = b;
  }
  if (b === null) fail(E.NOT_FLOAT);
  const r = addLongDouble(a, b);
  if (r === null || r.inf) return null;
  return formatLongDouble(r);
}
