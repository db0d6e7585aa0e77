import { describe, expect, test } from "bun:test";
import { Bloom, BloomTs, murmur3, packKeys } from "../../src/native/index.ts";
import { b, hex, Rng } from "./helpers.ts";

describe("bloom", () => {
  test("murmur3 x86_32 vectors", () => {
    expect(murmur3(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3(b("hello"), 0)).toBe(0x248bfa47);
    expect(murmur3(b("The quick brown fox jumps over the lazy dog"), 0)).toBe(0x2e4ff723);
  });

  test("native and TS filters are byte-identical and interchangeable", () => {
    const rng = new Rng(99);
    for (const [n, fp] of [[1, 0.5], [100, 0.01], [10000, 0.001], [5000, 0.1]] as const) {
      const nat = Bloom.create(n, fp);
      const ts = BloomTs.create(n, fp);
      expect(nat.bits).toBe(ts.bits);
      expect(nat.hashes).toBe(ts.hashes);
      const keys = Array.from({ length: n }, () => rng.bytes(1 + rng.below(24)));
      for (const k of keys) {
        nat.add(k);
        ts.add(k);
      }
      expect(hex(nat.serialize())).toBe(hex(ts.serialize()));
      const fromTs = Bloom.deserialize(ts.serialize());
      const fromNat = BloomTs.deserialize(nat.serialize());
      for (const k of keys) {
        expect(fromTs.mayContain(k)).toBe(true);
        expect(fromNat.mayContain(k)).toBe(true);
      }
      for (let i = 0; i < 200; i++) {
        const k = rng.bytes(8);
        expect(nat.mayContain(k)).toBe(ts.mayContain(k));
      }
    }
  });

  test("batched add/check and false-positive rate", () => {
    const n = 20000;
    const f = Bloom.create(n, 0.01);
    const keys = Array.from({ length: n }, (_, i) => b(`key:${i}`));
    f.addMany(keys);
    expect(f.mayContainMany(packKeys(keys)).every((x) => x === 1)).toBe(true);
    const others = Array.from({ length: n }, (_, i) => b(`other:${i}`));
    const hits = f.mayContainMany(others).reduce((s, x) => s + x, 0);
    expect(hits / n).toBeLessThan(0.02);
  });

  test("header format is pinned", () => {
    const f = BloomTs.create(100, 0.01);
    const s = f.serialize();
    expect(s[0]).toBe(1); // format
    expect(s[1]).toBe(7); // probes for 1%
    expect(s[2]).toBe(0);
    expect(s[3]).toBe(0);
    expect(new DataView(s.buffer).getUint32(4, true)).toBe(959); // ceil(-100 ln 0.01 / ln2^2)
    expect(s.length).toBe(8 + 120);
  });

  test("invalid input throws instead of crashing", () => {
    expect(() => Bloom.create(10, 0)).toThrow(/rate/);
    expect(() => Bloom.create(10, 1)).toThrow(/rate/);
    expect(() => Bloom.create(-1, 0.1)).toThrow(/expectedItems/);
    expect(() => Bloom.deserialize(new Uint8Array([1, 7, 0, 0]))).toThrow(/too short/);
    expect(() => Bloom.deserialize(new Uint8Array([2, 7, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/format/);
    expect(() => Bloom.deserialize(new Uint8Array([1, 7, 0, 0, 64, 0, 0, 0, 0]))).toThrow(/length/);
    expect(() => BloomTs.deserialize(new Uint8Array([1, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/probe/);
  });
});
