// The collection types against simple models, with seeded random operation sequences:
// ListObj (chunked deque) vs an array, SetObj (intset / hashtable) vs a Set, HashObj
// (random-access index) vs a Map, plus encodings and clones.
import { describe, expect, test } from "bun:test";
import { ListObj } from "../../src/store/types/list.ts";
import { SetObj, isIntMember } from "../../src/store/types/set.ts";
import { HashObj } from "../../src/store/types/hash.ts";
import { prng } from "../helpers/random.ts";
import { DEFAULT_LIMITS } from "../helpers/limits.ts";

const LIM = DEFAULT_LIMITS;

function listArray(l: ListObj): string[] {
  const out: string[] = [];
  l.each(0, l.length, (v) => {
    out.push(v);
  });
  return out;
}

describe("ListObj", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random operations vs an array, seed ${seed}`, () => {
      const r = prng(seed);
      const l = new ListObj();
      const m: string[] = [];
      let counter = 0;
      for (let step = 0; step < 6000; step++) {
        const op = Math.floor(r() * 14);
        const bias = seed % 2 === 0 ? 0.6 : 0.4; // grow or shrink overall
        // short values, and now and then long or binary ones (the byte chunks copy those apart)
        const x = r();
        const v = x < 0.1 ? "L".repeat(30 + Math.floor(r() * 200)) + counter++ : x < 0.15 ? `\u0000\u00ff\r\n${counter++ % 5}` : `v${counter++ % 37}`;
        const asBytes = r() < 0.5;
        const popped = (left: boolean): string | undefined => {
          if (!asBytes) return left ? l.popLeft() : l.popRight();
          return l.popBytes(left) ? l.popped.latin1Slice(l.poppedAt, l.poppedAt + l.poppedLen) : undefined;
        };
        if (op <= 2 && r() < bias + 0.3) {
          if (asBytes) l.pushBytes(true, Buffer.from("<" + v + ">", "latin1"), 1, v.length);
          else l.pushLeft(v);
          m.unshift(v);
        } else if (op <= 5 && r() < bias + 0.3) {
          if (asBytes) l.pushBytes(false, Buffer.from("<" + v + ">", "latin1"), 1, v.length);
          else l.pushRight(v);
          m.push(v);
        } else if (op === 6) {
          expect(popped(true)).toBe(m.shift());
        } else if (op === 7) {
          expect(popped(false)).toBe(m.pop());
        } else if (op === 8 && m.length) {
          const i = Math.floor(r() * m.length);
          expect(l.get(i)).toBe(m[i]!);
          l.set(i, v);
          m[i] = v;
        } else if (op === 9) {
          const i = Math.floor(r() * (m.length + 1));
          l.insertAt(i, v);
          m.splice(i, 0, v);
        } else if (op === 10 && r() < 0.2) {
          const target = `v${Math.floor(r() * 37)}`;
          const limit = Math.floor(r() * 4);
          const fromTail = r() < 0.5;
          let want = 0;
          if (!fromTail) {
            for (let i = 0; i < m.length && (limit === 0 || want < limit); i++) if (m[i] === target) (m.splice(i--, 1), want++);
          } else {
            for (let i = m.length - 1; i >= 0 && (limit === 0 || want < limit); i--) if (m[i] === target) (m.splice(i, 1), want++);
          }
          expect(l.removeValue(target, limit, fromTail)).toBe(want);
        } else if (op === 11 && r() < 0.1) {
          const left = Math.floor(r() * 50);
          const right = Math.floor(r() * 50);
          l.trim(left, right);
          if (left + right >= m.length) m.length = 0;
          else m.splice(0, left), m.splice(m.length - right, right);
        } else if (op === 12) {
          const start = Math.floor(r() * (m.length + 2));
          const count = Math.floor(r() * 300);
          const got: string[] = [];
          l.each(start, count, (x, i) => {
            expect(m[i]).toBe(x);
            got.push(x);
          });
          expect(got).toEqual(m.slice(start, start + count));
        } else if (op === 13 && m.length) {
          const start = Math.floor(r() * m.length);
          const count = Math.floor(r() * 300);
          const got: string[] = [];
          l.eachRev(start, count, (x, i) => {
            expect(m[i]).toBe(x);
            got.push(x);
          });
          expect(got).toEqual(m.slice(Math.max(0, start - count + 1), start + 1).reverse());
        }
        expect(l.length).toBe(m.length);
        if (step % 500 === 0) {
          expect(listArray(l)).toEqual(m);
          expect(l.first()).toBe(m[0]);
          // byte accounting: the list total and the per-chunk sums agree with the elements
          const inner = l as unknown as { payload: number; ring: ({ bytes: number; s: number; e: number } | undefined)[] };
          const total = m.reduce((n, x) => n + x.length, 0);
          expect(inner.payload).toBe(total);
          expect(inner.ring.reduce((n, ch) => n + (ch ? ch.bytes : 0), 0)).toBe(total);
          expect(l.last()).toBe(m[m.length - 1]);
          if (m.length) {
            expect(l.indexOf(m[m.length >> 1]!)).toBe(m.indexOf(m[m.length >> 1]!));
          }
        }
      }
      expect(listArray(l)).toEqual(m);
      const c = l.clone();
      l.pushLeft("only-in-original");
      expect(listArray(c)).toEqual(m);
    });
  }

  test("a million pushes and pops at both ends, and index access in big lists", () => {
    const l = new ListObj();
    for (let i = 0; i < 500_000; i++) {
      l.pushRight(String(i));
      l.pushLeft(String(-i - 1));
    }
    expect(l.length).toBe(1_000_000);
    expect(l.get(0)).toBe("-500000");
    expect(l.get(999_999)).toBe("499999");
    expect(l.get(500_000)).toBe("0");
    expect(l.get(499_999)).toBe("-1");
    for (let i = 0; i < 400_000; i++) l.popLeft();
    expect(l.get(0)).toBe("-100000");
    l.trim(50_000, 50_000);
    expect(l.length).toBe(500_000);
    expect(l.first()).toBe("-50000");
    expect(l.last()).toBe("449999");
    expect(l.bytes()).toBeGreaterThan(0);
  });

  test("encoding is always quicklist (Redis 7.0)", () => {
    const l = new ListObj();
    l.pushLeft("a");
    expect(l.encoding(LIM)).toBe("quicklist");
  });
});

describe("SetObj", () => {
  test("intset membership follows Redis's string2ll", () => {
    for (const s of ["0", "-1", "123", "9223372036854775807", "-9223372036854775808"]) expect(isIntMember(s)).toBe(true);
    for (const s of ["", "-0", "01", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1.0", "a", "-"]) expect(isIntMember(s)).toBe(false);
  });

  test("intset keeps numeric order and converts one way", () => {
    const s = new SetObj();
    const lim = { ...LIM, setMaxIntsetEntries: 6 };
    for (const v of ["10", "-5", "3", "9223372036854775807", "-9223372036854775808", "0"]) s.add(v, lim);
    expect(s.encoding(lim)).toBe("intset");
    expect(s.arr).toEqual(["-9223372036854775808", "-5", "0", "3", "10", "9223372036854775807"]);
    expect(s.add("3", lim)).toBe(false);
    expect(s.has("03")).toBe(false);
    expect(s.has("-5")).toBe(true);
    expect(s.remove("0")).toBe(true);
    expect(s.remove("0")).toBe(false);
    s.add("7", lim);
    s.add("8", lim);
    expect(s.encoding(lim)).toBe("hashtable");
    s.remove("8");
    s.remove("7");
    expect(s.encoding(lim)).toBe("hashtable");
    const t = SetObj.forFirst("x");
    expect(t.encoding(lim)).toBe("hashtable");
  });

  for (const seed of [7, 8, 9]) {
    test(`random operations vs a Set, seed ${seed}`, () => {
      const r = prng(seed);
      const lim = { ...LIM, setMaxIntsetEntries: 40 };
      const s = new SetObj();
      const m = new Set<string>();
      for (let step = 0; step < 5000; step++) {
        const v = r() < 0.95 ? String(Math.floor(r() * 60) - 20) : `s${Math.floor(r() * 10)}`;
        const op = Math.floor(r() * 4);
        if (op <= 1) expect(s.add(v, lim)).toBe(!m.has(v) && (m.add(v), true));
        else if (op === 2) expect(s.remove(v)).toBe(m.delete(v));
        else if (m.size) {
          const x = s.popRandom();
          expect(m.delete(x)).toBe(true);
        }
        expect(s.size).toBe(m.size);
        if (step % 250 === 0) {
          expect(new Set(s.arr)).toEqual(m);
          for (const x of m) expect(s.has(x)).toBe(true);
          if (s.pos !== null) for (let i = 0; i < s.arr.length; i++) expect(s.pos.get(s.arr[i]!)).toBe(i);
        }
      }
      const c = s.clone();
      s.add("only-in-original", lim);
      expect(new Set(c.arr)).toEqual(m);
    });
  }

  test("random members are uniform enough", () => {
    const s = new SetObj();
    for (let i = 0; i < 10; i++) s.add(`m${i}`, LIM);
    const counts = new Map<string, number>();
    for (let i = 0; i < 20000; i++) {
      const x = s.random();
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    for (const n of counts.values()) expect(n).toBeGreaterThan(1500);
  });
});

describe("HashObj", () => {
  test("encoding conversions (entries and lengths), one way", () => {
    const lim = { ...LIM, hashMaxListpackEntries: 3, hashMaxListpackValue: 5 };
    const h = new HashObj();
    h.set("a", "1", lim);
    h.set("b", "2", lim);
    h.set("c", "3", lim);
    expect(h.encoding(lim)).toBe("listpack");
    h.set("d", "4", lim);
    expect(h.encoding(lim)).toBe("hashtable");
    h.delete("d");
    expect(h.encoding(lim)).toBe("hashtable");
    const g = new HashObj();
    g.set("a", "123456", lim);
    expect(g.encoding(lim)).toBe("hashtable");
    const k = new HashObj();
    k.checkArgLen(6, lim);
    expect(k.encoding(lim)).toBe("hashtable");
    expect(k.clone().encoding(lim)).toBe("hashtable");
  });

  test("random access index stays consistent through deletes", () => {
    const r = prng(42);
    const h = new HashObj();
    const m = new Map<string, string>();
    for (let step = 0; step < 20000; step++) {
      const f = `f${Math.floor(r() * 300)}`;
      const op = r();
      if (op < 0.5) {
        h.set(f, `v${step}`, LIM);
        m.set(f, `v${step}`);
      } else if (op < 0.8) expect(h.delete(f)).toBe(m.delete(f));
      else if (m.size) expect(m.has(h.randomField())).toBe(true);
      expect(h.size).toBe(m.size);
    }
    expect([...h.m.entries()]).toEqual([...m.entries()]);
    expect(h.bytes()).toBeGreaterThan(0);
  });
});
