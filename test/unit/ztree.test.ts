// The sorted-set B+tree against a naive sorted array, with a seeded PRNG.
import { describe, expect, test } from "bun:test";
import { Q, ZTree } from "../../src/store/types/ztree.ts";
import { prng } from "../helpers/random.ts";

const cmp = (a: [number, string], b: [number, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

function collect(t: ZTree): [number, string][] {
  const out: [number, string][] = [];
  t.forEach((m, s) => out.push([s, m]));
  return out;
}

describe("ztree", () => {
  for (const seed of [1, 2, 3, 4]) {
    test(`random ops seed ${seed}`, () => {
      const r = prng(seed);
      const t = new ZTree();
      const model = new Map<string, number>();
      const N = seed === 4 ? 20000 : 3000;
      for (let step = 0; step < N * 4; step++) {
        const x = r();
        const m = "m" + Math.floor(r() * N);
        const sc = Math.floor(r() * (seed === 2 ? 3 : 1000)) / 4;
        if (x < 0.5) {
          if (!model.has(m)) {
            t.insert(sc, m);
            model.set(m, sc);
          } else {
            t.update(model.get(m)!, m, sc);
            model.set(m, sc);
          }
        } else if (x < 0.85) {
          if (model.has(m)) {
            t.delete(model.get(m)!, m);
            model.delete(m);
          }
        } else if (x < 0.9 && t.size > 0) {
          const start = Math.floor(r() * t.size);
          const cnt = Math.min(t.size - start, Math.floor(r() * 200));
          const sorted = [...model].map(([k, v]) => [v, k] as [number, string]).sort(cmp);
          const gone: string[] = [];
          t.deleteRange(start, cnt, (mm) => gone.push(mm));
          expect(gone).toEqual(sorted.slice(start, start + cnt).map((e) => e[1]));
          for (const g of gone) model.delete(g);
        }
        if (step % 997 === 0) {
          const sorted = [...model].map(([k, v]) => [v, k] as [number, string]).sort(cmp);
          expect(t.check()).toBe("");
          expect(collect(t)).toEqual(sorted);
          for (let k = 0; k < 20 && sorted.length; k++) {
            const i = Math.floor(r() * sorted.length);
            expect(t.rank(sorted[i]![0], sorted[i]![1])).toBe(i);
            const leaf = t.seek(i);
            expect(leaf.m[t.si]).toBe(sorted[i]![1]);
            const S = Math.floor(r() * 1000) / 4;
            expect(t.countBelow(Q.SCORE_LT, S, "")).toBe(sorted.filter((e) => e[0] < S).length);
            expect(t.countBelow(Q.SCORE_LE, S, "")).toBe(sorted.filter((e) => e[0] <= S).length);
          }
        }
      }
      const sorted = [...model].map(([k, v]) => [v, k] as [number, string]).sort(cmp);
      expect(t.check()).toBe("");
      expect(collect(t)).toEqual(sorted);
      // drain
      for (const [s, m] of sorted) t.delete(s, m);
      expect(t.size).toBe(0);
      expect(t.check()).toBe("");
    });
  }

  test("bulk load", () => {
    for (const n of [0, 1, 64, 65, 1000, 100000]) {
      const ms: string[] = [];
      const ss: number[] = [];
      for (let i = 0; i < n; i++) {
        ms.push("k" + String(i).padStart(7, "0"));
        ss.push(i);
      }
      const t = ZTree.fromSorted(ms, ss);
      expect(t.check()).toBe("");
      expect(t.size).toBe(n);
      if (n) expect(t.rank(n - 1, ms[n - 1]!)).toBe(n - 1);
      for (let i = 0; i < n; i += 3) t.delete(ss[i]!, ms[i]!);
      expect(t.check()).toBe("");
    }
  });
});

test("deep tree grows and shrinks", () => {
  const r = prng(9);
  const t = new ZTree();
  const keys: [number, string][] = [];
  for (let i = 0; i < 200000; i++) {
    const k: [number, string] = [Math.floor(r() * 1e6), "x" + i];
    keys.push(k);
    t.insert(k[0], k[1]);
  }
  expect(t.depth).toBeGreaterThanOrEqual(3);
  expect(t.check()).toBe("");
  // delete in random order
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  for (let i = 0; i < keys.length; i++) {
    t.delete(keys[i]![0], keys[i]![1]);
    if (i % 20000 === 0) expect(t.check()).toBe("");
  }
  expect(t.size).toBe(0);
  expect(t.depth).toBe(0);
  expect(t.check()).toBe("");
});
