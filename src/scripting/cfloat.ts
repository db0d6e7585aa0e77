// printf-exact formatting of doubles: the decimal expansion of a double is finite, so it is
// computed exactly (BigInt) and rounded half-to-even like glibc, where JS's toFixed and
// toExponential round ties away from zero (printf("%.0f", 2.5) is "2", (2.5).toFixed(0) "3").

/** Exact decimal digits of |x| (finite, non-zero): x = 0.<digits> * 10^point. */
function exactDigits(x: number): { digits: string; point: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const bits = buf.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  let digits: string;
  let point: number;
  if (e >= 0) {
    digits = (mant << BigInt(e)).toString();
    point = digits.length;
  } else {
    // mant / 2^-e = mant * 5^-e / 10^-e
    digits = (mant * 5n ** BigInt(-e)).toString();
    point = digits.length + e;
  }
  const stripped = digits.replace(/^0+/, "");
  point -= digits.length - stripped.length;
  return { digits: stripped.replace(/0+$/, "") || "0", point };
}

/** Rounds a digit string to `n` digits (n >= 0), half to even; returns digits and carry. */
function roundDigits(digits: string, n: number): { d: string; carry: boolean } {
  if (n >= digits.length) return { d: digits.padEnd(n, "0"), carry: false };
  if (n < 0) return { d: "", carry: false };
  const keep = digits.slice(0, n);
  const next = digits.charCodeAt(n) - 48;
  const rest = digits.slice(n + 1);
  let up = next > 5 || (next === 5 && (/[1-9]/.test(rest) || (n > 0 && (keep.charCodeAt(n - 1) - 48) % 2 === 1)));
  if (next === 5 && n === 0 && !/[1-9]/.test(rest)) up = false;
  if (!up) return { d: keep, carry: false };
  const arr = keep.split("").map(Number);
  let i = arr.length - 1;
  while (i >= 0) {
    if (arr[i]! < 9) {
      arr[i]!++;
      break;
    }
    arr[i] = 0;
    i--;
  }
  if (i < 0) return { d: "1" + arr.join(""), carry: true };
  return { d: arr.join(""), carry: false };
}

/** printf("%.<prec>f", x) for finite x >= 0. */
export function toFixedC(x: number, prec: number): string {
  if (x === 0) return prec > 0 ? "0." + "0".repeat(prec) : "0";
  const { digits, point } = exactDigits(x);
  // keep point + prec digits
  const r = roundDigits(digits, point + prec);
  let d = r.d;
  let p = point + (r.carry ? 1 : 0);
  if (point + prec < 0) {
    d = "";
    p = 0;
  }
  let intPart: string;
  let frac: string;
  if (p <= 0) {
    intPart = "0";
    frac = "0".repeat(-p) + d;
  } else {
    intPart = d.slice(0, p).padEnd(p, "0");
    frac = d.slice(p);
  }
  frac = frac.padEnd(prec, "0").slice(0, prec);
  return prec > 0 ? `${intPart || "0"}.${frac}` : intPart || "0";
}

/** printf("%.<prec>e", x) for finite x >= 0 (exponent with at least one digit; caller pads). */
export function toExponentialC(x: number, prec: number): string {
  if (x === 0) return (prec > 0 ? "0." + "0".repeat(prec) : "0") + "e+0";
  const { digits, point } = exactDigits(x);
  const r = roundDigits(digits, prec + 1);
  const exp = point - 1 + (r.carry ? 1 : 0);
  let d = r.d;
  if (r.carry) d = d.slice(0, prec + 1);
  const mant = prec > 0 ? `${d[0]}.${d.slice(1)}` : d[0]!;
  return `${mant}e${exp < 0 ? "-" : "+"}${Math.abs(exp)}`;
}

/** printf("%.<prec>g", x) for finite x >= 0. */
export function fmtGC(x: number, prec: number): string {
  if (prec === 0) prec = 1;
  if (x === 0) return "0";
  const e = toExponentialC(x, prec - 1);
  const ei = e.indexOf("e");
  const exp = parseInt(e.slice(ei + 1), 10);
  if (exp < -4 || exp >= prec) {
    let m = e.slice(0, ei);
    if (m.includes(".")) m = m.replace(/\.?0+$/, "");
    const ax = Math.abs(exp);
    return `${m}e${exp < 0 ? "-" : "+"}${ax < 10 ? "0" : ""}${ax}`;
  }
  let f = toFixedC(x, Math.max(0, prec - 1 - exp));
  if (f.includes(".")) f = f.replace(/\.?0+$/, "");
  return f;
}
