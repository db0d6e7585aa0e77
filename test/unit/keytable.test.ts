// The key table against a Map model: random puts (small, large, object values), overwrites
// that grow and shrink values, deletes, expiry columns, compaction and id-cursor scans.
import { describe, expect, test } from "bun:test";
import { KeyTable } from "../../src/store/keytable.ts";
import { StrBuf } from "../../src/store/types/string.ts";
import type { Value } from "../../src/store/value.ts";

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function same(t: KeyTable, m: Map<string, Value>): void {
  expect(t.size).toBe(m.size);
  for (const [k, v] of m) {
    const got = t.get(k);
    if (typeof v === "string") expect(got).toBe(v);
    else expect(got).toBe(v);
  }
  const keys = [...t.keys()].sort();
  expect(keys).toEqual([...m.keys()].sort());
}

describe("KeyTable", () => {
  test("random operations match a Map, with compaction", () => {
    const r = rng(42);
    const t = new KeyTable();
    const m = new Map<string, Value>();
    const exp = new Map<string, number>();
    const val = (): Value => {
      const x = r();
      if (x < 0.05) return "z".repeat(70000 + Math.floor(r() * 1000)); // beyond the arena limit
      if (x < 0.1) return new StrBuf("obj" + Math.floor(r() * 100));
      const n = Math.floor(r() * (r() < 0.2 ? 2000 : 40));
      let s = "";
      for (let i = 0; i < n; i++) s += String.fromCharCode(Math.floor(r() * 256));
      return s;
    };
    for (let i = 0; i < 60000; i++) {
      const k = "k" + Math.floor(r() * 3000) + (r() < 0.01 ? "\u0000\u00ff" : "");
      const op = r();
      if (op < 0.55) {
        const v = val();
        t.set(k, v);
        m.set(k, v);
      } else if (op < 0.75) {
        expect(t.delete(k)).toBe(m.delete(k));
        exp.delete(k);
      } else if (op < 0.85) {
        if (m.has(k)) {
          const when = 1000 + i;
          t.expires.set(k, when);
          exp.set(k, when);
        }
      } else if (op < 0.9) {
        expect(t.expires.delete(k)).toBe(exp.delete(k));
      } else if (op < 0.95) {
        const g = t.get(k);
        expect(g).toBe(m.get(k) as never);
      } else t.compact(64 * 1024);
      if (i % 10000 === 0) same(t, m);
    }
    same(t, m);
    expect(t.expires.size).toBe(exp.size);
    for (const [k, when] of exp) expect(t.expires.get(k)).toBe(when);
    while (t.compact(1 << 20) > 0);
    same(t, m);
    const st = t.arenaStats();
    expect(st.live).toBeLessThanOrEqual(st.held);
  });

  test("an index growing incrementally (past 65536 keys) keeps every key findable", () => {
    const r = rng(7);
    const t = new KeyTable();
    const m = new Map<string, string>();
    const enc = new TextEncoder();
    let checks = 0;
    // Grow well past several incremental growths, deleting and looking up all along, then
    // shrink (a rebuild that may start while a growth is still moving entries).
    for (let i = 0; i < 400000; i++) {
      const k = "key:" + Math.floor(r() * 300000);
      const op = r();
      if (op < 0.7) {
        t.set(k, "v" + i);
        m.set(k, "v" + i);
      } else if (op < 0.85) {
        expect(t.delete(k)).toBe(m.delete(k));
      } else {
        const b = enc.encode(k);
        const want = m.has(k);
        expect(t.findBytes(b, 0, b.length) >= 0).toBe(want);
        expect(t.has(k)).toBe(want);
        checks++;
      }
    }
    expect(t.size).toBe(m.size);
    for (const [k, v] of m) if (t.get(k) !== v) expect(t.get(k)).toBe(v);
    let n = 0;
    for (const k of [...m.keys()]) {
      if (n++ % 10 !== 0) {
        expect(t.delete(k)).toBe(true);
        m.delete(k);
      }
    }
    expect(t.size).toBe(m.size);
    for (const [k, v] of m) if (t.get(k) !== v) expect(t.get(k)).toBe(v);
    for (let i = 0; i < 1000; i++) expect(t.has("missing:" + i)).toBe(false);
    expect(checks).toBeGreaterThan(10000);
  });

  test("a big table emptied key by key rebuilds its index incrementally, every key findable", () => {
    const r = rng(11);
    const t = new KeyTable();
    const live: string[] = [];
    for (let i = 0; i < 150000; i++) {
      t.set("m:" + i, String(i));
      live.push("m:" + i);
    }
    const gone: string[] = [];
    let checks = 0;
    while (live.length > 0) {
      // SPOP-like: a random member goes; now and then one is added back
      const j = Math.floor(r() * live.length);
      const k = live[j]!;
      live[j] = live[live.length - 1]!;
      live.pop();
      expect(t.delete(k)).toBe(true);
      gone.push(k);
      if (r() < 0.05) {
        const back = gone.pop()!;
        t.set(back, "again");
        live.push(back);
      }
      if (live.length % 97 === 0 && live.length > 0) {
        const probe = live[Math.floor(r() * live.length)]!;
        if (!t.has(probe)) expect(probe).toBe("findable");
        const dead = gone[Math.floor(r() * gone.length)];
        if (dead !== undefined && t.has(dead)) expect(dead).toBe("not findable");
        checks++;
      }
    }
    expect(t.size).toBe(0);
    expect(checks).toBeGreaterThan(1000);
  });

  test("bytes lookups equal string lookups", () => {
    const t = new KeyTable();
    const keys = ["", "a", "key:1", "\u0000\u0001\u00ff", "x".repeat(300)];
    keys.forEach((k, i) => t.set(k, "v" + i));
    for (const k of keys) {
      const b = Buffer.from("pad" + k + "pad", "latin1");
      const id = t.findBytes(b, 3, 3 + k.length);
      expect(id).toBe(t.find(k));
      expect(t.keyOf(id)).toBe(k);
    }
    expect(t.findBytes(Buffer.from("nope"), 0, 4)).toBe(-1);
  });

  test("an id cursor visits every key that stays, despite churn", () => {
    const t = new KeyTable();
    for (let i = 0; i < 5000; i++) t.set("stay:" + i, "v");
    const seen = new Set<string>();
    let id = 0;
    let n = 0;
    while (id < t.top) {
      for (let j = 0; j < 10 && id < t.top; id++) {
        if (!t.live(id)) continue;
        seen.add(t.keyOf(id));
        j++;
      }
      t.set("churn:" + n, "x");
      t.delete("churn:" + (n - 3));
      n++;
    }
    for (let i = 0; i < 5000; i++) expect(seen.has("stay:" + i)).toBe(true);
  });

  test("an emptied table gives its memory back", () => {
    const t = new KeyTable();
    for (let i = 0; i < 20000; i++) t.set("k" + i, "v".repeat(20));
    for (let i = 0; i < 20000; i++) t.delete("k" + i);
    expect(t.size).toBe(0);
    expect(t.top).toBeLessThan(1024);
    t.set("again", "1");
    expect(t.get("again")).toBe("1");
  });
});
