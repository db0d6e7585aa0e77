// Glob matching with Redis's stringmatchlen semantics (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE):
// * ? [abc] [^a-z] with \ escapes, an unterminated class matches like Redis does, and the
// "skip longer matches" cut that keeps pathological patterns linear-ish.

const MAX_NESTING = 1000;

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

export function globMatch(pattern: string, str: string, nocase = false): boolean {
  const skip = { longer: false };
  return match(pattern, 0, pattern.length, str, 0, str.length, nocase, skip, 0);
}

function match(
  pat: string,
  p: number,
  pl: number,
  s: string,
  si: number,
  sl: number,
  nocase: boolean,
  skip: { longer: boolean },
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false;
  // pat[p + pl] and beyond behave like C's terminating NUL.
  const at = (i: number) => (i < p + pl ? pat.charCodeAt(i) : 0);
  while (pl > 0 && sl > 0) {
    const pc = at(p);
    if (pc === 42 /* * */) {
      while (pl > 1 && at(p + 1) === 42) {
        p++;
        pl--;
      }
      if (pl === 1) return true;
      while (sl > 0) {
        if (match(pat, p + 1, pl - 1, s, si, sl, nocase, skip, nesting + 1)) return true;
        if (skip.longer) return false;
        si++;
        sl--;
      }
      skip.longer = true;
      return false;
    } else if (pc === 63 /* ? */) {
      si++;
      sl--;
    } else if (pc === 91 /* [ */) {
      p++;
      pl--;
      const not = at(p) === 94; /* ^ */
      if (not) {
        p++;
        pl--;
      }
      let matched = false;
      const sc = s.charCodeAt(si);
      for (;;) {
        const c = at(p);
        if (c === 92 /* \ */ && pl >= 2) {
          p++;
          pl--;
          if (at(p) === sc) matched = true;
        } else if (c === 93 /* ] */) {
          break;
        } else if (pl === 0) {
          p--;
          pl++;
          break;
        } else if (pl >= 3 && at(p + 1) === 45 /* - */) {
          let start = c;
          let end = at(p + 2);
          let ch = sc;
          if (start > end) [start, end] = [end, start];
          if (nocase) {
            start = lower(start);
            end = lower(end);
            ch = lower(ch);
          }
          p += 2;
          pl -= 2;
          if (ch >= start && ch <= end) matched = true;
        } else if (nocase ? lower(c) === lower(sc) : c === sc) {
          matched = true;
        }
        p++;
        pl--;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      si++;
      sl--;
    } else {
      let c = pc;
      if (c === 92 /* \ */ && pl >= 2) {
        p++;
        pl--;
        c = at(p);
      }
      const sc = s.charCodeAt(si);
      if (nocase ? lower(c) !== lower(sc) : c !== sc) return false;
      si++;
      sl--;
    }
    p++;
    pl--;
    if (sl === 0) {
      while (at(p) === 42) {
        p++;
        pl--;
      }
      break;
    }
  }
  return pl === 0 && sl === 0;
}
