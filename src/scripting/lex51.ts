// Lua 5.1 string escapes on a Lua 5.3 parser: 5.1 keeps the character after an unknown
// backslash escape ("\x41" is "x41", "\q" is "q"), where 5.3 reads \x, \z and \u{} escapes
// and rejects others. Scripts are rewritten before compiling so string literals mean what they
// mean on Redis; line numbers do not change.

const VALID = new Set("abfnrtv\\\"'\n\r0123456789".split("").map((c) => c.charCodeAt(0)));

/** Level of a long bracket opening at p ("[[" = 0, "[=[" = 1, ...), or -1. */
function longBracket(s: Uint8Array, p: number): number {
  if (s[p] !== 91) return -1;
  let q = p + 1;
  while (s[q] === 61) q++;
  return s[q] === 91 ? q - p - 1 : -1;
}

/** Index after the long bracket closing "]==]" of the given level, or the end. */
function skipLong(s: Uint8Array, p: number, level: number): number {
  for (let i = p; i < s.length; i++) {
    if (s[i] !== 93) continue;
    let q = i + 1;
    let n = 0;
    while (s[q] === 61) {
      q++;
      n++;
    }
    if (n === level && s[q] === 93) return q + 1;
  }
  return s.length;
}

export function lua51Source(s: Uint8Array): Uint8Array {
  if (s.indexOf(92) < 0) return s;
  const out: number[] = [];
  let changed = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === 45 && s[i + 1] === 45) {
      // comment: long or to end of line
      const lv = longBracket(s, i + 2);
      const end = lv >= 0 ? skipLong(s, i + 2 + lv + 2, lv) : Math.max(s.indexOf(10, i), -1);
      const stop = end < 0 ? s.length : end;
      for (let j = i; j < stop; j++) out.push(s[j]!);
      i = stop;
      continue;
    }
    if (c === 91) {
      const lv = longBracket(s, i);
      if (lv >= 0) {
        const stop = skipLong(s, i + lv + 2, lv);
        for (let j = i; j < stop; j++) out.push(s[j]!);
        i = stop;
        continue;
      }
    }
    if (c === 34 || c === 39) {
      out.push(c);
      i++;
      while (i < s.length && s[i] !== c && s[i] !== 10) {
        if (s[i] === 92 && i + 1 < s.length) {
          const e = s[i + 1]!;
          if (VALID.has(e)) out.push(92, e);
          else {
            out.push(e);
            changed = true;
          }
          i += 2;
          continue;
        }
        out.push(s[i]!);
        i++;
      }
      if (i < s.length) out.push(s[i++]!);
      continue;
    }
    out.push(c);
    i++;
  }
  return changed ? Uint8Array.from(out) : s;
}
