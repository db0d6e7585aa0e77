// CRC16 / keySlot: table-driven TypeScript vs one N-API call per key vs the batched native call.
//   bun bench/native/crc16.ts
import { crc16, crc16Native, keySlot, keySlotNative, keySlotsNative, keySlotsPacked, packKeys } from "../../src/native/index.ts";
// Decides KEY_SLOTS_NATIVE_THRESHOLD and KEY_SLOT_NATIVE_MIN_LENGTH in src/native/index.ts.
import { fmt, machine, Rng, timeIt } from "./common.ts";

const rng = new Rng(1);
console.log(`machine: ${machine()}`);

console.log("\nper key (ns/key):");
console.log(`${"key length".padEnd(12)}${"TS crc16".padStart(12)}${"native crc16".padStart(14)}${"TS keySlot".padStart(12)}${"native keySlot".padStart(16)}`);
for (const len of [8, 16, 32, 64, 128, 256, 1024]) {
  const keys = Array.from({ length: 1024 }, () => rng.fill(new Uint8Array(len)));
  let i = 0;
  let sink = 0;
  const a = timeIt(() => (sink += crc16(keys[i++ & 1023]!)));
  const b = timeIt(() => (sink += crc16Native(keys[i++ & 1023]!)));
  const c = timeIt(() => (sink += keySlot(keys[i++ & 1023]!)));
  const d = timeIt(() => (sink += keySlotNative(keys[i++ & 1023]!)));
  console.log(`${String(len).padEnd(12)}${fmt(a).padStart(12)}${fmt(b).padStart(14)}${fmt(c).padStart(12)}${fmt(d).padStart(16)}${sink < 0 ? "!" : ""}`);
}

console.log("\nbatched keySlots over packed 16-byte keys (ns/key):");
console.log(`${"batch".padEnd(10)}${"TS loop".padStart(10)}${"native batch".padStart(14)}`);
for (const n of [1, 2, 4, 8, 16, 32, 100, 1000, 100_000]) {
  const p = packKeys(Array.from({ length: n }, () => rng.fill(new Uint8Array(16))));
  const out = new Uint16Array(n);
  const a = timeIt(() => keySlotsPacked(p.buf, p.offsets, out), 300) / n;
  const b = timeIt(() => keySlotsNative(p.buf, p.offsets), 300) / n;
  console.log(`${String(n).padEnd(10)}${fmt(a).padStart(10)}${fmt(b).padStart(14)}`);
}
