import { describe, expect, test } from "bun:test";
import { crc16, crc16Native, crc16Range, keySlot, keySlotAdaptive, keySlotNative, keySlotRange, keySlots, keySlotsNative, keySlotsPacked, packKeys, SLOTS, KEY_SLOTS_NATIVE_THRESHOLD } from "../../src/native/index.ts";
import { b, Rng } from "./helpers.ts";

describe("crc16 / keySlot", () => {
  test("check value and Redis slots", () => {
    expect(crc16(b("123456789"))).toBe(0x31c3);
    expect(crc16Native(b("123456789"))).toBe(0x31c3);
    expect(crc16(new Uint8Array(0))).toBe(0);
    // CLUSTER KEYSLOT on redis-server 7.
    for (const [k, slot] of [["foo", 12182], ["bar", 5061], ["hello", 866], ["", 0]] as const) {
      expect(keySlot(b(k))).toBe(slot);
      expect(keySlotNative(b(k))).toBe(slot);
    }
    expect(SLOTS).toBe(16384);
  });

  test("hash tag rules", () => {
    const cases: [string, string][] = [
      ["{user1000}.following", "user1000"],
      ["{user1000}.followers", "user1000"],
      ["foo{}{bar}", "foo{}{bar}"], // empty tag: whole key
      ["foo{{bar}}zap", "{bar"], // first { to first }
      ["foo{bar}{zap}", "bar"],
      ["{", "{"],
      ["a{b", "a{b"], // unclosed: whole key
      ["}{x}", "x"],
    ];
    for (const [key, hashed] of cases) {
      expect(keySlot(b(key))).toBe(crc16(b(hashed)) & 0x3fff);
      expect(keySlotNative(b(key))).toBe(keySlot(b(key)));
    }
  });

  test("TS and native agree on random binary keys, subarrays and ranges", () => {
    const rng = new Rng(12345);
    for (let i = 0; i < 5000; i++) {
      const len = i % 10 === 0 ? 100 + rng.below(300) : rng.below(40);
      const k = rng.bytes(len);
      if (len > 3 && rng.below(3) === 0) k[rng.below(len)] = 0x7b;
      if (len > 3 && rng.below(3) === 0) k[rng.below(len)] = 0x7d;
      expect(keySlotNative(k)).toBe(keySlot(k));
      expect(crc16Native(k)).toBe(crc16(k));
      expect(keySlotAdaptive(k)).toBe(keySlot(k));
      // A view into a larger buffer, and the (start, end) form on the TS side.
      const big = new Uint8Array(len + 10);
      big.set(k, 5);
      expect(keySlotNative(big.subarray(5, 5 + len))).toBe(keySlot(k));
      expect(keySlotRange(big, 5, 5 + len)).toBe(keySlot(k));
      expect(crc16Range(big, 5, 5 + len)).toBe(crc16(k));
    }
  });

  test("batched slots: native, TS and the size-based dispatcher agree", () => {
    const rng = new Rng(7);
    for (const n of [0, 1, KEY_SLOTS_NATIVE_THRESHOLD - 1, KEY_SLOTS_NATIVE_THRESHOLD, 100, 5000]) {
      const keys = Array.from({ length: n }, () => rng.bytes(rng.below(30)));
      const expected = Uint16Array.from(keys, (k) => keySlot(k));
      const p = packKeys(keys);
      expect(keySlotsNative(p.buf, p.offsets)).toEqual(expected);
      expect(keySlotsPacked(p.buf, p.offsets, new Uint16Array(n))).toEqual(expected);
      expect(keySlots(keys)).toEqual(expected);
      expect(keySlots(p)).toEqual(expected);
    }
  });

  test("bad arguments throw", () => {
    expect(() => keySlotsNative(b("abc"), new Uint32Array([0, 10]))).toThrow(/out of range/);
    expect(() => keySlotsNative(b("abc"), new Uint32Array([2, 1]))).toThrow(/out of range/);
    expect(() => crc16Native("abc" as unknown as Uint8Array)).toThrow(/Uint8Array/);
    expect(() => keySlotsNative(b("abc"), new Uint16Array([0, 1]) as unknown as Uint32Array)).toThrow(/Uint32Array/);
  });
});
